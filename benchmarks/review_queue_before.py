"""The reviewer's queue of 10 on the review pages as they were before issue 22's reviewer changes (7f20de2):
the same ten holds as tests/e2e/test_review_queue.py, each settled by what those pages offered for it, with
the clicks, fields and seconds, and which holds ended otherwise than the reviewer meant.

It runs against the old code, so it is a browser test to copy into a worktree at that commit:

    git worktree add --detach ../before 7f20de2 && ln -s "$PWD/.venv" ../before/.venv
    cp tests/e2e/test_review_queue.py tests/e2e/journey.py ../before/tests/e2e/
    cp benchmarks/review_queue_before.py ../before/tests/e2e/test_review_queue_before.py
    cd ../before && .venv/bin/python -m pytest -p no:xdist tests/e2e/test_review_queue_before.py -s

Measured on 6 December 2026: 20 clicks, no field typed, 6.7–7.1 s; 4 of 10 settled otherwise than meant.
At d92d595 (the acts merged with dc85aa5, before issue 22's own wording and reference faces), with BEFORE
naming "Nobody is there" and "Reject" for the first two holds and the search kept: 22 clicks, 1 field, 4.4 s,
all 10 as meant.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.journey import Journey
from tests.e2e.test_review_queue import _clear, _holds, _school

pytestmark = pytest.mark.browser

# What those pages offered instead of the act that answers each hold; the others had theirs already.
BEFORE = {
    "unchecked person: nobody else is in it": "Yes, it was taken at this event",  # asked as a place question
    "unchecked person: block": "No, not taken at this event",  # no act blocks the person: only the place
    "unchecked person: name them": "Yes, it was taken at this event",  # no face to name, no search
    "public game, no event: yes": "Not taken at this event",  # no "yes": the only act blocks it
    "public game, no event: no": "Not taken at this event",
}


def test_before_a_reviewer_settles_the_same_queue_of_ten(
    page: Page, server: Server, sign_in: Callable[[str], Page]
) -> None:
    _school(server)
    waiting = [(_clear(server, hold), hold) for hold in _holds()]
    sign_in("reviewer")
    page.goto("/review")
    j = Journey()
    otherwise = []
    for clearance_id, hold in waiting:
        j.click(page.get_by_role("link", name=f"Review photo {clearance_id}", exact=True))
        expect(page.get_by_role("heading", name=f"Review photo {clearance_id}")).to_be_visible()
        act = BEFORE.get(hold.kind, hold.act)
        j.click(page.get_by_role("button", name=act, exact=True).first)
        said = page.locator(".notice, .flash, [role=status]").first.inner_text()
        print(f"\nBEFORE {hold.kind}: “{act}” -> {said!r} (meant: {hold.settled})")
        if f"now {hold.settled};" not in said:
            otherwise.append(hold.kind)
        if "/review/" in page.url:
            page.goto("/review")
    seconds = time.monotonic() - j.started
    print(
        f"\nJOURNEY reviewer before: a queue of 10: {j.clicks} clicks, {j.typed} fields typed, {seconds:.1f} s; "
        f"settled otherwise than meant: {len(otherwise)} {otherwise}"
    )

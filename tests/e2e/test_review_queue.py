"""The reviewer's queue of 10, measured: a reviewer at a desktop settles ten held photos of the kinds issue 22
names, each by the act that answers it, from the queue back to the queue, counting clicks, fields typed and
seconds (`-s` prints them; nothing here asserts a time). axe-core runs on the queue and on each kind's page
(outside the time).

    .venv/bin/python -m pytest -p no:xdist tests/e2e/test_review_queue.py -s

The same ten holds on the review pages as they were before (README, "The reviewer's queue of 10") needed
the acts listed there instead."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.clearances import service as clearances
from registry.clearances.check import Clearing, PhotoCheck
from registry.core.db import unit_of_work
from registry.faces import enrolment
from registry.models.base import id_of
from tests.district import DISTRICT
from tests.e2e.axe import check_page
from tests.e2e.conftest import FACES, PASSWORD, Server
from tests.e2e.journey import Journey
from tests.e2e.test_clearance import _person
from tests.hard_faces import face_photo

pytestmark = pytest.mark.browser
UPLOADER = "queue-of-ten@district.example.org"
LIN = FACES / "people/lin_manuel_miranda/lin-1-rgba.png"
KIT = FACES / "people/kit_harington"
ALEX = FACES / "people/alex_lacamoire"
BLOCK = "Someone who may not be shown: block or blur"


@dataclass
class Hold:
    """A held photo, the act that answers its hold (a search for a name first, where there is one) and what the
    photo then becomes."""

    kind: str
    photo: bytes
    context_kind: str
    public: bool
    act: str
    settled: str  # what the photo becomes: "may be posted" or "may not be posted"
    search: str | None = None


def _holds() -> list[Hold]:
    covered = face_photo("people/biden/biden-2.jpg", "upper half covered")  # a person whose face cannot be checked
    game = LIN.read_bytes()  # a student with no photo release, at a public game named by no event
    volunteer = (FACES / "people/alex_lacamoire/alex-2.jpg").read_bytes()  # a volunteer the policy does not name
    near = (KIT / "kit-2.jpg").read_bytes()  # a volunteer enrolled twice under two names: a near match
    allowed, blocked = "may be posted", "may not be posted"
    return [
        Hold("unchecked person: nobody else is in it", covered, "classroom", False, "Nobody else is in it", allowed),
        Hold("unchecked person: block", covered, "classroom", False, BLOCK, blocked),
        Hold("unchecked person: name them", covered, "classroom", False, "It is Quinn Queue", blocked, search="Quinn"),
        Hold("public game, no event: yes", game, "sporting_event", True, "Yes, a public game", allowed),
        Hold("public game, no event: no", game, "sporting_event", True, "No", blocked),
        Hold("public game, no event: yes", game, "sporting_event", True, "Yes, a public game", allowed),
        Hold("near match: it is the first", near, "classroom", False, "It is Kit Queue", allowed),
        Hold("near match: it is the second", near, "classroom", False, "It is Kit Twice", allowed),
        Hold("volunteer: allow", volunteer, "classroom", False, "Allow Alex Queue in this photo", allowed),
        Hold("volunteer: reject", volunteer, "classroom", False, "Reject", blocked),
    ]


def _school(server: Server) -> None:
    """The people the holds are about, their faces enrolled for this test only (the shared server's autouse
    fixture removes every face when a test ends)."""
    with unit_of_work(server.app.state.bind) as session:
        office = accounts.find_user_by_email(session, server.email("office"))
        assert office is not None
        accounts.add_user(
            session, data=UserCreate(email=UPLOADER, full_name="Quinn's coach", role="employee", password=PASSWORD)
        )
        _person(session, "S-Q10-QUINN", "Quinn Queue", "student")  # no release: once named, the photo is blocked
        enrolled = (
            (_person(session, "S-Q10-LIN", "Lin Queue", "student", "biometric"), LIN),
            (
                _person(session, "C-Q10-KIT", "Kit Queue", "community_member", "biometric", "image_release"),
                KIT / "kit-1.jpg",
            ),
            (
                _person(session, "C-Q10-KIT2", "Kit Twice", "community_member", "biometric", "image_release"),
                KIT / "kit-3.jpg",
            ),
            (_person(session, "C-Q10-ALEX", "Alex Queue", "community_member", "biometric"), ALEX / "alex-1.jpg"),
        )
        for person, photo in enrolled:
            enrolment.enrol_face(
                session,
                person=person,
                photo=photo.read_bytes(),
                face_index=None,
                created_by=office,
                settings=server.settings,
                district=DISTRICT,
            )


def _clear(server: Server, hold: Hold) -> int:
    with unit_of_work(server.app.state.bind) as session:
        uploader = accounts.find_user_by_email(session, UPLOADER)
        assert uploader is not None
        clearance = clearances.clear_photo(
            session,
            PhotoCheck(
                uploader=uploader,
                destination="personal_social_media",
                context_kind=hold.context_kind,
                context_public=hold.public,
                caption=hold.kind,
            ),
            hold.photo,
            using=Clearing(settings=server.settings, pack=server.app.state.pack, templates=server.app.state.templates),
        )
        assert clearance.decision == "needs_review", (hold.kind, clearance.reasons)
        return id_of(clearance)


def test_a_reviewer_settles_a_queue_of_ten_each_by_the_act_that_answers_it(
    page: Page, server: Server, sign_in: Callable[[str], Page]
) -> None:
    _school(server)
    holds = _holds()
    waiting = [(_clear(server, hold), hold) for hold in holds]
    sign_in("reviewer")
    page.goto("/review")
    check_page(page)
    checked: set[str] = set()
    j, checking = Journey(), 0.0
    for clearance_id, hold in waiting:
        j.click(page.get_by_role("link", name=f"Review photo {clearance_id}", exact=True))
        expect(page.get_by_role("heading", name=f"Review photo {clearance_id}")).to_be_visible()
        if hold.kind.split(":")[0] not in checked:
            started = time.monotonic()
            check_page(page)
            checked.add(hold.kind.split(":")[0])
            checking += time.monotonic() - started
        if hold.search is not None:
            face = page.locator(".review-face").first
            j.fill(face.get_by_role("searchbox"), hold.search)
            j.click(face.get_by_role("button", name="Find"))
        j.click(page.get_by_role("button", name=hold.act, exact=True).first)
        expect(page.get_by_text(f"Saved. The photo now {hold.settled};")).to_be_visible()
        page.wait_for_url("**/review")
    seconds = time.monotonic() - j.started - checking
    print(
        f"\nJOURNEY reviewer: a queue of 10 held photos, each settled: {j.clicks} clicks, {j.typed} fields typed, "
        f"{seconds:.1f} s (without axe-core)"
    )
    for clearance_id, _ in waiting:
        expect(page.get_by_role("link", name=f"Review photo {clearance_id}", exact=True)).to_have_count(0)

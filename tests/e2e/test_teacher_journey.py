"""The teacher's phone journey in a real browser, at a phone's width (390 px) and a desktop's, axe-core on every
page visited: from home to the decision on one photo, with the page saying what is happening while the photo is
checked and the button that sent it disabled; a second tap sends nothing more.

Each journey prints its clicks and seconds (`-s` shows them); nothing here asserts a time."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, func, select

from registry.accounts import service as accounts
from registry.core.db import unit_of_work
from registry.models.clearances import Clearance
from tests.e2e.axe import check_page
from tests.e2e.conftest import FACES, Server
from tests.e2e.test_photo_pages import _sign_in, coach, open_page, width  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def _photos_of(server: Server, email: str) -> int:
    with unit_of_work(server.app.state.bind) as session:
        user = accounts.find_user_by_email(session, email)
        assert user is not None
        return int(session.exec(select(func.count()).where(col(Clearance.uploader_id) == user.id)).one())


def test_a_teacher_clears_a_photo_from_home_and_a_second_tap_sends_nothing_more(
    open_page: Callable[..., Page],  # noqa: F811
    server: Server,
    coach: str,  # noqa: F811
    width: str,  # noqa: F811
) -> None:
    page = open_page()
    _sign_in(page, coach)
    check_page(page)
    started, clicks = time.monotonic(), 0
    page.get_by_role("link", name="Clear a photo").first.click()
    clicks += 1
    check_page(page)
    page.get_by_label("The photo", exact=True).set_input_files(str(FACES / "groups" / "biden-obama.jpg"))
    clicks += 1
    page.get_by_label("Staff members' personal social media").check()
    clicks += 1
    page.get_by_label("Kind of occasion").select_option("classroom")
    clicks += 1
    button = page.get_by_role("button", name="Check this photo")
    button.click()
    clicks += 1
    expect(page.get_by_role("heading", name="Do not post this photo")).to_be_visible(timeout=180_000)
    seconds = time.monotonic() - started
    check_page(page)
    assert _photos_of(server, coach) == 1
    print(f"\nJOURNEY teacher: upload to result [{width}]: {clicks} clicks, {seconds:.1f} s")

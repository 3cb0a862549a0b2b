"""Everyday photo pages in a real browser, at a desktop's width and a phone's, axe-core on every page visited:
a photo too large is stopped before it is sent (and, without JavaScript, answered with the form); yesterday's
photo is found in "My photos" by its name; an album's page follows its progress without reloading; the
decision's face labels do not overlap on a phone.

Each journey prints its clicks and seconds (`-s` shows them); nothing here asserts a time."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update
from sqlmodel import col

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.clearances import service as clearances
from registry.clearances.check import Clearing, PhotoCheck
from registry.core.db import unit_of_work
from registry.models.base import utcnow
from registry.models.clearances import Clearance
from tests.e2e.axe import check_page
from tests.e2e.conftest import DESKTOP, FACES, PASSWORD, PHONE, Server

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
MB = 1024 * 1024


@pytest.fixture(params=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def coach(server: Server, width: str, request: pytest.FixtureRequest) -> str:
    """An account of the test's own: other browser tests count the shared employee's photos."""
    email = f"coach-{request.node.name.replace('[', '-').rstrip(']')}@district.example.org".lower()
    with unit_of_work(server.app.state.bind) as session:
        if accounts.find_user_by_email(session, email) is None:
            accounts.add_user(
                session, data=UserCreate(email=email, full_name="Casey Coach", role="employee", password=PASSWORD)
            )
    return email


def _open(browser: Browser, server: Server, width: str, *, javascript: bool = True) -> Page:
    context = browser.new_context(
        base_url=server.url,
        viewport=WIDTHS[width],  # type: ignore[arg-type]
        java_script_enabled=javascript,
    )
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.fixture
def open_page(browser: Browser, server: Server, width: str) -> Iterator[Callable[..., Page]]:
    pages: list[Page] = []

    def open_(*, javascript: bool = True) -> Page:
        pages.append(_open(browser, server, width, javascript=javascript))
        return pages[-1]

    yield open_
    for page in pages:
        page.context.close()


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _fill_the_photo_form(page: Page, caption: str) -> None:
    page.get_by_label("Staff members' personal social media").check()
    page.get_by_label("Kind of occasion").select_option("sporting_event")
    page.get_by_role("textbox", name=re.compile(r"^Caption")).fill(caption)


def _big_file(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / name
    with path.open("wb") as handle:
        handle.write(b"\xff\xd8\xff\xe0")
        handle.truncate(size)
    return path


def _check_without_javascript(page: Page, open_page: Callable[..., Page]) -> None:
    """axe-core needs JavaScript: the page as a browser without it got it, checked in one that runs axe."""
    checker = open_page()
    checker.goto("/login")  # the same site, so the page's stylesheet loads as it did
    checker.set_content(page.content())
    check_page(checker)


def _clear(server: Server, email: str, photo: str, *, file_name: str, caption: str | None = None) -> Clearance:
    """A photo this account cleared, as the page would have recorded it."""
    with unit_of_work(server.app.state.bind) as session:
        uploader = accounts.find_user_by_email(session, email)
        assert uploader is not None
        return clearances.clear_photo(
            session,
            PhotoCheck(
                uploader=uploader,
                destination="personal_social_media",
                event_id=None,
                context_kind="classroom",
                context_public=False,
                tags=tuple([]),
                caption=caption,
                file_name=file_name,
            ),
            (FACES / photo).read_bytes(),
            using=Clearing(settings=server.settings, pack=server.app.state.pack, templates=server.app.state.templates),
        )


def _report(journey: str, width: str, clicks: int, started: float) -> None:
    print(f"\nJOURNEY {journey} [{width}]: {clicks} clicks, {time.monotonic() - started:.1f} s")


def test_a_photo_too_large_is_stopped_in_the_browser_before_it_is_sent(
    open_page: Callable[..., Page], coach: str, width: str, tmp_path: Path
) -> None:
    page = open_page()
    _sign_in(page, coach)
    started, clicks = time.monotonic(), 0
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clear a photo").click()
    clicks += 1
    expect(page.get_by_text("up to 30 MB")).to_be_visible()
    check_page(page)
    _fill_the_photo_form(page, "Senior night")
    page.get_by_label("The photo", exact=True).set_input_files(str(_big_file(tmp_path, "game.jpg", 31 * MB)))
    message = page.locator("#s-photo [role=alert]")
    expect(message).to_have_text("“game.jpg” is 31 MB; each file may be up to 30 MB. Choose a smaller copy.")
    expect(page.get_by_label("The photo", exact=True)).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Check this photo").click()
    clicks += 1
    expect(page).to_have_url(f"{page.url.split('/clearances')[0]}/clearances/new")  # nothing was sent
    expect(page.get_by_role("textbox", name=re.compile(r"^Caption"))).to_have_value("Senior night")
    check_page(page)
    _report("too-large photo caught (JavaScript on)", width, clicks, started)


def test_without_javascript_a_photo_too_large_is_answered_with_the_form(
    open_page: Callable[..., Page], coach: str, width: str, tmp_path: Path
) -> None:
    page = open_page(javascript=False)
    _sign_in(page, coach)
    started, clicks = time.monotonic(), 0
    page.goto("/clearances/new")
    # just over the limit: the page's own check answers, keeping what was typed
    _fill_the_photo_form(page, "Senior night")
    page.get_by_label("The photo", exact=True).set_input_files(str(_big_file(tmp_path, "game.jpg", 30 * MB + 4096)))
    page.get_by_role("button", name="Check this photo").click()
    clicks += 1
    expect(page.locator("#e-photo")).to_contain_text("A photo may be up to 30 MB.")
    expect(page.get_by_role("textbox", name=re.compile(r"^Caption"))).to_have_value("Senior night")
    expect(page.get_by_text("Please choose the photo again")).to_be_visible()
    _check_without_javascript(page, open_page)
    # far over it: refused before the page runs, answered with the form page, never JSON
    page.get_by_label("The photo", exact=True).set_input_files(str(_big_file(tmp_path, "huge.jpg", 40 * MB)))
    page.get_by_role("button", name="Check this photo").click()
    clicks += 1
    expect(page.locator("#refused-upload")).to_contain_text("Nothing was received")
    expect(page.locator("#refused-upload")).to_contain_text("A photo may be up to 30 MB.")
    expect(page.get_by_role("heading", name="Clear a photo")).to_be_visible()
    assert "detail" not in page.locator("body").inner_text()
    _check_without_javascript(page, open_page)
    _report("too-large photo answered (JavaScript off)", width, clicks, started)


def test_yesterdays_photo_is_found_in_my_photos_by_its_name(
    open_page: Callable[..., Page], server: Server, coach: str, width: str
) -> None:
    game = _clear(server, coach, "people/obama/obama-2.jpg", file_name="game.jpg", caption="Home game, second half")
    _clear(server, coach, "edge/obama-240p.jpg", file_name="bus.jpg")
    with unit_of_work(server.app.state.bind) as session:
        session.execute(
            update(Clearance).where(col(Clearance.id) == game.id).values(created_at=utcnow() - timedelta(days=1))
        )
    page = open_page()
    _sign_in(page, coach)
    started, clicks = time.monotonic(), 0
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My photos").click()
    clicks += 1
    yesterday = page.locator(".history-day", has=page.get_by_role("heading", name="Yesterday"))
    expect(yesterday.locator(".photo-entry")).to_have_count(1)
    expect(yesterday).to_contain_text("“Home game, second half”")
    expect(yesterday.locator(".badge")).to_be_visible()
    page.wait_for_function("() => [...document.querySelectorAll('.photo-thumb')].every(i => i.complete)")
    check_page(page)
    yesterday.get_by_role("link", name="game.jpg").click()
    clicks += 1
    expect(page.locator(".decision-file")).to_contain_text("game.jpg")
    check_page(page)
    _report("find yesterday's photo in My photos", width, clicks, started)


def test_an_albums_progress_updates_in_place(open_page: Callable[..., Page], coach: str, width: str) -> None:
    page = open_page()
    _sign_in(page, coach)
    started, clicks = time.monotonic(), 0
    page.goto("/albums/new")
    check_page(page)
    page.get_by_label("The photos").set_input_files(
        [str(FACES / "edge/obama-240p.jpg"), str(FACES / "people/obama/obama-2.jpg")]
    )
    page.get_by_label("Staff members' personal social media").check()
    page.get_by_label("Kind of occasion").select_option("classroom")
    page.get_by_role("button", name="Check these photos").click()
    clicks += 1
    expect(page.get_by_role("heading", name="Album", exact=False)).to_be_visible()
    page.evaluate("window.notReloaded = true")
    page.get_by_role("link", name="← My albums").focus()
    expect(page.get_by_text("All 2 photos checked.", exact=True)).to_be_visible(timeout=120_000)
    assert page.evaluate("window.notReloaded === true"), "the page was reloaded"
    expect(page.locator("#album-announce")).to_contain_text("All 2 photos checked.")
    assert page.evaluate("document.activeElement.textContent.trim()") == "← My albums"
    expect(page.locator(".album-grid li")).to_have_count(2)
    check_page(page)
    _report("follow an album to the end", width, clicks, started)


def test_without_javascript_an_albums_page_refreshes_itself(
    open_page: Callable[..., Page], coach: str, width: str
) -> None:
    page = open_page(javascript=False)
    _sign_in(page, coach)
    page.goto("/albums/new")
    page.get_by_label("The photos").set_input_files([str(FACES / "edge/obama-240p.jpg")])
    page.get_by_label("Staff members' personal social media").check()
    page.get_by_label("Kind of occasion").select_option("classroom")
    page.get_by_role("button", name="Check these photos").click()
    expect(
        page.get_by_role("link", name="refresh it now").or_(page.get_by_text("The photo has been checked."))
    ).to_be_visible()
    _check_without_javascript(page, open_page)
    expect(page.get_by_text("The photo has been checked.", exact=True)).to_be_visible(timeout=120_000)
    _check_without_javascript(page, open_page)


def test_the_decisions_face_labels_do_not_overlap(
    open_page: Callable[..., Page], server: Server, coach: str, width: str
) -> None:
    clearance = _clear(server, coach, "groups/biden-obama-child.jpg", file_name="assembly.jpg")
    page = open_page()
    _sign_in(page, coach)
    page.goto(f"/clearances/{clearance.id}")
    page.wait_for_function("() => document.querySelector('.photo-boxes img').complete")
    expect(page.get_by_role("heading", name="3 faces found")).to_be_visible()
    tags = page.locator(".face-tag").evaluate_all(
        "tags => tags.map(t => { const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"
    )
    assert len(tags) == 3
    for i, a in enumerate(tags):
        for b in tags[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, f"face labels overlap at {width}: {a} and {b}"
    check_page(page)
    # The copy's name ("assembly-blurred.jpg") is the server's answer: tests/api/test_web_my_photos.py reads it.
    expect(page.locator(".decision-file")).to_have_text("assembly.jpg")

"""A coach clears a handful of photos at once and watches them sorted by decision."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.axe import check_page
from tests.e2e.conftest import FACES, SCREENSHOTS
from tests.e2e.test_photo_pages import _sign_in, coach, open_page, width  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_an_album_is_cleared_in_the_background_and_shown_by_decision(
    page: Page,
    sign_in: Callable[[str], Page],
    shoot: Callable[[Page, str], None],
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes((FACES / "people/kit_harington/kit-3.jpg").read_bytes()[:2000])
    sign_in("office")  # a user of its own: other tests count the employee's photos
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Albums").click()
    page.get_by_role("link", name="+ Clear an album").click()
    page.get_by_label("The photos").set_input_files(
        [str(FACES / "groups/kit-rose.jpg"), str(FACES / "edge/obama-240p.jpg"), str(broken)]
    )
    page.get_by_label("Staff members' personal social media").check()
    page.get_by_label("Kind of occasion").select_option("classroom")
    shoot(page, "album-new")
    page.get_by_role("button", name="Check these photos").click()
    expect(page.get_by_role("heading", name="Album", exact=False)).to_be_visible()
    expect(page.get_by_text("All 3 photos checked.", exact=True)).to_be_visible(timeout=120_000)
    # kit-rose: two faces nobody enrolled; obama-240p: one face too small to recognise, for a reviewer
    expect(page.locator(".album-group", has_text="Do not post").locator(".album-grid li")).to_have_count(1)
    expect(page.locator(".album-group", has_text="Waiting for a reviewer")).to_contain_text("obama-240p.jpg")
    expect(page.locator(".album-group", has_text="Could not be read")).to_contain_text("broken.jpg")
    page.wait_for_function("() => [...document.querySelectorAll('.album-grid img')].every(i => i.complete)")
    shoot(page, "album-result")
    page.locator(".album-grid a").first.click()
    expect(page.get_by_role("heading", name="Do not post this photo")).to_be_visible()


def test_an_albums_photos_are_kept_after_a_mistake_in_its_form(
    open_page: Callable[..., Page],  # noqa: F811
    coach: str,  # noqa: F811
    width: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """At a phone's width and a desktop's: the form comes back saying the photos are kept, and sending it again
    without choosing them starts the album with all of them."""
    chosen = [FACES / "edge/obama-240p.jpg"]
    for number, colour in enumerate(("green", "navy"), 1):
        plain = tmp_path / f"field-{number}.jpg"  # no face: quick to check
        Image.new("RGB", (320, 240), colour).save(plain, "JPEG")
        chosen.append(plain)
    page = open_page()
    _sign_in(page, coach)
    started, clicks = time.monotonic(), 0
    page.goto("/albums/new")
    page.get_by_label("The photos").set_input_files([str(path) for path in chosen])
    page.get_by_label("Staff members' personal social media").check()
    page.get_by_role("button", name="Check these photos").click()  # neither an event nor a kind of occasion
    clicks += 3
    expect(page.locator("#e-event_id")).to_contain_text("say what kind of occasion it was")
    expect(page.locator("#held-album")).to_contain_text("Your 3 photos are kept; fix the marked field and send again.")
    expect(page.get_by_text("Please choose the photos again")).to_have_count(0)
    expect(page.get_by_label("Other photos instead")).to_be_visible()
    check_page(page)
    if width == "phone":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "album-photos-kept-phone.png"), full_page=True)
    page.get_by_label("Kind of occasion").select_option("classroom")
    page.get_by_role("button", name="Check these photos").click()
    clicks += 2
    expect(page.get_by_role("heading", name="Album", exact=False)).to_be_visible()
    expect(page.get_by_text(re.compile(r"of 3 photos"))).to_be_visible()
    check_page(page)
    print(f"\nJOURNEY album: a mistake, then sent [{width}]: {clicks} clicks, {time.monotonic() - started:.1f} s")

"""A coach clears a handful of photos at once and watches them sorted by decision."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import FACES

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

"""The teacher in a real browser, at a phone's width (390 px) and a desktop's, axe-core on every page visited:
from home to the decision on one photo, with the page saying in words what happens while the photo is checked
and the button that sent it disabled (a second tap sends nothing more); a mistake in the form keeps the photo
chosen; the tag questions that matter where the photo goes; an album page left open follows a reviewer's act;
an address that does not exist answers with a page. And the double submit through the API, at the same time.

Each journey prints its clicks and seconds (`-s` shows them); nothing here asserts a time."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, func, select

from registry.accounts import service as accounts
from registry.clearances import reviews
from registry.clearances.schemas import ClearanceReviewRequest
from registry.clearances.service import UNCHECKED_PERSON, faces_of
from registry.core.db import unit_of_work
from registry.models.clearances import Clearance
from registry.policy.ledger import District
from tests.e2e.axe import check_page
from tests.e2e.conftest import FACES, PASSWORD, SCREENSHOTS, Server
from tests.e2e.test_photo_pages import _sign_in, coach, open_page, width  # noqa: F401 - fixtures
from tests.hard_faces import face_photo

pytestmark = pytest.mark.browser
COVERED_IN_A_SUIT = "people/biden/biden-2.jpg"  # head, shoulders and chest in view
GROUP = FACES / "groups" / "biden-obama.jpg"
# Written into the tab's session storage just after the form is sent, to be read on the result page.
WATCH_THE_SUBMIT = """() => {
  const form = document.querySelector("form[data-checking]");
  form.addEventListener("submit", () => setTimeout(() => {
    const button = form.querySelector("button[type=submit]");
    button.click();  // the second tap
    form.requestSubmit();  // and one more, however it comes
    sessionStorage.setItem("seen", JSON.stringify({
      disabled: button.disabled,
      button: button.textContent.trim(),
      words: document.querySelector("#checking").innerText.trim(),
    }));
  }, 30));
}"""


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
    page.get_by_label("The photo", exact=True).set_input_files(str(GROUP))
    clicks += 1
    page.get_by_label("Staff members' personal social media").check()
    clicks += 1
    page.get_by_label("Kind of occasion").select_option("classroom")
    clicks += 1
    page.evaluate(WATCH_THE_SUBMIT)
    page.get_by_role("button", name="Check this photo").click()
    clicks += 1
    expect(page.get_by_role("heading", name="Do not post this photo")).to_be_visible(timeout=180_000)
    seconds = time.monotonic() - started
    seen = json.loads(page.evaluate("sessionStorage.getItem('seen')"))
    assert seen["disabled"] is True and seen["button"] == "Checking…"
    assert "Sending the photo" in seen["words"] or "Finding the faces" in seen["words"], seen
    assert "checked once, even if you tap again" in seen["words"]
    check_page(page)
    assert _photos_of(server, coach) == 1
    # every finding is boxed on the photo, and what was found at each number said in words under it
    expect(page.locator(".face-box")).to_have_count(2)
    expect(page.locator(".finding-key li")).to_have_count(2)
    expect(page.locator(".finding-key li").first).to_contain_text(re.compile("recognised · (allowed|blocked)", re.I))
    print(f"\nJOURNEY teacher: upload to result [{width}]: {clicks} clicks, {seconds:.1f} s")

    page.go_back()  # back to the form: ready for another photo
    expect(page.get_by_role("button", name="Check this photo")).to_be_enabled()


def test_the_checking_words_pass_axe_core(
    open_page: Callable[..., Page],  # noqa: F811
    coach: str,  # noqa: F811
    width: str,  # noqa: F811
) -> None:
    page = open_page()
    _sign_in(page, coach)
    page.goto("/clearances/new")
    page.evaluate("document.querySelector('[data-checking-body]').hidden = false")
    page.evaluate("document.querySelector('[data-checking-words]').textContent = 'Finding the faces in the photo…'")
    check_page(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#checking").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"photo-checking-{width}.png"))


def test_a_mistake_in_the_form_keeps_the_photo_chosen(
    open_page: Callable[..., Page],  # noqa: F811
    server: Server,
    coach: str,  # noqa: F811
    width: str,  # noqa: F811
) -> None:
    page = open_page()
    _sign_in(page, coach)
    started, clicks = time.monotonic(), 0
    page.goto("/clearances/new")
    page.get_by_label("The photo", exact=True).set_input_files(str(GROUP))
    page.get_by_label("Staff members' personal social media").check()
    page.get_by_role("textbox", name=re.compile(r"^Caption")).fill("Reading corner")
    page.get_by_role("button", name="Check this photo").click()  # neither an event nor a kind of occasion
    clicks += 4
    expect(page.locator("#e-event_id")).to_contain_text("say what kind of occasion it was")
    expect(page.locator("#held-photo")).to_contain_text("Your photo “biden-obama.jpg” is kept")
    expect(page.get_by_text("Please choose the photo again")).to_have_count(0)
    expect(page.get_by_label("Kind of occasion (when no event is chosen)")).to_be_visible()
    check_page(page)
    page.get_by_label("Kind of occasion").select_option("classroom")
    page.get_by_role("button", name="Check this photo").click()
    clicks += 2
    expect(page.get_by_role("heading", name="Do not post this photo")).to_be_visible(timeout=180_000)
    expect(page.locator(".decision-file")).to_contain_text("biden-obama.jpg")
    expect(page.locator(".decision-file")).to_contain_text("Reading corner")
    check_page(page)
    print(
        f"\nJOURNEY teacher: a mistake, then the result [{width}]: {clicks} clicks, {time.monotonic() - started:.1f} s"
    )
    assert _photos_of(server, coach) == 1


def test_the_form_asks_each_tag_only_where_it_matters(open_page: Callable[..., Page], coach: str) -> None:  # noqa: F811
    page = open_page()
    _sign_in(page, coach)
    page.goto("/clearances/new")
    inside = page.get_by_label("Shows areas of a school not open to the public (offices, corridors, security)")
    page.get_by_label("Staff members' personal social media").check()
    expect(inside).to_be_visible()
    inside.check()
    expect(page.get_by_text("Shows the outside of a school building")).to_have_count(0)  # no rule holds it against
    check_page(page)
    page.get_by_label("The district and school websites").check()
    expect(inside).to_be_hidden()
    expect(inside).not_to_be_checked()  # a tag that does not matter there is not sent
    expect(page.get_by_label("Shows a floor plan or map of a building")).to_be_visible()
    check_page(page)


def test_an_album_page_left_open_follows_a_reviewers_act(
    open_page: Callable[..., Page],  # noqa: F811
    server: Server,
    coach: str,  # noqa: F811
    width: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    covered = tmp_path / "covered.jpg"  # a person whose face cannot be checked: a reviewer decides
    covered.write_bytes(face_photo(COVERED_IN_A_SUIT, "upper half covered"))
    page = open_page()
    _sign_in(page, coach)
    page.goto("/albums/new")
    expect(page.get_by_role("group", name="Where were they taken?")).to_be_visible()
    expect(page.get_by_role("group", name="Where do you want to post them?")).to_be_visible()
    page.get_by_label("The photos").set_input_files([str(covered)])
    page.get_by_label("Staff members' personal social media").check()
    page.get_by_label("Kind of occasion").select_option("classroom")
    page.get_by_role("button", name="Check these photos").click()
    expect(page.get_by_text("The photo has been checked.", exact=True)).to_be_visible(timeout=120_000)
    waiting = page.locator(".album-group", has_text="Waiting for a reviewer")
    expect(waiting.locator("li")).to_have_count(1)
    check_page(page)
    page.evaluate("window.notReloaded = true")
    album_url = page.url

    clearance_id = int(waiting.locator("a").get_attribute("href").rsplit("/", 1)[-1])  # type: ignore[union-attr]
    with unit_of_work(server.app.state.bind) as session:
        reviewer = accounts.find_user_by_email(session, server.email("reviewer"))
        clearance = session.get(Clearance, clearance_id)
        assert reviewer is not None and clearance is not None
        [unchecked] = [f.index for f in faces_of(session, clearance_id) if f.match_reason.startswith(UNCHECKED_PERSON)]
        reviews.review_clearance(
            session,
            clearance=clearance,
            reviewer=reviewer,
            data=ClearanceReviewRequest.model_validate({"faces": [{"index": unchecked, "resolution": "reject"}]}),
            district=District(server.app.state.pack, server.settings.time_zone),
        )
    blocked = page.locator(".album-group", has_text="Do not post")
    expect(blocked.locator("li")).to_have_count(1, timeout=60_000)  # the page follows, without a reload
    expect(page.locator(".album-group", has_text="Waiting for a reviewer")).to_have_count(0)
    assert page.evaluate("window.notReloaded === true")
    check_page(page)
    blocked.locator("a").click()
    page.get_by_role("link", name=re.compile(r"← Album \d+")).click()  # the photo leads back to its album
    assert page.url == album_url


def test_an_unknown_address_answers_with_a_page(open_page: Callable[..., Page], coach: str) -> None:  # noqa: F811
    page = open_page()
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    check_page(page)
    _sign_in(page, coach)
    page.goto("/clearances/99999999/nothing")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    check_page(page)


def test_the_same_upload_sent_twice_at_once_through_the_api_is_one_clearance(server: Server, coach: str) -> None:  # noqa: F811
    with httpx.Client(base_url=server.url, timeout=300) as client:
        token = client.post("/api/v1/auth/token", data={"username": coach, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}

        def send(_: int) -> httpx.Response:
            return client.post(
                "/api/v1/clearances",
                data={"destination": "personal_social_media", "context_kind": "assembly", "context_public": "false"},
                files={"photo": ("assembly.jpg", GROUP.read_bytes(), "image/jpeg")},
                headers=headers,
            )

        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(send, range(2))
        assert first.status_code == second.status_code == 201, (first.text, second.text)
        assert first.json()["id"] == second.json()["id"]
        assert _photos_of(server, coach) == 1
        assert first.json()["photo_sha256"] == hashlib.sha256(GROUP.read_bytes()).hexdigest()

        def blur(_: int) -> httpx.Response:
            return client.get(f"/api/v1/clearances/{first.json()['id']}/redacted", headers=headers)

        with ThreadPoolExecutor(2) as pool:
            one, two = pool.map(blur, range(2))
        assert one.status_code == two.status_code, (one.text, two.text)
        if one.status_code == 200:
            assert one.headers["X-Clearance-Id"] == two.headers["X-Clearance-Id"]
        else:  # the copy waits for a reviewer or is blocked: the same copy is named both times
            assert one.json()["detail"] == two.json()["detail"]

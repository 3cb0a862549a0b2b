"""Accounts in a real browser, at a desktop's width and a phone's: an administrator links, unlocks, sets a
temporary password, deactivates and reactivates; everyone changes their own password; signing out ends
the session. axe-core checks every page visited."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.core.db import make_engine, unit_of_work
from registry.people import service as people
from registry.people.schemas import PersonCreate
from tests.e2e.axe import check_page
from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, Server

pytestmark = pytest.mark.browser
NEW_PASSWORD = "copper kettle saturday drizzle"
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture(params=list(WIDTHS))
def width(request: pytest.FixtureRequest, page: Page) -> str:
    page.set_viewport_size(WIDTHS[request.param])  # type: ignore[arg-type]
    return str(request.param)


@pytest.fixture
def snap(shoot: Callable[[Page, str], None], width: str) -> Callable[[Page, str], None]:
    """Screenshots at both widths, then back to the width under test."""

    def take(page: Page, name: str) -> None:
        shoot(page, f"{name}-{width}")
        page.set_viewport_size(WIDTHS[width])  # type: ignore[arg-type]

    return take


@pytest.fixture
def make_account(server: Server) -> Callable[..., str]:
    def make(email: str, name: str, *, external_id: str | None = None) -> str:
        engine = make_engine(server.settings.sqlalchemy_url)
        with unit_of_work(engine) as session:
            accounts.add_user(session, data=UserCreate(email=email, full_name=name, role="employee", password=PASSWORD))
            if external_id:
                people.add_person(session, data=PersonCreate(external_id=external_id, kind="employee", name=name))
        engine.dispose()
        return email

    return make


@pytest.fixture
def other_browser(browser: Browser, server: Server, width: str) -> Iterator[Callable[[], Page]]:
    """Another person's browser (the coach's phone, a stranger's computer), at the same width."""
    contexts: list[BrowserContext] = []

    def open_() -> Page:
        context = browser.new_context(base_url=server.url, viewport=WIDTHS[width])  # type: ignore[arg-type]
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


def sign_in_as(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def open_account(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    check_page(page)
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    check_page(page)


def test_an_administrator_links_unlocks_and_sets_a_temporary_password(
    page: Page,
    sign_in: Callable[[str], Page],
    make_account: Callable[..., str],
    other_browser: Callable[[], Page],
    width: str,
    snap: Callable[[Page, str], None],
) -> None:
    name = f"Carter {width.title()}"
    coach = make_account(f"carter-{width}@district.example.org", name, external_id=f"E-{width}")
    coach_phone = other_browser()
    sign_in_as(coach_phone, coach)
    expect(coach_phone).to_have_url(re.compile(r"/$"))

    sign_in("admin")
    open_account(page, name)
    expect(page.get_by_text("Not linked.")).to_be_visible()
    page.get_by_label("Their ID in the registry").fill("E-nobody")
    page.get_by_role("button", name="Link").click()
    expect(page.get_by_text("No one in the registry has the ID E-nobody")).to_be_visible()
    check_page(page)
    page.get_by_label("Their ID in the registry").fill(f"E-{width}")
    page.get_by_role("button", name="Link").click()
    expect(page.get_by_text("their own face no longer stops them")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Unlink").click()
    expect(page.get_by_text("no longer linked")).to_be_visible()

    stranger = other_browser()
    for _ in range(5):
        sign_in_as(stranger, coach, "a wrong guess!")
    sign_in_as(stranger, coach)
    expect(stranger.get_by_text("signing in from here is locked")).to_be_visible()
    check_page(stranger)
    page.reload()
    expect(page.get_by_text(re.compile("Locked until")).first).to_be_visible()
    snap(page, "admin-account-locked")
    page.get_by_role("button", name="Unlock now").click()
    expect(page.get_by_text("can sign in again now")).to_be_visible()

    page.get_by_role("button", name="Set a temporary password").click()
    expect(page.get_by_role("heading", name=f"Set a temporary password for {name}?")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Yes, set a temporary password").click()
    temporary = page.get_by_label(f"Temporary password for {name}").input_value()
    assert len(temporary) >= 16
    check_page(page)
    snap(page, "admin-temporary-password")
    page.goto(page.url)  # shown once: not on the page when opened again
    expect(page.get_by_label(f"Temporary password for {name}")).to_have_count(0)
    expect(page.get_by_text("Must change password").first).to_be_visible()

    coach_phone.reload()
    expect(coach_phone).to_have_url(re.compile(r"/login"))  # signed out everywhere
    sign_in_as(coach_phone, coach, temporary)
    expect(coach_phone).to_have_url(re.compile(r"/account/password$"))
    expect(coach_phone.get_by_text("Choose your own to continue")).to_be_visible()
    check_page(coach_phone)
    coach_phone.goto("/clearances/new")
    expect(coach_phone).to_have_url(re.compile(r"/account/password$"))  # nothing else until it is changed
    expect(coach_phone.get_by_label("The temporary password")).to_have_count(0)  # typed a moment ago
    coach_phone.get_by_label("New password", exact=True).fill("password12")
    coach_phone.get_by_label("New password again").fill("password12")
    coach_phone.get_by_role("button", name="Change my password").click()
    expect(
        coach_phone.get_by_text("This password is too easy to guess. This is a very common password.")
    ).to_be_visible()
    check_page(coach_phone)
    snap(coach_phone, "password-refused")
    coach_phone.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    coach_phone.get_by_label("New password again").fill(NEW_PASSWORD)
    coach_phone.get_by_role("button", name="Change my password").click()
    expect(coach_phone.get_by_text("Your password has been changed.")).to_be_visible()
    check_page(coach_phone)

    page.reload()
    expect(page.get_by_text("Must change password")).to_have_count(0)
    page.goto("/admin/users")
    expect(page.locator("tr", has_text=coach).get_by_text("Active", exact=True)).to_be_visible()
    check_page(page)
    snap(page, "admin-users")


def test_an_administrator_deactivates_and_later_reactivates_an_account(
    page: Page,
    sign_in: Callable[[str], Page],
    make_account: Callable[..., str],
    other_browser: Callable[[], Page],
    width: str,
) -> None:
    name = f"Dana {width.title()}"
    coach = make_account(f"dana-{width}@district.example.org", name)
    coach_phone = other_browser()
    sign_in_as(coach_phone, coach)
    expect(coach_phone).to_have_url(re.compile(r"/$"))

    sign_in("admin")
    open_account(page, name)
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("heading", name=f"Deactivate {name}'s account?")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="No, go back").click()
    expect(page.get_by_text("Deactivated", exact=True)).to_have_count(0)  # nothing was done
    page.get_by_role("button", name="Deactivate").click()
    page.get_by_role("button", name=f"Yes, deactivate {name}'s account").click()
    expect(page.get_by_text("account is deactivated: they were signed out everywhere")).to_be_visible()
    expect(page.get_by_text("Deactivated", exact=True).first).to_be_visible()
    check_page(page)

    coach_phone.reload()
    expect(coach_phone).to_have_url(re.compile(r"/login"))
    sign_in_as(coach_phone, coach)
    expect(coach_phone.get_by_text("This account has been deactivated")).to_be_visible()
    check_page(coach_phone)

    page.get_by_role("button", name="Reactivate").click()
    expect(page.get_by_text("is active again")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="← All users").click()
    row = page.locator("tr", has_text=coach)
    expect(row.get_by_text("Active", exact=True)).to_be_visible()
    sign_in_as(coach_phone, coach)
    expect(coach_phone).to_have_url(re.compile(r"/$"))


def test_everyone_changes_their_password_and_signing_out_ends_the_session(
    page: Page,
    browser: Browser,
    server: Server,
    make_account: Callable[..., str],
    width: str,
    snap: Callable[[Page, str], None],
) -> None:
    email = make_account(f"erin-{width}@district.example.org", f"Erin {width.title()}")
    sign_in_as(page, email)
    check_page(page)
    page.get_by_role("link", name="Change my password").click()
    check_page(page)
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_text("Your current password is not right.")).to_be_visible()
    check_page(page)
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    snap(page, "password-changed")

    cookies = page.context.cookies()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    check_page(page)
    replay = browser.new_context(base_url=server.url, viewport=WIDTHS[width])  # type: ignore[arg-type]
    try:
        replay.add_cookies(cookies)  # type: ignore[arg-type]
        copied = replay.new_page()
        copied.goto("/")
        expect(copied).to_have_url(re.compile(r"/login"))
    finally:
        replay.close()
    sign_in_as(page, email, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))

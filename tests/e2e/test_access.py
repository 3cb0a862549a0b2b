"""Roles and forms in a real browser: refusals by URL, navigation per role, CSRF, administration."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_an_employee_sees_only_their_pages(
    page: Page,
    sign_in: Callable[[str], Page],
    shoot: Callable[[Page, str], None],
) -> None:
    sign_in("employee")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Clear a photo")).to_be_visible()
    for hidden in ("People", "Import roster", "Events", "Users", "API tokens", "Review queue"):
        expect(nav.get_by_role("link", name=hidden)).to_have_count(0)
    expect(page.get_by_role("link", name="Find a person")).to_have_count(0)
    shoot(page, "home-employee")
    for path in ("/people", "/people/new", "/roster", "/events", "/admin/users", "/review"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("heading", name="This page is not available to you")).to_be_visible()
        expect(page.locator("table")).to_have_count(0)
    shoot(page, "refused")


def test_a_form_posted_without_its_csrf_token_is_refused(
    page: Page,
    sign_in: Callable[[str], Page],
    shoot: Callable[[Page, str], None],
) -> None:
    sign_in("office")
    page.goto("/people/new")
    page.locator("#main input[name=csrf_token]").evaluate("input => input.remove()")
    page.get_by_label("Full name").fill("Forged Person")
    page.get_by_label("ID number").fill("F-1")
    page.get_by_role("button", name="Add this person").click()
    expect(page.get_by_role("heading", name="The form has expired")).to_be_visible()
    shoot(page, "csrf-refused")
    page.goto("/people?q=Forged")
    expect(page.get_by_text("Nobody matches this search.")).to_be_visible()


def test_signed_out_visitors_are_sent_to_sign_in_and_back(page: Page, server) -> None:
    page.goto("/events")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fevents"))
    page.get_by_label("Email address").fill(server.email("office"))
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong email or password.")).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_value(server.email("office"))
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/events$"))
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_admin_creates_a_user_and_an_api_token_shown_once(
    page: Page,
    sign_in: Callable[[str], Page],
    shoot: Callable[[Page, str], None],
) -> None:
    sign_in("admin")
    shoot(page, "home-admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    form = page.locator("form", has=page.get_by_role("button", name="Create the account"))
    form.get_by_label("Full name").fill("Pat Principal")
    form.get_by_label("Email address").fill("pat@district.example.org")
    form.get_by_label("Role").select_option("reviewer")
    form.get_by_label("First password").fill("short")
    form.get_by_role("button", name="Create the account").click()
    expect(page.get_by_text("The password must be at least 10 characters long.")).to_be_visible()
    expect(form.get_by_label("Full name")).to_have_value("Pat Principal")
    form.get_by_label("First password").fill("a long enough password")
    form.get_by_role("button", name="Create the account").click()
    expect(page.get_by_text("The account for Pat Principal")).to_be_visible()
    row = page.locator("tr", has_text="pat@district.example.org")
    expect(row.get_by_text("Reviewer")).to_be_visible()
    shoot(page, "admin-users")
    row.get_by_role("link", name="Pat Principal").click()
    expect(page.get_by_label("Role of Pat Principal")).to_have_value("reviewer")
    page.get_by_role("button", name="Deactivate").click()
    page.get_by_role("button", name="Yes, deactivate Pat Principal's account").click()
    expect(page.get_by_text("Deactivated", exact=True).first).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="API tokens").click()
    page.get_by_label("What is it for?").fill("PowerSchool nightly roster")
    page.get_by_role("button", name="Create the token").click()
    token = page.get_by_label("New API token").input_value()
    assert token.startswith("crt_") and len(token) > 30
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    shoot(page, "admin-token-created")
    page.goto("/admin/tokens")
    expect(page.get_by_label("New API token")).to_have_count(0)
    assert token not in page.content()
    row = page.locator("tr", has_text="PowerSchool nightly roster")
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("tr", has_text="PowerSchool nightly roster").get_by_text("Revoked")).to_be_visible()

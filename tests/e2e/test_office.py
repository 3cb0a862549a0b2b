"""Office staff in a real browser: add a student, record a consent with its scan, revoke it, import a roster."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import FACES

pytestmark = pytest.mark.browser


def test_office_records_a_consent_with_its_scan_and_revokes_it(
    page: Page,
    sign_in: Callable[[str], Page],
    shoot: Callable[[Page, str], None],
) -> None:
    sign_in("office")
    expect(page.get_by_role("link", name="Find a person")).to_be_visible()
    shoot(page, "home-office")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_role("link", name="+ Add a person").click()
    page.get_by_label("Who is this?").select_option("student")
    page.get_by_label("Full name").fill("Maya Lopez")
    page.get_by_label("ID number").fill("S 1001")  # a space: refused, and what was typed is kept
    page.locator("#f-guardian1_name").fill("Ana Lopez")
    page.get_by_role("button", name="Add this person").click()
    expect(page.get_by_text("Use only letters, digits")).to_be_visible()
    expect(page.locator("#f-guardian1_name")).to_have_value("Ana Lopez")
    shoot(page, "add-person-error")
    page.get_by_label("ID number").fill("S-1001")
    page.get_by_role("button", name="Add this person").click()
    expect(page.get_by_role("heading", name="Maya Lopez", exact=True)).to_be_visible()
    maya_page = page.url.split("#")[0].removeprefix(page.url.split("/people/")[0])  # /people/N
    expect(page.get_by_text("Ana Lopez")).to_be_visible()

    page.get_by_role("link", name="+ Record a consent").first.click()
    expect(page.get_by_label("Valid until")).to_have_value("")  # no end is guessed: the signing date sets it
    release = page.get_by_role("group", name="Photo release: what does the form say?")
    expect(release.get_by_label("Yes — they give permission")).not_to_be_checked()  # nor the answer
    page.get_by_label("Signed on").fill(date.today().isoformat())
    release.get_by_label("Yes — they give permission").check()
    page.get_by_label("Staff members' personal social media").check()
    page.get_by_label("The district and school websites").check()
    page.get_by_label("Name of the person who signed").fill("Ana Lopez")
    page.get_by_label("Scan or photo of the signed form").set_input_files(
        str(FACES / "people" / "obama" / "obama-portrait.jpg")
    )
    shoot(page, "record-consent")
    page.get_by_role("button", name="Save this consent").click()

    consent = page.locator(".consent").first
    expect(consent.locator(".badge")).to_have_text(re.compile("Active"))
    expect(consent).to_contain_text("personal social media")
    expect(consent.get_by_role("link", name=re.compile("View the scan"))).to_be_visible()
    shoot(page, "person")

    consent.get_by_role("link", name="Revoke…").click()
    page.get_by_label("Why is it revoked?").fill("no")
    page.get_by_role("button", name="Yes, revoke this consent").click()
    expect(page.get_by_text("Write a short reason")).to_be_visible()
    page.get_by_label("Why is it revoked?").fill("Parent phoned the office")
    shoot(page, "revoke")
    page.get_by_role("button", name="Yes, revoke this consent").click()
    expect(page.get_by_text("has been revoked")).to_be_visible()
    expect(consent.locator(".badge")).to_have_text(re.compile("Revoked"))
    expect(consent).to_contain_text("Parent phoned the office")
    expect(consent.get_by_role("link", name="Revoke…")).to_have_count(0)
    shoot(page, "person-revoked")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_label("Name or ID").fill("maya")
    page.get_by_role("button", name="Search").click()
    # the server is shared by the browser tests: another test may have its own Maya Lopez
    expect(page.locator(f'a[href="{maya_page}"]')).to_have_text("Maya Lopez")
    shoot(page, "people")


def test_roster_import_reports_each_bad_row(
    page: Page,
    sign_in: Callable[[str], Page],
    shoot: Callable[[Page, str], None],
    tmp_path: Path,
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "external_id,name,kind,school,grade,guardian1_name,guardian1_relationship\n"
        "R-1,Liam Chen,student,North,4,Wei Chen,parent\n"
        "R-2,,student,North,4,,\n"
        "R-3,Noah Patel,teacher,North,,,\n"
        "R-4,Emma Brown,student,South,2,Kate Brown,aunt\n"
    )
    sign_in("office")
    page.goto("/roster")
    page.get_by_label("Roster file (.csv)").set_input_files(str(roster))
    page.get_by_role("button", name="Import").click()
    report = page.locator(".report")
    expect(report).to_contain_text("1 added")
    expect(report).to_contain_text("3 not imported")
    rows = report.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("3")
    expect(rows.nth(0)).to_contain_text("R-2")
    expect(rows.nth(1)).to_contain_text("R-3")
    expect(rows.nth(2)).to_contain_text("5")
    shoot(page, "roster-report")


def test_office_adds_an_event(page: Page, sign_in: Callable[[str], Page], shoot: Callable[[Page, str], None]) -> None:
    sign_in("office")
    page.goto("/events/new")
    page.get_by_label("Name of the event").fill("Varsity soccer vs. Danbury")
    page.get_by_label("Kind of event").select_option("sporting_event")
    page.get_by_label("Yes — anyone may attend").check()
    page.get_by_label("Starts").fill("2026-10-03T10:00")
    page.get_by_label("Ends").fill("2026-10-03T09:00")
    page.get_by_role("button", name="Add this event").click()
    expect(page.get_by_text("The event must end after it starts.")).to_be_visible()
    page.get_by_label("Ends").fill("2026-10-03T12:00")
    page.get_by_role("button", name="Add this event").click()
    expect(page.get_by_role("cell", name="Varsity soccer vs. Danbury")).to_be_visible()
    shoot(page, "events")

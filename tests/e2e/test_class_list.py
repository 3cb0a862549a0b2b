"""The office makes a team; its coach opens the class list on a desk and on a phone and prints it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from registry.consents import service as consents
from registry.consents.schemas import ConsentCreate
from registry.core.db import unit_of_work
from tests.district import DISTRICT
from tests.e2e.axe import check_page
from tests.e2e.conftest import PHONE, Server
from tests.e2e.test_clearance import _person

pytestmark = pytest.mark.browser


def test_a_coach_prints_who_on_the_team_must_not_be_posted(
    page: Page,
    server: Server,
    sign_in: Callable[[str], Page],
    shoot: Callable[[Page, str], None],
) -> None:
    with unit_of_work(server.app.state.bind) as session:
        _person(session, "S-CL-1", "Maya Lopez", "student", "image_release")
        _person(session, "S-CL-2", "Theo Park", "student")
        refused = _person(session, "S-CL-3", "Ana Silva", "student")
        consents.record_consent(
            session,
            entered_by_id=1,
            district=DISTRICT,
            data=ConsentCreate.model_validate(
                {
                    "person_id": refused.id,
                    "kind": "image_release",
                    "status": "refused",
                    "signer_name": "Rui Silva",
                    "signer_relationship": "parent",
                    "signed_on": date.today().isoformat(),
                    "scopes": [],
                }
            ),
        )

    sign_in("office")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Class lists").click()
    page.get_by_role("link", name="+ Make a group").click()
    page.get_by_label("Name of the group").fill("Girls' soccer")
    page.get_by_label("Kind of group").select_option("team")
    page.get_by_label("Find a person on the roster").fill("S-CL-3")
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_role("button", name="Add Ana Silva").click()
    expect(page.get_by_role("heading", name="Members: 1 person")).to_be_visible()
    expect(page.get_by_text("The roster's groups column fills groups too")).to_be_visible()
    check_page(page)
    page.get_by_label("Members' IDs").fill("S-CL-1\nS-CL-2\nS-CL-3")
    page.get_by_label("Leaders").fill(server.email("employee"))
    check_page(page)
    page.get_by_role("button", name="Save this group").click()
    expect(page.get_by_text("The group “Girls' soccer” has been saved with 3 members.")).to_be_visible()
    expect(page.locator("tr", has_text="Girls' soccer").get_by_role("cell", name="3", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in("employee")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Class lists").click()
    check_page(page)
    page.get_by_role("link", name="Girls' soccer").click()
    expect(page.get_by_role("heading", name="Do not post: Girls' soccer")).to_be_visible()
    expect(page.get_by_text("2 of 3 students may not be shown")).to_be_visible()
    items = page.locator(".class-list-item")
    expect(items).to_have_count(2)
    expect(items.filter(has_text="Ana Silva")).to_contain_text("Refused")
    expect(items.filter(has_text="Theo Park")).to_contain_text("No release")
    expect(items.filter(has_text="Maya Lopez")).to_have_count(0)  # her release covers it
    expect(items.first).to_contain_text("Ana Silva")  # the refusal first, under its own heading
    expect(page.get_by_role("heading", name="Refused: never post (1)")).to_be_visible()
    expect(page.get_by_role("heading", name="No release (1)")).to_be_visible()
    expect(page.get_by_text(f"Printed {date.today().day} {date.today():%b %Y}")).to_be_visible()
    check_page(page)
    shoot(page, "class-list")
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    check_page(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download to print (PDF)").click()
    assert download.value.suggested_filename.startswith("do-not-post-girls--soccer-")
    assert download.value.suggested_filename.endswith(".pdf")

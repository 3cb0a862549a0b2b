"""Office staff in a real browser, on a desk and on a phone: find a student by a parent's name, see who has
no release or refused, edit a record, attach a scan to a form recorded without one, record a consent signed
by a guardian on record, and follow an ID already taken to the record it belongs to. axe-core checks every
page on the way."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect
from sqlmodel import Session

from registry.consents import service as consents
from registry.consents.schemas import ConsentCreate
from registry.core.db import unit_of_work
from registry.models.base import id_of
from registry.people import service as people
from registry.people.schemas import PersonCreate
from tests.district import DISTRICT
from tests.e2e.axe import check_page
from tests.e2e.conftest import DESKTOP, FACES, PHONE, Server

pytestmark = pytest.mark.browser
# The server is shared by the browser tests: each test at each width has its own family name, so that its
# searches find only its own family.
SURNAMES = {"desktop": "Ashcombe", "phone": "Birchley"}
_families = itertools.count()


@dataclass(frozen=True)
class Family:
    surname: str
    liam: int  # Liam O'<surname>, parents Ann Fairweather-<surname> and Ray O'<surname>; a release without a scan
    jose: int  # José <surname>: refused
    nora: int  # Nora <surname>: nothing on file
    consent: int  # Liam's release


def _student(session: Session, external_id: str, name: str, *guardians: tuple[str, str]) -> int:
    data = {
        "external_id": external_id,
        "kind": "student",
        "name": name,
        "guardians": [{"name": g, "relationship": r} for g, r in guardians],
    }
    return id_of(people.add_person(session, data=PersonCreate.model_validate(data)))


def _form(session: Session, person_id: int, status: str, signer: str) -> int:
    data = {
        "person_id": person_id,
        "kind": "image_release",
        "status": status,
        "signer_name": signer,
        "signer_relationship": "parent",
        "signed_on": date.today().isoformat(),
        "scopes": ["personal_social_media", "district_website"] if status == "granted" else [],
    }
    consent = consents.record_consent(
        session, entered_by_id=1, district=DISTRICT, data=ConsentCreate.model_validate(data)
    )
    return id_of(consent)


@pytest.fixture(params=["desktop", "phone"])
def family(request: pytest.FixtureRequest, page: Page, server: Server) -> Iterator[Family]:
    width = str(request.param)
    n = next(_families)
    surname = SURNAMES[width] + "abcdefghijklmnopqrstuvwxyz"[n % 26] * (1 + n // 26)
    prefix = f"PP-{surname}"
    with unit_of_work(server.app.state.bind) as session:
        liam = _student(
            session,
            f"{prefix}-1",
            f"Liam O'{surname}",
            (f"Ann Fairweather-{surname}", "parent"),
            (f"Ray O'{surname}", "guardian"),
        )
        consent = _form(session, liam, "granted", f"Ann Fairweather-{surname}")
        jose = _student(session, f"{prefix}-2", f"José {surname}", (f"Inés {surname}", "parent"))
        _form(session, jose, "refused", f"Inés {surname}")
        nora = _student(session, f"{prefix}-3", f"Nora {surname}")
    page.set_viewport_size(PHONE if width == "phone" else DESKTOP)  # type: ignore[arg-type]
    yield Family(surname, liam, jose, nora, consent)


def _people(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()


def _search(page: Page, words: str, *, release: str = "Any", faces: str = "Any") -> None:
    page.get_by_label("Name, parent's name or ID").fill(words)
    page.get_by_label("Photo release").select_option(label=release)
    page.get_by_label("Reference faces").select_option(label=faces)
    # The search is a form sent by GET: wait for the new page to be loaded before reading its rows, or the rows
    # read may be those of a page still being parsed.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Search").click()
    expect(page.get_by_label("Name, parent's name or ID")).to_have_value(words)


def _listed(page: Page) -> list[str]:
    return page.locator("table.table tbody tr td:first-child strong").all_inner_texts()


def test_office_finds_a_student_by_a_parents_name_and_sees_who_has_no_release(
    page: Page, sign_in: Callable[[str], Page], family: Family
) -> None:
    sign_in("office")
    _people(page)
    check_page(page)
    _search(page, f"fairweather {family.surname.lower()}")  # the mother's name, in lower case, without the hyphen
    expect(page.locator(".result-count")).to_have_text(re.compile("1 person found"))
    row = page.locator("tbody tr").filter(has_text=f"Liam O'{family.surname}")
    expect(row).to_contain_text(f"Ann Fairweather-{family.surname}")
    expect(row).to_contain_text("Release on file")
    expect(row).to_contain_text("Not enrolled")
    check_page(page)

    _search(page, f"o{family.surname}")  # no apostrophe
    assert _listed(page) == [f"Liam O'{family.surname}"]
    _search(page, f"jose {family.surname.upper()}")  # no accent, any case
    assert _listed(page) == [f"José {family.surname}"]

    _search(page, family.surname, release="Refused")
    assert _listed(page) == [f"José {family.surname}"]
    expect(page.locator("tbody tr")).to_contain_text("Everywhere")
    check_page(page)
    _search(page, family.surname, release="No release on file")
    assert _listed(page) == [f"Nora {family.surname}"]
    _search(page, family.surname, release="Release on file", faces="Not enrolled")
    assert _listed(page) == [f"Liam O'{family.surname}"]
    check_page(page)

    page.get_by_role("link", name=f"Liam O'{family.surname}").click()
    expect(page.get_by_role("heading", name=f"Liam O'{family.surname}", exact=True)).to_be_visible()
    check_page(page)


def test_office_edits_a_record_and_a_mistake_keeps_what_was_typed(
    page: Page, sign_in: Callable[[str], Page], family: Family
) -> None:
    sign_in("office")
    page.goto(f"/people/{family.nora}")
    page.get_by_role("link", name="Edit details").click()
    expect(page.get_by_role("heading", name=f"Edit Nora {family.surname}")).to_be_visible()
    check_page(page)
    page.get_by_label("Full name").fill("")
    page.get_by_label("Grade").fill("5")
    page.locator("#f-guardian1_name").fill(f"Siobhán Ní {family.surname}")
    page.get_by_label("Full name").evaluate("field => field.removeAttribute('required')")  # the server's check
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text("what you typed has been kept")
    expect(page.locator("#f-guardian1_name")).to_have_value(f"Siobhán Ní {family.surname}")
    expect(page.get_by_label("Grade")).to_have_value("5")
    check_page(page)

    page.get_by_label("Full name").fill(f"Nora Ní {family.surname}")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text(f"Nora Ní {family.surname}'s record has been saved.")).to_be_visible()
    expect(page.get_by_text(f"Siobhán Ní {family.surname}")).to_be_visible()
    check_page(page)

    _people(page)
    _search(page, f"siobhan ni {family.surname}")  # found by the guardian just added, without the accent
    assert _listed(page) == [f"Nora Ní {family.surname}"]


def test_office_attaches_a_scan_to_a_form_recorded_without_one(
    page: Page, sign_in: Callable[[str], Page], family: Family, tmp_path: Path
) -> None:
    sign_in("office")
    page.goto(f"/people/{family.liam}")
    consent = page.locator(f"#consent-{family.consent}")
    expect(consent).to_contain_text("No scan attached")
    consent.get_by_role("link", name=re.compile("Attach a scan")).click()
    expect(page.get_by_role("heading", name="Attach a scan of the signed form")).to_be_visible()
    check_page(page)

    not_a_scan = tmp_path / "form.txt"
    not_a_scan.write_text("not a scan")
    page.get_by_label("Scan or photo of the signed form").set_input_files(str(not_a_scan))
    page.get_by_role("button", name="Attach this scan").click()
    expect(page.get_by_text("The scan must be a PDF, JPEG or PNG file.")).to_be_visible()
    expect(page.get_by_text("please choose a file again")).to_be_visible()
    check_page(page)

    scan = tmp_path / "signed-form.jpg"  # this family's own paper: a scan is never kept with two people's forms
    form = Image.open(FACES / "people" / "obama" / "obama-portrait.jpg").convert("RGB")
    ImageDraw.Draw(form).text((10, 10), f"Signed form of the {family.surname} family", fill=(0, 0, 0))
    form.save(scan, "JPEG", quality=90)
    page.get_by_label("Scan or photo of the signed form").set_input_files(str(scan))
    page.get_by_role("button", name="Attach this scan").click()
    expect(page.get_by_text("The scan has been attached")).to_be_visible()
    expect(consent.get_by_role("link", name=re.compile("View the scan"))).to_be_visible()
    check_page(page)


def test_the_consent_form_takes_the_signer_from_the_guardians_on_record(
    page: Page, sign_in: Callable[[str], Page], family: Family
) -> None:
    sign_in("office")
    page.goto(f"/people/{family.liam}")
    page.get_by_role("link", name="+ Record a consent").click()
    expect(page.get_by_label("Name of the person who signed")).to_have_value(f"Ann Fairweather-{family.surname}")
    expect(page.get_by_label("They signed as")).to_have_value("parent")
    check_page(page)
    page.get_by_label("Who signed the form?").select_option(label=f"Ray O'{family.surname} (guardian)")
    expect(page.get_by_label("Name of the person who signed")).to_have_value(f"Ray O'{family.surname}")
    expect(page.get_by_label("They signed as")).to_have_value("guardian")
    page.get_by_role("group", name="Photo release: what does the form say?").get_by_label(
        "Yes — they give permission"
    ).check()
    page.get_by_label("The district's and schools' social media").check()
    page.get_by_label("Signed on").evaluate("field => field.removeAttribute('required')")  # the server's check
    page.get_by_role("button", name="Save this consent").click()  # no signing date: refused, all else kept
    expect(page.get_by_label("Name of the person who signed")).to_have_value(f"Ray O'{family.surname}")
    expect(page.get_by_label("Who signed the form?")).to_have_value("2")
    check_page(page)
    page.get_by_label("Signed on").fill(date.today().isoformat())
    page.get_by_role("button", name="Save this consent").click()
    saved = f"Liam O'{family.surname}'s guardian agreed to the photo release (the district's social media)."
    expect(page.get_by_text(saved)).to_be_visible()
    expect(page.locator(".consent").first).to_contain_text(f"Ray O'{family.surname} (Guardian)")
    check_page(page)


def test_an_id_already_taken_leads_to_the_record_to_edit(
    page: Page, sign_in: Callable[[str], Page], family: Family, server: Server
) -> None:
    sign_in("office")
    page.goto(f"/people/{family.jose}/edit")
    taken = page.get_by_label("ID number").input_value()
    page.goto("/people/new")
    page.get_by_label("Full name").fill(f"Jose {family.surname}")
    page.get_by_label("ID number").fill(taken)
    page.get_by_role("button", name="Add this person").click()
    expect(page.get_by_text(f"{taken} is already the ID of José {family.surname}.")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value(f"Jose {family.surname}")
    check_page(page)
    page.get_by_role("link", name=f"edit José {family.surname}'s record").click()
    expect(page.get_by_role("heading", name=f"Edit José {family.surname}")).to_be_visible()
    check_page(page)

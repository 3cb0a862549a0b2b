"""A family on its private link, in a real browser at a phone's width and at a desktop's: signs, declines, types a
wrong date of birth, finds an expired link, withdraws (and the photo posted with the consent is to be taken
down), in Spanish too. axe-core checks every page."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from registry.accounts.service import find_user_by_email
from registry.clearances import service as clearances
from registry.clearances.check import Clearing, PhotoCheck
from registry.consent_requests import service as requests
from registry.core.db import unit_of_work
from registry.faces import enrolment
from registry.models.consent_requests import ConsentRequest
from registry.models.consents import Consent
from registry.models.takedowns import Takedown
from registry.people import service as people
from registry.people.schemas import PersonCreate
from tests.district import DISTRICT
from tests.e2e.axe import check_page
from tests.e2e.conftest import DESKTOP, FACES, PHONE, SCREENSHOTS, Server

pytestmark = pytest.mark.browser
BIRTH = date(2015, 3, 14)
MEASURED = SCREENSHOTS.parent / "family-sign-on-a-phone.json"


def _ask(server: Server, external_id: str, name: str, *, language: str = "en", kind: str = "image_release") -> str:
    """A student and their request; the path of the family's private link."""
    with unit_of_work(server.app.state.bind) as session:
        person = people.add_person(
            session,
            data=PersonCreate.model_validate(
                {"external_id": external_id, "kind": "student", "name": name, "birth_date": BIRTH.isoformat()}
            ),
        )
        office = find_user_by_email(session, server.email("office"))
        assert office is not None and office.id is not None
        links = requests.Links.of(server.settings)
        made, _ = requests.request_consents(
            session,
            students=[person],
            kind=kind,
            language=language,
            group_id=None,
            requested_by_id=office.id,
            district=DISTRICT,
            links_=links,
        )
        return urlsplit(links.url(made[0])).path


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, viewport=PHONE, has_touch=True, is_mobile=True)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def _prove(page: Page, taps: list[str], birth: date = BIRTH) -> None:
    for label, value in (("Day", birth.day), ("Month", birth.month), ("Year", birth.year)):
        field = page.get_by_label(label, exact=True)
        field.tap()
        taps.append(label)
        field.fill(str(value))
    page.get_by_role("button", name="Continue").tap()
    taps.append("Continue")


def test_a_parent_signs_on_a_phone(phone: Page, server: Server) -> None:
    link = _ask(server, "S-E2E-F1", "Lucia Lopez")
    taps: list[str] = []
    started = time.perf_counter()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(phone.locator("body")).not_to_contain_text("Lucia")
    _prove(phone, taps)
    expect(phone.get_by_role("heading", name="Photo release for the school year")).to_be_visible()
    for question, answer in (
        ("The district's and the schools' social media", "Yes"),
        ("The district and school websites", "Yes"),
        ("Staff members' own social media accounts", "No"),
        ("Print: newsletters, the yearbook, posters", "Yes"),
    ):
        phone.get_by_role("group", name=question).get_by_label(answer, exact=True).tap()
        taps.append(f"{question}: {answer}")
    name = phone.get_by_label("Your full name", exact=True).first
    name.tap()
    taps.append("Your full name")
    name.fill("Maria Lopez")
    phone.get_by_label("Parent", exact=True).tap()
    phone.get_by_label("I am the parent or legal guardian").tap()
    phone.get_by_role("button", name="Sign", exact=True).tap()
    taps += ["Parent", "statement", "Sign"]
    expect(phone.get_by_role("status")).to_contain_text("your answers are recorded")
    seconds = time.perf_counter() - started
    MEASURED.parent.mkdir(parents=True, exist_ok=True)
    MEASURED.write_text(json.dumps({"seconds": round(seconds, 2), "taps": len(taps), "typed": ["dob", "name"]}))

    with unit_of_work(server.app.state.bind) as session:
        request = session.exec(select(ConsentRequest).where(ConsentRequest.status == "signed")).first()
        assert request is not None and request.consent_id is not None
        consent = session.get(Consent, request.consent_id)
        assert consent is not None
        assert sorted(consent.scopes) == ["district_social_media", "district_website", "print"]
    check_page(phone)
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download your receipt (PDF)").tap()
    assert download.value.suggested_filename.endswith(".pdf")


def test_a_parent_declines_every_place_on_the_desktop(
    page: Page, server: Server, shoot: Callable[[Page, str], None]
) -> None:
    page.goto(_ask(server, "S-E2E-F2", "Noah Nunez"))
    check_page(page)
    _prove_by_click(page)
    check_page(page)
    shoot(page, "family-form")
    for fieldset in page.locator("fieldset.yes-no").all():
        fieldset.get_by_label("No", exact=True).check()
    page.get_by_label("Your full name", exact=True).last.fill("Pat Nunez")
    page.get_by_label("Legal guardian", exact=True).check()
    page.get_by_label("I am the parent or legal guardian").check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("will not be posted")
    check_page(page)


def _prove_by_click(page: Page, birth: date = BIRTH) -> None:
    page.get_by_label("Day", exact=True).fill(str(birth.day))
    page.get_by_label("Month", exact=True).fill(str(birth.month))
    page.get_by_label("Year", exact=True).fill(str(birth.year))
    page.get_by_role("button", name="Continue").click()


def test_a_wrong_date_of_birth_reveals_nothing(phone: Page, server: Server) -> None:
    phone.goto(_ask(server, "S-E2E-F3", "Wanda Wrong"))
    _prove(phone, [], BIRTH + timedelta(days=1))
    expect(phone.get_by_role("alert")).to_contain_text("does not match")
    expect(phone.locator("body")).not_to_contain_text("Wanda")
    check_page(phone)


def test_an_expired_link_says_so(phone: Page, server: Server) -> None:
    link = _ask(server, "S-E2E-F4", "Ezra Expired")
    with unit_of_work(server.app.state.bind) as session:
        request = session.exec(select(ConsentRequest).order_by(ConsentRequest.id.desc())).first()  # type: ignore[union-attr]
        assert request is not None
        request.expires_at = request.created_at - timedelta(minutes=1)
        session.add(request)
    phone.goto(link)
    expect(phone.get_by_role("heading", name="This link has expired")).to_be_visible()
    expect(phone.locator("body")).not_to_contain_text("Ezra")
    check_page(phone)
    phone.goto("/f")
    check_page(phone)


def test_a_spanish_family_signs_and_can_switch_to_english(phone: Page, server: Server) -> None:
    phone.goto(_ask(server, "S-E2E-F5", "Sofia Sanchez", language="es", kind="biometric"))
    expect(phone.get_by_role("heading", name="Confirme que es usted")).to_be_visible()
    assert phone.locator("html").get_attribute("lang") == "es"
    check_page(phone)
    phone.get_by_label("Día", exact=True).fill("14")
    phone.get_by_label("Mes", exact=True).fill("3")
    phone.get_by_label("Año", exact=True).fill("2015")
    phone.get_by_role("button", name="Continuar").tap()
    expect(
        phone.get_by_role("heading", name="Consentimiento de reconocimiento facial para el año escolar")
    ).to_be_visible()
    check_page(phone)
    phone.get_by_role("button", name="Firmar").tap()
    expect(phone.get_by_text("Responda Sí o No.")).to_be_visible()
    check_page(phone)
    phone.get_by_role("link", name="English").tap()
    expect(phone.get_by_role("button", name="Sign", exact=True)).to_be_visible()
    assert phone.locator("html").get_attribute("lang") == "en"


def test_a_withdrawal_on_the_link_asks_for_the_posted_photo_to_be_taken_down(page: Page, server: Server) -> None:
    app = server.app
    link = _ask(server, "S-E2E-F6", "Rose Leslie")
    page.goto(link)
    _prove_by_click(page)
    for fieldset in page.locator("fieldset.yes-no").all():
        fieldset.get_by_label("Yes", exact=True).check()
    page.get_by_label("Your full name", exact=True).last.fill("Ruth Leslie")
    page.get_by_label("Parent", exact=True).check()
    page.get_by_label("I am the parent or legal guardian").check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("your answers are recorded")

    with unit_of_work(app.state.bind) as session:
        student = people.find_by_external_id(session, "S-E2E-F6")
        office = find_user_by_email(session, server.email("office"))
        employee = find_user_by_email(session, server.email("employee"))
        assert student is not None and office is not None and employee is not None
        from registry.consents.schemas import ConsentCreate
        from registry.consents.service import record_consent

        record_consent(
            session,
            entered_by_id=office.id or 0,
            district=DISTRICT,
            data=ConsentCreate(
                person_id=student.id or 0,
                kind="biometric",
                status="granted",
                signer_name="Ruth Leslie",
                signer_relationship="parent",
                signed_on=DISTRICT.today(),
            ),
        )
        enrolment.enrol_face(
            session,
            person=student,
            face_index=None,
            created_by=office,
            settings=server.settings,
            district=DISTRICT,
            photo=(FACES / "people/rose_leslie/rose-1.jpg").read_bytes(),
        )
        clearance = clearances.clear_photo(
            session,
            PhotoCheck(
                uploader=employee,
                destination="district_website",
                event_id=None,
                context_kind="classroom",
                context_public=False,
                tags=(),
                caption="Science fair",
            ),
            (FACES / "people/rose_leslie/rose-2.jpg").read_bytes(),
            using=Clearing(settings=server.settings, pack=app.state.pack, templates=app.state.templates),
        )
        assert clearance.decision == "allowed"
        clearance_id = clearance.id

    page.reload()
    check_page(page)
    page.get_by_text("Withdraw this consent").click()
    page.locator("#withdraw_name").fill("Ruth Leslie")
    page.get_by_role("button", name="Withdraw", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("will be taken down")
    expect(page.locator(".on-record")).not_to_contain_text("Yes")
    check_page(page)
    with unit_of_work(app.state.bind) as session:
        takedown = session.exec(select(Takedown).where(Takedown.clearance_id == clearance_id)).first()
        assert takedown is not None


def test_the_pages_fit_a_desktop_too(page: Page, server: Server) -> None:
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    page.goto(_ask(server, "S-E2E-F7", "Dana Desk"))
    _prove_by_click(page)
    expect(page.get_by_role("button", name="Sign", exact=True)).to_be_visible()
    check_page(page)


def test_the_office_asks_a_school_and_prints_its_letters(
    page: Page, server: Server, sign_in: Callable[[str], Page], shoot: Callable[[Page, str], None]
) -> None:
    with unit_of_work(server.app.state.bind) as session:
        for n in range(2):
            people.add_person(
                session,
                data=PersonCreate(
                    external_id=f"S-E2E-O{n}",
                    kind="student",
                    name=f"Oak Pupil {n}",
                    school="Oak Hill",
                    grade="2",
                    birth_date=BIRTH,
                ),
            )
    sign_in("office")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Family forms").click()
    check_page(page)
    page.locator("#f-school").select_option("Oak Hill")
    page.locator("#f-grade").fill("2")
    page.get_by_label("The family's language").select_option("es")
    page.get_by_role("button", name="Ask the families").click()
    expect(page.get_by_role("status")).to_contain_text("2 families asked")
    row = page.locator("tr", has_text="Oak Hill").first
    expect(row).to_contain_text("2")
    check_page(page)
    shoot(page, "family-forms-office")
    with page.expect_download() as download:
        page.get_by_role("link", name="Letters for Oak Hill (PDF)").click()
    assert download.value.suggested_filename == "letters.pdf"

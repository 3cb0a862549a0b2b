"""The office's paper forms in a real browser, at a desktop's width and a phone's (axe-core on every page
visited): one entry for a form that answers both the photo release and face enrolment, with one scan; "Record
it now" from the faces section; correcting a form from the form itself; what each save says; groups picked
from the roster; event times as entered; the roster's report; an administrator's confirmations and a first
password replaced at first sign-in. And the secretary's morning of ten forms and six enrolments, counted."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from itertools import count
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from registry.core.db import unit_of_work
from registry.models.base import id_of
from registry.people import service as people
from registry.people.schemas import PersonCreate
from tests.e2e.axe import check_page
from tests.e2e.conftest import DESKTOP, FACES, PASSWORD, PHONE, Server
from tests.e2e.journey import Journey

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
PHOTOS = [
    "obama/obama-portrait.jpg",
    "biden/biden-portrait.jpg",
    "kit_harington/kit-1.jpg",
    "rose_leslie/rose-1.jpg",
    "alex_lacamoire/alex-1.jpg",
    "lin_manuel_miranda/lin-1-rgba.png",
]
_runs = count()


@pytest.fixture(params=list(WIDTHS))
def width(request: pytest.FixtureRequest, page: Page) -> str:
    page.set_viewport_size(WIDTHS[request.param])  # type: ignore[arg-type]
    return str(request.param)


def _students(server: Server, prefix: str, n: int, *, school: str = "North", grade: str = "3") -> list[tuple[int, str]]:
    made = []
    with unit_of_work(server.app.state.bind) as session:
        for k in range(n):
            name = f"Pupil{k} {prefix}"
            data = {
                "external_id": f"{prefix}-{k}",
                "kind": "student",
                "name": name,
                "school": school,
                "grade": grade,
                "guardians": [{"name": f"Parent{k} {prefix}", "relationship": "parent"}],
            }
            made.append((id_of(people.add_person(session, data=PersonCreate.model_validate(data))), name))
    return made


def _open_person(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_label("Name, parent's name or ID").fill(name)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=name).click()


def _answer(page: Page, question: str, answer: str) -> None:
    page.get_by_role("group", name=f"{question}: what does the form say?").get_by_label(answer).check()


def test_one_entry_records_both_answers_of_a_paper_with_its_scan(
    page: Page,
    server: Server,
    sign_in: Callable[[str], Page],
    shoot: Callable[[Page, str], None],
    width: str,
    tmp_path: Path,
) -> None:
    run = next(_runs)
    prefix = f"PF{run}"
    scan = tmp_path / "signed-form.png"  # a paper of its own: the same file is never another person's evidence
    Image.new("L", (170, 220), 255 - run).save(scan)
    [(rose, name)] = _students(server, prefix, 1)
    sign_in("office")
    check_page(page)
    _open_person(page, name)
    check_page(page)
    page.get_by_role("link", name="+ Record a consent").click()
    check_page(page)
    _answer(page, "Photo release", "Yes — they give permission")
    page.get_by_label("Staff members' personal social media").check()
    _answer(page, "Face enrolment (biometric)", "No — they refuse permission")
    page.get_by_label("Signed on").fill(date.today().isoformat())
    page.get_by_label("Scan or photo of the signed form").set_input_files(str(scan))
    if width == "desktop":
        shoot(page, "paper-form")
    page.get_by_role("button", name="Save this consent").click()
    expect(
        page.get_by_text(
            f"{name}'s parent agreed to the photo release (personal social media) and refused face enrolment."
        )
    ).to_be_visible()
    forms = page.locator(".consent")
    expect(forms).to_have_count(2)  # two records in the ledger
    for n in range(2):
        expect(forms.nth(n).get_by_role("link", name=re.compile("View the scan"))).to_be_visible()
    check_page(page)
    if width == "desktop":
        shoot(page, "paper-form-saved")


def test_record_it_now_asks_for_face_enrolment_and_a_form_is_corrected_from_itself(
    page: Page, server: Server, sign_in: Callable[[str], Page], width: str
) -> None:
    prefix = f"PR{next(_runs)}"
    [(pid, name)] = _students(server, prefix, 1)
    sign_in("office")
    page.goto(f"/people/{pid}")
    page.get_by_role("link", name="Record it now").click()
    expect(page.get_by_role("group", name="Face enrolment (biometric): what does the form say?")).to_be_visible()
    expect(
        page.get_by_role("group", name="Photo release: what does the form say?").get_by_label("Not on this form")
    ).to_be_checked()
    check_page(page)
    _answer(page, "Face enrolment (biometric)", "Yes — they give permission")
    page.get_by_label("Signed on").fill(date.today().isoformat())
    page.get_by_role("button", name="Save this consent").click()
    expect(page.get_by_text(f"{name}'s parent agreed to face enrolment.")).to_be_visible()
    expect(page.get_by_label(f"Add a photo of {name}")).to_be_visible()  # the face can be enrolled now

    for place in ("The district and school websites", "Print: newsletters, yearbook, posters"):  # two forms, one day
        page.get_by_role("link", name="+ Record a consent").click()
        _answer(page, "Photo release", "Yes — they give permission")
        page.get_by_label(place).check()
        page.get_by_label("Signed on").fill(date.today().isoformat())
        page.get_by_role("button", name="Save this consent").click()
    printed = page.locator(
        ".consent-actions a", has_text=re.compile(r"Correct this form: the photo release .*\(print\)")
    )
    expect(printed).to_have_count(1)
    printed.click()
    expect(page.get_by_role("heading", name="Correct this entry")).to_be_visible()
    expect(page.get_by_label("Print: newsletters, yearbook, posters")).to_be_checked()  # as typed, to change
    check_page(page)
    _answer(page, "Photo release", "No — they refuse permission")
    page.get_by_label("Print: newsletters, yearbook, posters").uncheck()
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_text(f"is corrected: {name}'s parent refused the photo release.")).to_be_visible()
    expect(page.locator(".consent").first).to_contain_text("Refused for")
    expect(page.get_by_text("Corrected by a later entry")).to_be_visible()
    check_page(page)


def test_groups_are_picked_from_the_roster_and_events_show_their_time(
    page: Page, server: Server, sign_in: Callable[[str], Page], shoot: Callable[[Page, str], None], width: str
) -> None:
    prefix = f"PG{next(_runs)}"
    school = f"School {prefix}"
    _students(server, prefix, 4, school=school, grade="5")
    sign_in("office")
    page.goto("/groups/new")
    check_page(page)
    page.get_by_label("Name of the group").fill(f"Homeroom {prefix}")
    page.get_by_label("Add a whole grade: school").fill(school)
    page.get_by_label("Grade", exact=False).last.fill("5")
    page.get_by_role("button", name="Add every student of this grade").click()
    expect(page.get_by_text(f"4 students of grade 5 at {school} added")).to_be_visible()
    expect(page.get_by_role("heading", name="Members: 4 people")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name=f"Remove Pupil0 {prefix}").click()
    expect(page.get_by_role("heading", name="Members: 3 people")).to_be_visible()
    if width == "desktop":
        shoot(page, "group-picked")
    page.get_by_role("button", name="Save this group").click()
    expect(page.get_by_text(f"The group “Homeroom {prefix}” has been saved with 3 members.")).to_be_visible()
    check_page(page)

    page.goto("/events/new")
    page.get_by_label("Name of the event").fill(f"Spring concert {prefix}")
    page.get_by_label("Kind of event").select_option("fine_arts_performance")
    page.get_by_label("Yes — anyone may attend").check()
    page.get_by_label("Starts").fill("2026-05-04T09:00")
    page.get_by_label("Ends").fill("2026-05-04T10:30")
    page.get_by_role("button", name="Add this event").click()
    row = page.locator("tr", has_text=f"Spring concert {prefix}")
    expect(row).to_contain_text("4 May 2026, 09:00 – 10:30")  # as entered, in the district's time
    check_page(page)


def test_the_roster_report_names_the_column_and_links_to_who_it_added(
    page: Page, sign_in: Callable[[str], Page], width: str, tmp_path: Path
) -> None:
    prefix = f"PRO{next(_runs)}"
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "external_id,name,kind,guardian1_name,guardian1_email\n"
        f"{prefix}-1,Lena Ortiz-Vandermeer {prefix},student,Sol Ortiz,sol@@example.org\n"
        f"{prefix}-2,Omar Haddad {prefix},student,Rana Haddad,rana@example.org\n"
    )
    sign_in("office")
    page.goto("/roster")
    page.get_by_label("Roster file (.csv)").set_input_files(str(roster))
    page.get_by_role("button", name="Import").click()
    report = page.locator(".report")
    expect(report.locator("tbody tr").first).to_contain_text("guardian1_email: value is not a valid email address")
    check_page(page)
    report.get_by_role("link", name=f"Omar Haddad {prefix}").click()
    expect(page.get_by_role("heading", name=f"Omar Haddad {prefix}", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_label("Name, parent's name or ID").fill(prefix)
    page.get_by_role("button", name="Search").click()
    cell = page.locator("td[data-label='ID']", has_text=f"{prefix}-2")
    lines = cell.evaluate(
        "c => { const r = document.createRange(); r.selectNodeContents(c); return r.getClientRects().length; }"
    )
    assert lines == 1  # the ID on one line, never broken at its dash
    if width == "desktop":  # a table's narrow column: never broken at the ID's dash (a phone's card has room)
        assert cell.evaluate("c => getComputedStyle(c).whiteSpace") == "nowrap"
    check_page(page)


@pytest.fixture
def pats_browser(browser: Browser, server: Server, width: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, viewport=WIDTHS[width])  # type: ignore[arg-type]
    yield context.new_page()
    context.close()


def test_a_first_password_is_replaced_at_first_sign_in_without_typing_it_again(
    page: Page, pats_browser: Page, sign_in: Callable[[str], Page], width: str
) -> None:
    email = f"first-{width}-{next(_runs)}@district.example.org"
    sign_in("admin")
    page.goto("/admin/users")
    form = page.locator("form", has=page.get_by_role("button", name="Create the account"))
    form.get_by_label("Email address").fill(email)
    form.get_by_label("Full name").fill("Robin First")
    form.get_by_label("First password").fill(PASSWORD)
    form.get_by_role("button", name="Create the account").click()
    expect(page.get_by_text("then choose their own")).to_be_visible()
    check_page(page)

    pats_browser.goto("/login")
    pats_browser.get_by_label("Email address").fill(email)
    pats_browser.get_by_label("Password").fill(PASSWORD)
    pats_browser.get_by_role("button", name="Sign in").click()
    expect(pats_browser).to_have_url(re.compile(r"/account/password$"))
    expect(pats_browser.get_by_label("The temporary password")).to_have_count(0)
    check_page(pats_browser)
    pats_browser.get_by_label("New password", exact=True).fill("violet staple harbour seventeen")
    pats_browser.get_by_label("New password again").fill("violet staple harbour seventeen")
    pats_browser.get_by_role("button", name="Change my password").click()
    expect(pats_browser.get_by_text("Your password has been changed.")).to_be_visible()
    check_page(pats_browser)


def test_the_secretary_enters_ten_forms_and_enrols_six_faces(
    page: Page, server: Server, sign_in: Callable[[str], Page]
) -> None:
    prefix = f"JA{next(_runs)}"
    students = _students(server, prefix, 10)
    sign_in("office")
    journey = Journey()
    today = date.today().isoformat()
    for n, (_, name) in enumerate(students):
        journey.click(page.get_by_role("navigation", name="Main").get_by_role("link", name="People"))
        journey.fill(page.get_by_label("Name, parent's name or ID"), f"{prefix}-{n}")
        journey.click(page.get_by_role("button", name="Search"))
        journey.click(page.get_by_role("link", name=name))
        journey.click(page.get_by_role("link", name="+ Record a consent"))
        release = page.get_by_role("group", name="Photo release: what does the form say?")
        journey.check(release.get_by_label("Yes — they give permission"))
        journey.check(page.get_by_label("Staff members' personal social media"))
        if n < 6:
            face = page.get_by_role("group", name="Face enrolment (biometric): what does the form say?")
            journey.check(face.get_by_label("Yes — they give permission"))
        journey.fill(page.get_by_label("Signed on"), today)
        if n == 0:
            check_page(page)
        journey.click(page.get_by_role("button", name="Save this consent"))
        expect(page.get_by_text(f"{name}'s parent agreed to the photo release")).to_be_visible()
        if n < 6:
            journey.upload(page.get_by_label(f"Add a photo of {name}"), FACES / "people" / PHOTOS[n])
            journey.click(page.get_by_role("button", name="Find the face"))
            if n == 0:
                check_page(page)
            journey.click(page.get_by_role("button", name=f"Save this face for {name}"))
            expect(page.get_by_text(f"The face has been enrolled for {name}.")).to_be_visible()
        if n == 0:
            check_page(page)
    print(journey.report("ten forms, six enrolments"))
    assert journey.clicks <= 154 - 30  # one entry per paper: 5 clicks fewer for each of the six

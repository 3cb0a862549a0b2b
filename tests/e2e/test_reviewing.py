"""Reviewers and home notices in a real browser, at a desktop's width and a phone's (390 px), with axe-core
on every page visited: the queue, someone else, not taken at this event, undo; what needs each person."""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from registry.accounts.service import find_user_by_email
from registry.clearances import service as clearances
from registry.clearances.check import Clearing, PhotoCheck
from registry.consents import service as consents
from registry.consents.schemas import ConsentCreate
from registry.core.db import unit_of_work
from registry.faces import enrolment
from registry.models.base import id_of
from registry.models.people import Person
from registry.people import service as people
from registry.people.schemas import PersonCreate
from tests.district import DISTRICT
from tests.e2e.axe import check_page
from tests.e2e.conftest import DESKTOP, FACES, PHONE, Server

pytestmark = pytest.mark.browser


def check_both_widths(page: Page, shoot: Callable[[Page, str], None] | None = None, name: str = "") -> None:
    """axe-core at a desktop's width and at a phone's, then back, and screenshots of both when named (none
    of it counted in a journey's time)."""
    started = time.monotonic()
    if shoot is not None:
        shoot(page, name)
    check_page(page)
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    check_page(page)
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    for j in Journey.running:
        j.checking += time.monotonic() - started


class Journey:
    """Counts what a person does (clicks, typing, choosing a file) and how long it takes, for the report.
    Measured, never asserted: the machine is shared."""

    running: list[Journey] = []

    def __init__(self, name: str) -> None:
        self.name, self.clicks, self.started, self.checking = name, 0, time.monotonic(), 0.0

    def click(self, locator: Locator) -> None:
        self.clicks += 1
        locator.click()

    def fill(self, locator: Locator, text: str) -> None:
        self.clicks += 1
        locator.fill(text)

    def report(self) -> None:
        seconds = time.monotonic() - self.started - self.checking
        print(f"\n[journey] {self.name}: {self.clicks} clicks, {seconds:.1f} s (without the checks and screenshots)")


@contextmanager
def journey(name: str) -> Iterator[Journey]:
    j = Journey(name)
    Journey.running.append(j)
    try:
        yield j
    finally:
        Journey.running.remove(j)
    j.report()


def _add(server: Server, external_id: str, name: str, kind: str, *forms: str, until: date | None = None) -> int:
    with unit_of_work(server.app.state.bind) as session:
        person = people.add_person(
            session, data=PersonCreate.model_validate({"external_id": external_id, "kind": kind, "name": name})
        )
        for form in forms:
            consents.record_consent(
                session,
                entered_by_id=1,
                district=DISTRICT,
                data=ConsentCreate.model_validate(
                    {
                        "person_id": person.id,
                        "kind": form,
                        "status": "granted",
                        "signer_name": "Signer",
                        "signer_relationship": "parent" if kind == "student" else "self",
                        "signed_on": (date.today() - timedelta(days=3)).isoformat(),
                        "scopes": ["personal_social_media"] if form == "image_release" else [],
                        **({"valid_until": until.isoformat()} if until and form == "image_release" else {}),
                    }
                ),
            )
        return id_of(person)


def _photo_waiting(server: Server, person_id: int, reference: str, photo: str, caption: str, **context) -> int:
    """A photo of an enrolled community member, cleared by the employee: the policy asks a reviewer."""
    app = server.app
    with unit_of_work(app.state.bind) as session:
        employee = find_user_by_email(session, server.email("employee"))
        person = session.get(Person, person_id)
        assert employee is not None and person is not None
        if not enrolment.list_templates(session, person_id):
            enrolment.enrol_face(
                session,
                person=person,
                photo=(FACES / reference).read_bytes(),
                face_index=None,
                created_by=employee,
                settings=server.settings,
                district=DISTRICT,
            )
        clearance = clearances.clear_photo(
            session,
            PhotoCheck(
                uploader=employee,
                destination="personal_social_media",
                event_id=context.get("event_id"),
                context_kind=context.get("context_kind", "classroom"),
                context_public=context.get("context_public", False),
                tags=tuple([]),
                caption=caption,
            ),
            (FACES / photo).read_bytes(),
            using=Clearing(settings=server.settings, pack=app.state.pack, templates=app.state.templates),
        )
        assert clearance.decision == "needs_review", clearance.reasons
        return id_of(clearance)


def test_a_reviewer_works_the_queue_someone_else_undo_and_not_at_this_event(
    page: Page, server: Server, sign_in: Callable[[str], Page], shoot: Callable[[Page, str], None]
) -> None:
    kit = _add(server, "C-KIT-R", "Kit Reviewcase", "community_member", "biometric")
    quinn = _add(server, "S-QUINN-R", "Quinn Otherface", "student")  # no release: may not be posted
    older = _photo_waiting(
        server, kit, "people/kit_harington/kit-1.jpg", "people/kit_harington/kit-2.jpg", "Volunteer morning"
    )
    newer = _photo_waiting(
        server, kit, "people/kit_harington/kit-1.jpg", "people/kit_harington/kit-2.jpg", "Volunteer afternoon"
    )
    sign_in("reviewer")
    with journey("reviewer: from home, the oldest photo is someone else; undo; reject it") as j:
        expect(page.locator(".needs-you")).to_contain_text("for a reviewer")
        j.click(page.get_by_role("link", name="Open the review queue"))
        older_item = page.locator(".review-item", has_text=f"Review photo {older}")
        expect(older_item).to_contain_text("Uploaded by Eddie Coach")
        expect(older_item).to_contain_text("Why it needs you")
        expect(older_item.get_by_alt_text(f"Photo {older}, small")).to_be_visible()
        items = page.locator(".review-item-title").all_inner_texts()
        assert items.index(f"Review photo {older}") < items.index(f"Review photo {newer}")  # oldest first
        check_both_widths(page, shoot, "review-queue-reasons")

        j.click(older_item.get_by_role("link", name=f"Review photo {older}"))
        face = page.locator("#review-face-0")
        expect(face).to_be_visible()
        check_both_widths(page)
        j.fill(face.get_by_label("Someone else? Find them by name or ID"), "Otherface")
        j.click(face.get_by_role("button", name="Find"))
        expect(face.get_by_role("button", name="It is Quinn Otherface")).to_be_visible()
        check_both_widths(page, shoot, "review-someone-else")
        j.click(face.get_by_role("button", name="It is Quinn Otherface"))
        expect(page.get_by_text("The photo now may not be posted")).to_be_visible()  # no release: blocked
        expect(page.get_by_text(f"Your last act: on photo {older}, you named a face.")).to_be_visible()
        check_both_widths(page)

        j.click(page.get_by_role("button", name="Undo it"))
        expect(page.get_by_text(f"Undone. Photo {older} now waits for a reviewer")).to_be_visible()
        expect(page.get_by_role("heading", name=f"Review photo {older}")).to_be_visible()
        check_both_widths(page)
        j.click(page.locator("#review-face-0").get_by_role("button", name="Reject"))
        expect(page.get_by_text("The photo now may not be posted")).to_be_visible()
        check_both_widths(page)
    assert quinn

    with journey("reviewer: the newer photo was not taken at its event") as j:
        j.click(page.get_by_role("link", name=f"Review photo {newer}"))
        j.click(page.get_by_role("button", name="Not taken at this event"))
        expect(page.get_by_text("Saved.")).to_be_visible()
        expect(page.get_by_text("was not taken at the declared classroom")).to_be_visible()
        expect(page.get_by_text("decided as taken somewhere not open to the public").first).to_be_visible()
        check_both_widths(page, shoot, "review-not-at-event")


def test_home_tells_each_person_what_needs_them(
    page: Page, server: Server, sign_in: Callable[[str], Page], shoot: Callable[[Page, str], None]
) -> None:
    today = date.today()
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    _add(server, "S-RUNS-OUT", "Robin Runsout", "student", "image_release", until=month_end)
    alex = _add(server, "C-ALEX-H", "Alex Homecase", "community_member", "biometric")
    # A face no other browser test enrols: the server is shared, and a face enrolled twice under two
    # names is a doubtful match, not this person.
    portrait = "people/lin_manuel_miranda/lin-1-rgba.png"
    waiting = _photo_waiting(server, alex, portrait, portrait, "Museum trip")

    sign_in("office")
    with journey("office: from home to the person whose form runs out this month") as j:
        notice = page.locator(".needs-you")
        expect(notice).to_contain_text("out this month")
        check_both_widths(page, shoot, "home-office-notices")
        j.click(notice.get_by_role("link", name="Robin Runsout"))
        expect(page.get_by_role("heading", name="Robin Runsout", exact=True)).to_be_visible()
        check_both_widths(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in("reviewer")
    expect(page.locator(".needs-you")).to_contain_text("for a reviewer")
    check_both_widths(page, shoot, "home-reviewer-notices")
    page.goto(f"/review/{waiting}")
    page.get_by_role("button", name="Allow Alex Homecase in this photo").click()
    expect(page.get_by_text("The photo now may be posted")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in("employee")
    with journey("employee: from home to the photo a reviewer decided") as j:
        notice = page.locator(".needs-you")
        expect(notice).to_contain_text("A reviewer decided")
        check_both_widths(page, shoot, "home-employee-notices")
        j.click(notice.get_by_role("link", name=f"Photo {waiting} (“Museum trip”)"))
        page.wait_for_url(f"**/clearances/{waiting}")
        expect(page.get_by_text("a reviewer's decision").first).to_be_visible()
        check_both_widths(page)
    with journey("employee, the way before: from home through My photos to the same photo") as j:
        page.goto("/")
        j.click(page.get_by_role("navigation", name="Main").get_by_role("link", name="My photos"))
        check_both_widths(page)
        j.click(page.locator(f'main a[href="/clearances/{waiting}"]'))  # its row: the date it was checked
        page.wait_for_url(f"**/clearances/{waiting}")
    page.goto("/")
    expect(page.get_by_role("link", name=f"Photo {waiting} (“Museum trip”)")).to_have_count(0)  # seen now

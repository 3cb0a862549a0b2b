"""A parent withdraws consent: the employee who posted the photo sees it on their page and confirms."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from registry.accounts.service import find_user_by_email
from registry.clearances import service as clearances
from registry.clearances.check import Clearing, PhotoCheck
from registry.consents import service as consents
from registry.core.db import unit_of_work
from registry.faces import enrolment
from registry.models.base import id_of
from tests.district import DISTRICT
from tests.e2e.conftest import FACES, Server
from tests.e2e.test_clearance import _person

pytestmark = pytest.mark.browser


# Other browser tests share the service and the employee's account: this photo is told apart by its caption.
CAPTION = "Science fair, room 12"


def test_an_employee_takes_down_a_photo_after_consent_is_withdrawn(
    page: Page,
    server: Server,
    sign_in: Callable[[str], Page],
    shoot: Callable[[Page, str], None],
) -> None:
    app = server.app
    with unit_of_work(app.state.bind) as session:
        student = _person(session, "S-TD-1", "Rose Leslie", "student", "biometric", "image_release")
        office = find_user_by_email(session, server.email("office"))
        employee = find_user_by_email(session, server.email("employee"))
        assert office is not None and employee is not None
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
                destination="personal_social_media",
                event_id=None,
                context_kind="classroom",
                context_public=False,
                tags=tuple([]),
                caption=CAPTION,
            ),
            (FACES / "people/rose_leslie/rose-2.jpg").read_bytes(),
            using=Clearing(settings=server.settings, pack=app.state.pack, templates=app.state.templates),
        )
        assert clearance.decision == "allowed"
        consent_id = next(
            id_of(c) for c in consents.list_consents(session, person_id=student.id)[0] if c.kind == "image_release"
        )
        consents.revoke_consent(
            session,
            consent=consents.get_consent(session, consent_id),
            reason="Parent emailed the school office",
            revoked_by_id=office.id or 0,
            district=DISTRICT,
        )

    sign_in("employee")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Take down").click()
    # the uploader is told what to do, not who the student is (registry/clearances/disclosure.py)
    item = page.locator(".takedown", has_text=CAPTION).filter(has_text="A student in this photo")
    expect(item).to_contain_text("their consent was withdrawn")
    expect(item).not_to_contain_text("Rose Leslie")
    expect(item).not_to_contain_text("Parent emailed the school office")
    expect(item.get_by_alt_text("The photo to take down")).to_be_visible()
    page.wait_for_function("() => [...document.querySelectorAll('.takedown-thumb')].every(i => i.complete)")
    shoot(page, "takedowns")
    item.get_by_role("button", name="I have taken it down").click()
    expect(page.get_by_text("the photo is recorded as taken down")).to_be_visible()
    expect(page.locator(".takedown", has_text=CAPTION).filter(has_text="A student in this photo")).to_have_count(0)
    page.get_by_role("link", name="See the ones already taken down").click()
    expect(page.locator(".takedown", has_text=CAPTION).filter(has_text="A student in this photo")).to_contain_text(
        "taken down"
    )

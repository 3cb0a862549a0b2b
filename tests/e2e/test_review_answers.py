"""Each hold is settled by the act that answers it, in a real browser at a desktop's width and a phone's, axe-core
on every page visited: a public game with no event named ("Yes, a public game"), a person whose face could not
be checked ("Nobody else is in it", "block or blur", or name them, each name with its reference face). What the
service found is boxed and labelled in words for the teacher and the reviewer; a photo a reviewer allowed and a
refusal then stopped is on the take-down list, named, and the home notice says so."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.clearances import service as clearances
from registry.clearances.check import Clearing, PhotoCheck
from registry.consents import service as consents
from registry.consents.schemas import ConsentCreate
from registry.core.db import unit_of_work
from registry.faces import enrolment
from registry.models.base import id_of
from tests.district import DISTRICT
from tests.e2e.conftest import FACES, PASSWORD, Server
from tests.e2e.test_clearance import _person
from tests.e2e.test_photo_pages import _sign_in
from tests.e2e.test_reviewing import check_both_widths, journey
from tests.hard_faces import face_photo

pytestmark = pytest.mark.browser
LIN = FACES / "people/lin_manuel_miranda/lin-1-rgba.png"
COVERED_IN_A_SUIT = "people/biden/biden-2.jpg"  # head, shoulders and chest in view
COACH = "teacher-answers@district.example.org"


def _clear(server: Server, photo: bytes, *, file_name: str, caption: str, kind: str, public: bool) -> int:
    with unit_of_work(server.app.state.bind) as session:
        coach = accounts.find_user_by_email(session, COACH)
        assert coach is not None
        clearance = clearances.clear_photo(
            session,
            PhotoCheck(
                uploader=coach,
                destination="personal_social_media",
                context_kind=kind,
                context_public=public,
                caption=caption,
                file_name=file_name,
            ),
            photo,
            using=Clearing(settings=server.settings, pack=server.app.state.pack, templates=server.app.state.templates),
        )
        assert clearance.decision == "needs_review", clearance.reasons
        return id_of(clearance)


@pytest.fixture
def lin(server: Server) -> Iterator[int]:
    """A student with no photo release whose face is enrolled for this test only: tests/e2e/test_reviewing.py
    enrols the same face under another name, and a face enrolled twice is a doubtful match."""
    with unit_of_work(server.app.state.bind) as session:
        person = _person(session, "S-LIN", "Lin Miranda", "student", "biometric")
        office = accounts.find_user_by_email(session, server.email("office"))
        assert office is not None
        enrolment.enrol_face(
            session,
            person=person,
            photo=LIN.read_bytes(),
            face_index=None,
            created_by=office,
            settings=server.settings,
            district=DISTRICT,
        )
        person_id = id_of(person)
    yield person_id
    with unit_of_work(server.app.state.bind) as session:  # the biometric consent withdrawn: the face goes
        [biometric] = [c for c in consents.list_consents(session, person_id=person_id)[0] if c.kind == "biometric"]
        consents.revoke_consent(
            session, consent=biometric, reason="end of the test", revoked_by_id=1, district=DISTRICT
        )
    with unit_of_work(server.app.state.bind) as session:
        assert enrolment.list_templates(session, person_id) == []


def test_each_hold_is_settled_by_the_act_that_answers_it(
    page: Page,
    server: Server,
    sign_in: Callable[[str], Page],
    shoot: Callable[[Page, str], None],
    lin: int,
) -> None:
    with unit_of_work(server.app.state.bind) as session:
        accounts.add_user(
            session, data=UserCreate(email=COACH, full_name="Tess Teacher", role="employee", password=PASSWORD)
        )
    game = _clear(
        server,
        LIN.read_bytes(),
        file_name="final-whistle.png",
        caption="Final whistle",
        kind="sporting_event",
        public=True,
    )
    covered = _clear(
        server,
        face_photo(COVERED_IN_A_SUIT, "upper half covered"),
        file_name="science-fair.jpg",
        caption="Science fair",
        kind="classroom",
        public=False,
    )

    # The teacher sees what the service found, boxed and labelled in words.
    _sign_in(page, COACH)
    page.goto(f"/clearances/{covered}")
    page.wait_for_function("() => document.querySelector('.photo-boxes img').complete")
    expect(page.locator(".face-box.band-unrecognisable")).to_have_count(1)
    expect(page.locator(".finding-key li")).to_have_text(["1 Box 1: Person, face not checked · needs a reviewer"])
    expect(page.locator(".face-item h3").first).to_contain_text("a person whose face could not be checked")
    expect(page.get_by_text("Dashed: a face or person that could not be checked")).to_be_visible()
    check_both_widths(page, shoot, "teacher-finding")
    page.get_by_role("button", name="Sign out").click()

    sign_in("reviewer")
    with journey("reviewer: a public game with no event named, answered Yes") as j:
        page.goto(f"/review/{game}")
        expect(page.get_by_role("heading", name="Check where it was taken: was it a public game?")).to_be_visible()
        check_both_widths(page, shoot, "review-public-game")
        j.click(page.get_by_role("button", name="Yes, a public game"))
        expect(page.get_by_text("The photo now may be posted")).to_be_visible()

    with journey("reviewer: a person whose face could not be checked, answered Nobody else is in it") as j:
        page.goto(f"/review/{covered}")
        section = page.locator(".review-face")
        expect(section.get_by_role("heading")).to_contain_text("a person whose face could not be checked")
        expect(section.get_by_role("button", name="Nobody else is in it")).to_be_visible()
        expect(section.get_by_role("button", name="Someone who may not be shown: block or blur")).to_be_visible()
        expect(page.locator(".finding-key")).to_contain_text("Person, face not checked")
        j.fill(section.get_by_label("Someone on the school's records? Find them by name or ID"), "Lin")
        j.click(section.get_by_role("button", name="Find"))
        found = page.locator(".someone-else-found li", has_text="Lin Miranda")
        expect(found.get_by_alt_text("Reference face of Lin Miranda")).to_be_visible()
        page.wait_for_function("() => [...document.querySelectorAll('.found-face')].every(i => i.complete)")
        assert found.get_by_alt_text("Reference face of Lin Miranda").evaluate("i => i.naturalWidth") > 0
        expect(found.get_by_role("button", name="It is Lin Miranda")).to_be_visible()
        check_both_widths(page, shoot, "review-unchecked-person")
        j.click(page.locator(".review-face").get_by_role("button", name="Nobody else is in it"))
        expect(page.get_by_text(re.compile("The photo now may (not )?be posted"))).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # The family refuses: the photo a reviewer allowed must come down, and everything says so.
    with unit_of_work(server.app.state.bind) as session:
        consents.record_consent(
            session,
            entered_by_id=1,
            district=DISTRICT,
            data=ConsentCreate.model_validate(
                {
                    "person_id": lin,
                    "kind": "image_release",
                    "status": "refused",
                    "signer_name": "Signer",
                    "signer_relationship": "parent",
                    "signed_on": date.today().isoformat(),
                    "scopes": [],
                }
            ),
        )
    with journey("teacher: from home to the photo to take down") as j:
        _sign_in(page, COACH)
        notice = page.locator(".notice", has_text="A reviewer decided").locator("li", has_text="final-whistle.png")
        expect(notice).to_contain_text("on the take-down list")
        expect(notice).not_to_contain_text("may be posted")
        check_both_widths(page, shoot, "home-take-down-notice")
        j.click(page.get_by_role("navigation", name="Main").get_by_role("link", name="Take down"))
        card = page.locator(".takedown", has=page.get_by_role("heading", name="final-whistle.png"))
        expect(card).to_contain_text("“Final whistle”")
        page.wait_for_function("() => [...document.querySelectorAll('.takedown-thumb')].every(i => i.complete)")
        check_both_widths(page, shoot, "takedown-cards")
        link = card.get_by_role("link", name=re.compile("See the photo and why"))
        box = link.bounding_box()
        assert box is not None and box["height"] >= 40, box  # a link a thumb can hit, not a 17 px one
        j.click(link)
        expect(page.get_by_role("heading", name="Take this photo down now")).to_be_visible()
        check_both_widths(page)

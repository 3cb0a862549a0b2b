"""The secretary's morning: ten families' paper forms, six of which also allow face enrolment, each enrolled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from registry.core.db import unit_of_work
from registry.models.base import id_of
from registry.people import service as people
from registry.people.schemas import PersonCreate
from tests.e2e.conftest import FACES, Server
from tests.e2e.journey import Journey

pytestmark = pytest.mark.browser

PHOTOS = [
    "obama/obama-portrait.jpg",
    "biden/biden-portrait.jpg",
    "kit_harington/kit-1.jpg",
    "rose_leslie/rose-1.jpg",
    "alex_lacamoire/alex-1.jpg",
    "lin_manuel_miranda/lin-1-rgba.png",
]


def _students(server: Server, prefix: str) -> list[tuple[int, str, str]]:
    made = []
    with unit_of_work(server.app.state.bind) as session:
        for n in range(10):
            name, parent = f"Pupil{n} {prefix}", f"Parent{n} {prefix}"
            data = {
                "external_id": f"{prefix}-{n}",
                "kind": "student",
                "name": name,
                "school": "North",
                "grade": "3",
                "guardians": [{"name": parent, "relationship": "parent"}],
            }
            made.append((id_of(people.add_person(session, data=PersonCreate.model_validate(data))), name, parent))
    return made


def test_the_secretary_enters_ten_forms_and_enrols_six_faces_before(
    page: Page, server: Server, sign_in: Callable[[str], Page]
) -> None:
    students = _students(server, "JB")
    sign_in("office")
    journey = Journey()
    today = date.today().isoformat()
    for n, (_, name, _) in enumerate(students):
        journey.click(page.get_by_role("navigation", name="Main").get_by_role("link", name="People"))
        journey.fill(page.get_by_label("Name, parent's name or ID"), f"JB-{n}")
        journey.click(page.get_by_role("button", name="Search"))
        journey.click(page.get_by_role("link", name=name))
        journey.click(page.get_by_role("link", name="+ Record a consent"))
        journey.check(page.get_by_label("Photo release"))
        journey.check(page.get_by_label("Yes — they give permission"))
        journey.check(page.get_by_label("Staff members' personal social media"))
        journey.fill(page.get_by_label("Signed on"), today)
        journey.click(page.get_by_role("button", name="Save this consent"))
        expect(page.get_by_text("has been recorded")).to_be_visible()
        if n < 6:
            journey.click(page.get_by_role("link", name="+ Record a consent"))
            journey.check(page.get_by_label("Face enrolment", exact=False))
            journey.check(page.get_by_label("Yes — they give permission"))
            journey.fill(page.get_by_label("Signed on"), today)
            journey.click(page.get_by_role("button", name="Save this consent"))
            expect(page.get_by_text("has been recorded")).to_be_visible()
            journey.upload(page.get_by_label(f"Add a photo of {name}"), FACES / "people" / PHOTOS[n])
            journey.click(page.get_by_role("button", name="Find the face"))
            journey.click(page.get_by_role("button", name=f"Save this face for {name}"))
            expect(page.get_by_text(f"The face has been enrolled for {name}.")).to_be_visible()
    print(journey.report("ten forms, six enrolments (before)"))

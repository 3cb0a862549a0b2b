"""A photo's faces are compared with the people who could be in it; refusals elsewhere are still searched.

A teacher at Lincoln High clears a classroom photo. A student of another school is nobody to that
photo (an unknown face), unless their family said no: then a near match sends the photo to a reviewer.
"""

from __future__ import annotations

import pytest

from tests.api.clearance_helpers import add_person, clear, enrol, full_view, record

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis


def at_school(client, office, person_id: int, school: str) -> None:
    response = client.patch(f"/api/v1/people/{person_id}", json={"school": school}, headers=office)
    assert response.status_code == 200, response.text


def lincoln_teacher(client, office, make_user) -> dict[str, str]:
    teacher = add_person(client, office, "E-T", "employee", "Terry Teacher")
    at_school(client, office, teacher, "Lincoln High")
    return make_user("employee", person_id=teacher)


def test_a_student_of_another_school_is_not_matched_in_a_lincoln_classroom(client, office, make_user):
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    at_school(client, office, obama, "Roosevelt Middle")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama)  # consented: still nobody to a Lincoln classroom
    teacher = lincoln_teacher(client, office, make_user)
    response = clear(client, teacher, "people/obama/obama-2.jpg")
    assert response.status_code == 201, response.text
    cleared = full_view(client, make_user("reviewer"), response.json())
    [face] = cleared["faces"]
    assert face["band"] == "unknown" and face["person_id"] is None
    assert cleared["decision"] != "allowed"
    assert "Lincoln High" in cleared["engine"]["matched_against"]


def test_the_same_student_at_the_teachers_own_school_is_recognised(client, office, make_user):
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    at_school(client, office, obama, "Lincoln High")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama)
    teacher = lincoln_teacher(client, office, make_user)
    cleared = clear(client, teacher, "people/obama/obama-2.jpg").json()
    assert cleared["decision"] == "allowed", cleared
    assert "matched against 1 enrolled people who could be there" in cleared["engine"]["matched_against"]


def test_a_refused_student_of_another_school_sends_the_photo_to_a_reviewer(client, office, make_user):
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    biden = add_person(client, office, "S-2", "student", "Joe Biden")
    at_school(client, office, obama, "Roosevelt Middle")
    at_school(client, office, biden, "Lincoln High")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    enrol(client, office, biden, "people/biden/biden-portrait.jpg", signer="parent")
    record(client, office, obama, status="refused", scopes=())
    record(client, office, biden)
    teacher = lincoln_teacher(client, office, make_user)
    response = clear(client, teacher, "people/obama/obama-2.jpg")
    cleared = full_view(client, make_user("reviewer"), response.json())
    [face] = cleared["faces"]
    assert (face["band"], face["person_id"]) == ("possible", obama)
    assert cleared["decision"] == "needs_review"
    assert "1 elsewhere who may not be shown" in cleared["engine"]["matched_against"]


def test_an_uploader_with_no_school_or_group_is_matched_against_everyone(client, office, employee, make_user):
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    at_school(client, office, obama, "Roosevelt Middle")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama)
    cleared = clear(client, employee, "people/obama/obama-2.jpg").json()
    assert cleared["decision"] == "allowed", cleared
    assert cleared["engine"]["matched_against"].startswith("matched against everyone enrolled")

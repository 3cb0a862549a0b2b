"""Enrolling reference faces: consent first, one face, never an encoding in a response."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.clearance_helpers import TODAY, add_person, clear, enrol, full_view, record
from tests.conftest import FACES

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis


def upload_face(client, headers, person_id: int, photo: str, **form: str):
    with open(FACES / photo, "rb") as handle:
        return client.post(
            f"/api/v1/people/{person_id}/faces",
            data=form,
            files={"photo": (photo, handle, "image/jpeg")},
            headers=headers,
        )


def test_enrolment_needs_a_biometric_consent_signed_by_a_parent(client, office):
    student = add_person(client, office, "S-1", "student", "Barack Obama")
    refused = upload_face(client, office, student, "people/obama/obama-portrait.jpg")
    assert refused.status_code == 403 and "biometric consent" in refused.json()["detail"]
    record(client, office, student, "biometric", status="refused")
    assert upload_face(client, office, student, "people/obama/obama-portrait.jpg").status_code == 403
    record(client, office, student, "biometric", valid_from=str(TODAY + timedelta(days=60)))  # not yet in force
    assert upload_face(client, office, student, "people/obama/obama-portrait.jpg").status_code == 403
    assert client.get(f"/api/v1/people/{student}/faces", headers=office).json() == []


def test_a_person_can_have_several_faces_and_lose_one(client, office):
    student = add_person(client, office, "S-1", "student", "Barack Obama")
    first = enrol(client, office, student, "people/obama/obama-portrait.jpg", signer="parent")
    second = upload_face(client, office, student, "people/obama/obama-3.jpg")
    assert second.status_code == 201
    listed = client.get(f"/api/v1/people/{student}/faces", headers=office)
    assert [f["id"] for f in listed.json()] == [first["id"], second.json()["id"]]
    assert "encoding" not in listed.text and "encoding" not in second.text
    thumbnail = client.get(f"/api/v1/people/{student}/faces/{first['id']}/thumbnail", headers=office)
    assert thumbnail.status_code == 200 and thumbnail.content[:3] == b"\xff\xd8\xff"
    assert client.delete(f"/api/v1/people/{student}/faces/{first['id']}", headers=office).status_code == 204
    assert [f["id"] for f in client.get(f"/api/v1/people/{student}/faces", headers=office).json()] == [
        second.json()["id"]
    ]


def test_a_group_photo_needs_the_face_chosen(client, office):
    student = add_person(client, office, "S-1", "student", "Barack Obama")
    record(client, office, student, "biometric")
    two = upload_face(client, office, student, "groups/biden-obama.jpg")
    assert two.status_code == 422 and "2 faces" in two.json()["detail"]
    chosen = upload_face(client, office, student, "groups/biden-obama.jpg", face_index="0")
    assert chosen.status_code == 201
    out_of_range = upload_face(client, office, student, "groups/biden-obama.jpg", face_index="5")
    assert out_of_range.status_code == 422


def test_a_deleted_template_no_longer_identifies_on_the_next_request(client, office, employee, make_user):
    student = add_person(client, office, "S-1", "student", "Barack Obama")
    template = enrol(client, office, student, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, student)
    reviewer = make_user("reviewer")
    before = full_view(client, reviewer, clear(client, employee, "people/obama/obama-2.jpg").json())
    assert before["faces"][0]["person_name"] == "Barack Obama"
    client.delete(f"/api/v1/people/{student}/faces/{template['id']}", headers=office)
    after = full_view(client, reviewer, clear(client, employee, "people/obama/obama-2.jpg").json())
    assert after["faces"][0]["person_name"] is None and after["decision"] == "blocked"


def test_only_office_staff_enrol_and_nobody_reads_encodings(client, office, employee, make_user):
    student = add_person(client, office, "S-1", "student", "Barack Obama")
    template = enrol(client, office, student, "people/obama/obama-portrait.jpg", signer="parent")
    assert upload_face(client, employee, student, "people/obama/obama-3.jpg").status_code == 403
    assert client.get(f"/api/v1/people/{student}/faces", headers=employee).status_code == 403
    assert client.delete(f"/api/v1/people/{student}/faces/{template['id']}", headers=employee).status_code == 403
    spec = client.get("/openapi.json").text
    assert '"encoding"' not in spec

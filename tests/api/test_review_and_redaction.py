"""Reviewers resolve what the machine must not decide; blurred copies are cleared themselves."""

from __future__ import annotations

import io
from datetime import datetime

import numpy as np
import pytest
from PIL import Image

from tests.api.clearance_helpers import add_person, clear, enrol, face_of, full_view, record
from tests.conftest import FACES

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis


def test_a_reviewer_resolves_a_possible_match_and_the_decision_is_recomputed(
    client, office, employee, make_user, settings
):
    settings.match_threshold = 0.2  # makes a genuine match land in the review band
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama)
    asked = clear(client, employee, "people/obama/obama-2.jpg").json()
    assert asked["faces"][0]["candidates"] == []  # the uploader is not shown who it might be
    by_office = clear(client, office, "people/obama/obama-2.jpg").json()  # office staff: candidates are a reviewer's
    assert by_office["faces"][0]["candidates"] == [] and by_office["faces"][0]["distance"] is None
    assert by_office["faces"][0]["person_name"] is None and "Obama" not in str(by_office["reasons"])
    reviewer = make_user("reviewer")
    pending = full_view(client, reviewer, asked)
    assert pending["decision"] == "needs_review" and pending["faces"][0]["band"] == "possible"
    assert pending["faces"][0]["candidates"][0]["name"] == "Barack Obama"
    url = f"/api/v1/clearances/{pending['id']}/review"
    assert client.post(url, json={"faces": [{"index": 0, "resolution": "nobody"}]}, headers=employee).status_code == 403
    resolved = client.post(
        url,
        json={
            "faces": [{"index": 0, "resolution": "person", "person_id": obama}],
            "note": "Same boy, checked with the class list",
        },
        headers=reviewer,
    )
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert body["decision"] == "allowed" and body["faces"][0]["review"]["resolution"] == "person"
    rejected = client.post(url, json={"faces": [{"index": 0, "resolution": "reject"}]}, headers=reviewer).json()
    assert rejected["decision"] == "blocked" and rejected["faces"][0]["rule"] == "reviewer-rejected"
    nobody = client.post(url, json={"faces": [{"index": 0, "resolution": "nobody"}]}, headers=reviewer).json()
    assert nobody["decision"] == "blocked"  # an unknown face in a classroom blocks
    bad = client.post(url, json={"faces": [{"index": 3, "resolution": "nobody"}]}, headers=reviewer)
    assert bad.status_code == 422 and "no face 3" in bad.json()["detail"]


def test_a_photo_outside_its_events_time_needs_review(client, office, employee, make_user, tmp_path):
    event = client.post(
        "/api/v1/events",
        json={
            "name": "Spring concert",
            "kind": "fine_arts_performance",
            "public": True,
            "starts_at": "2026-05-01T18:00:00",
            "ends_at": "2026-05-01T20:00:00",
        },
        headers=office,
    ).json()
    image = Image.open(FACES / "people" / "kit_harington" / "kit-1.jpg")
    exif = Image.Exif()
    exif[0x0132] = "2026:03:14 09:30:00"
    path = tmp_path / "wrong-day.jpg"
    image.save(path, exif=exif)
    kit = add_person(client, office, "E-KIT", "employee", "Kit Harington")
    enrol(client, office, kit, "people/kit_harington/kit-2.jpg", signer="self")
    kit_login = make_user("employee", person_id=kit)
    with open(path, "rb") as handle:
        response = client.post(
            "/api/v1/clearances",
            data={"destination": "personal_social_media", "event_id": str(event["id"])},
            files={"photo": ("wrong-day.jpg", handle, "image/jpeg")},
            headers=kit_login,
        )
    clearance = response.json()
    assert clearance["decision"] == "needs_review", clearance
    assert "outside the event" in clearance["review_reasons"][0]
    reviewer = make_user("reviewer")
    confirmed = client.post(
        f"/api/v1/clearances/{clearance['id']}/review", json={"context_confirmed": True}, headers=reviewer
    ).json()
    assert confirmed["decision"] == "allowed"


def test_the_blurred_copy_hides_the_blocking_face_strips_metadata_and_is_cleared(client, office, employee, make_user):
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    biden = add_person(client, office, "E-1", "employee", "Joe Biden")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    enrol(client, office, biden, "people/biden/biden-portrait.jpg", signer="self")
    record(client, office, obama)
    clearance = clear(client, employee, "groups/biden-obama.jpg").json()
    assert clearance["decision"] == "blocked" and clearance["redaction_offered"] is True
    response = client.get(f"/api/v1/clearances/{clearance['id']}/redacted", headers=employee)
    assert response.status_code == 200, response.text
    copy = Image.open(io.BytesIO(response.content))
    assert not copy.getexif() and "exif" not in copy.info and "icc_profile" not in copy.info
    reviewer = make_user("reviewer")
    box = face_of(full_view(client, reviewer, clearance), "Joe Biden")["box"]
    original = np.asarray(Image.open(FACES / "groups" / "biden-obama.jpg").convert("RGB"))
    blurred = np.asarray(copy.convert("RGB"))
    region = (slice(box["top"], box["bottom"]), slice(box["left"], box["right"]))
    assert np.abs(original[region].astype(int) - blurred[region].astype(int)).mean() > 10
    own = client.get(f"/api/v1/clearances/{response.headers['X-Clearance-Id']}", headers=employee).json()
    assert own["decision"] == "allowed" and own["redacted_of_id"] == clearance["id"]
    assert face_of(full_view(client, reviewer, own), "Barack Obama")["verdict"] == "allowed"


def test_no_blurred_copy_when_a_tag_blocks(client, employee):
    clearance = clear(client, employee, "groups/biden-obama.jpg", tags=("floor_plan",)).json()
    assert clearance["redaction_offered"] is False
    response = client.get(f"/api/v1/clearances/{clearance['id']}/redacted", headers=employee)
    assert response.status_code == 409 and "No blurred copy" in response.json()["detail"]


def test_taken_at_is_recorded_from_exif(client, employee, tmp_path):
    image = Image.open(FACES / "people" / "obama" / "obama-2.jpg")
    exif = Image.Exif()
    exif[0x0132] = "2026:10:03 16:05:00"
    path = tmp_path / "dated.jpg"
    image.save(path, exif=exif)
    with open(path, "rb") as handle:
        body = client.post(
            "/api/v1/clearances",
            data={"destination": "print", "context_kind": "assembly", "context_public": "false"},
            files={"photo": ("dated.jpg", handle, "image/jpeg")},
            headers=employee,
        ).json()
    assert datetime.fromisoformat(body["taken_at"]) == datetime(2026, 10, 3, 16, 5)


def test_a_reviewer_approves_a_parent_the_policy_does_not_name(client, office, employee, make_user):
    rose = add_person(client, office, "C-ROSE", "community_member", "Rose Leslie")
    enrol(client, office, rose, "people/rose_leslie/rose-1.jpg", signer="self")
    reviewer = make_user("reviewer")
    pending = full_view(client, reviewer, clear(client, employee, "people/rose_leslie/rose-2.jpg").json())
    assert pending["decision"] == "needs_review" and pending["faces"][0]["person_name"] == "Rose Leslie"
    url = f"/api/v1/clearances/{pending['id']}/review"
    approved = client.post(
        url,
        json={"faces": [{"index": 0, "resolution": "approve"}], "note": "Parent volunteer, agreed on the day"},
        headers=reviewer,
    ).json()
    assert approved["decision"] == "allowed" and approved["faces"][0]["rule"] == "reviewer-approved"
    assert approved["faces"][0]["person_name"] == "Rose Leslie"


def test_a_reviewer_approves_a_floor_plan_for_the_district_website(client, employee, make_user):
    plan = clear(
        client, employee, "people/obama/obama-2.jpg", destination="district_website", tags=("floor_plan",)
    ).json()
    reviewer = make_user("reviewer")
    url = f"/api/v1/clearances/{plan['id']}/review"
    after = client.post(url, json={"tags_approved": True}, headers=reviewer).json()
    # the floor plan is settled, but the unknown face still blocks: an approval never lifts a block
    assert not any(r["verdict"] == "needs_review" for r in after["reasons"])
    assert after["decision"] == "blocked"
    assert client.post(url, json={}, headers=reviewer).status_code == 422

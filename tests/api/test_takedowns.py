"""Revoked, expired and departed: every allowed photo that relied on the consent must come down."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import Session

from registry.takedowns import service as takedowns
from tests.api.clearance_helpers import add_person, clear, enrol, record
from tests.district import DISTRICT

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis


def posted_photo(client, office, employee) -> tuple[int, dict, dict]:
    """The uploader coaches the student, so may know who he is (registry/clearances/disclosure.py; an uploader who may
    not is told in words: tests/api/test_disclosure.py)."""
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    coach = client.get("/api/v1/auth/me", headers=employee).json()["id"]
    team = client.post(
        "/api/v1/groups",
        json={"name": "Varsity soccer", "kind": "team", "member_ids": [obama], "leader_ids": [coach]},
        headers=office,
    )
    assert team.status_code == 201, team.text
    consent = record(client, office, obama)
    clearance = clear(client, employee, "people/obama/obama-720p.jpg").json()
    assert clearance["decision"] == "allowed" and clearance["consents_relied_on"] == [consent["id"]]
    return obama, consent, clearance


def test_revoking_a_consent_asks_the_uploader_to_take_the_photo_down(client, office, employee, admin, make_user):
    _, consent, clearance = posted_photo(client, office, employee)
    blocked = clear(client, employee, "groups/biden-obama.jpg").json()  # not allowed: never posted
    assert blocked["decision"] == "blocked"
    client.post(f"/api/v1/consents/{consent['id']}/revoke", json={"reason": "Mother asked by phone"}, headers=office)
    mine = client.get("/api/v1/takedowns", headers=employee).json()
    assert mine["total"] == 1
    request = mine["items"][0]
    assert request["clearance_id"] == clearance["id"] and request["person_name"] == "Barack Obama"
    assert request["cause"] == "revoked" and "was withdrawn on" in request["reason"]
    assert "Mother asked by phone" not in request["reason"]  # the office's note stays in the office record
    thumbnail = client.get(request["thumbnail_url"], headers=employee)
    assert thumbnail.status_code == 200 and thumbnail.content[:3] == b"\xff\xd8\xff"
    assert client.get("/api/v1/takedowns", headers=make_user("employee")).json()["total"] == 0
    district = client.get("/api/v1/takedowns", params={"state": "open"}, headers=admin).json()
    assert district["total"] == 1 and district["items"][0]["age_days"] == 0

    other = make_user("employee")
    assert client.post(f"/api/v1/takedowns/{request['id']}/confirm", headers=other).status_code == 404
    confirmed = client.post(f"/api/v1/takedowns/{request['id']}/confirm", headers=employee).json()
    assert confirmed["confirmed_at"]
    assert client.get("/api/v1/takedowns", params={"state": "open"}, headers=admin).json()["total"] == 0
    # the same photo cleared again now is blocked: the consent is gone
    assert clear(client, employee, "people/obama/obama-720p.jpg").json()["decision"] == "blocked"


def test_an_expired_consent_is_found_by_the_daily_scan(client, office, employee, session: Session):
    _, consent, clearance = posted_photo(client, office, employee)
    assert takedowns.daily_recheck(session, district=DISTRICT) == []
    later = datetime.combine(date.fromisoformat(consent["valid_until"]) + timedelta(days=1), time(12), UTC)
    created = takedowns.daily_recheck(session, district=DISTRICT, at=later)
    assert [t.clearance_id for t in created] == [clearance["id"]] and created[0].cause == "expired"
    assert "ended on" in created[0].reason
    assert takedowns.daily_recheck(session, district=DISTRICT, at=later) == []  # once only
    session.commit()
    assert client.get("/api/v1/takedowns", headers=employee).json()["items"][0]["cause"] == "expired"


def test_a_departing_person_takes_their_photos_with_them(client, office, employee):
    obama, _, clearance = posted_photo(client, office, employee)
    client.patch(f"/api/v1/people/{obama}", json={"status": "departed"}, headers=office)
    items = client.get("/api/v1/takedowns", headers=employee).json()["items"]
    assert [(t["clearance_id"], t["cause"]) for t in items] == [(clearance["id"], "departed")]
    client.patch(f"/api/v1/people/{obama}", json={"name": "Barack H. Obama"}, headers=office)
    assert client.get("/api/v1/takedowns", headers=employee).json()["total"] == 1  # not twice

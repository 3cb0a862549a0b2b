"""How forms are entered and read, third reading (issue 19): corrections, revocations of corrected forms,
adult students' own refusals, departures and returns, signers not on the roster, event times with an
offset, and the words of a few sentences.

Each test goes through the API (or the office pages) as office staff and a coach would, with the real
face engine: Barack Obama's photos stand for a student of the district.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from registry.policy import load_builtin_pack
from registry.policy.ledger import day_label
from tests.api.clearance_helpers import TODAY, clear, full_view, public_event, record
from tests.api.test_consent_ledger import GAME_PHOTO, _sign_in, employee, student, takedowns_of

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis

__all__ = ["employee"]  # the coach fixture, shared with tests/api/test_consent_ledger.py


def correct(client: TestClient, office: dict[str, str], person: int, corrects: int, **form: object):
    body = {
        "person_id": person,
        "kind": "image_release",
        "status": "granted",
        "scopes": ["personal_social_media"],
        "signer_name": "Signer",
        "signer_relationship": "parent",
        "signed_on": str(TODAY - timedelta(days=30)),
        "corrects_id": corrects,
        **form,
    }
    return client.post("/api/v1/consents", json=body, headers=office)


def revoke(client: TestClient, office: dict[str, str], consent: int):
    return client.post(f"/api/v1/consents/{consent}/revoke", json={"reason": "Parent phoned"}, headers=office)


def adult_birth_date() -> str:
    return str(date(TODAY.year - 19, 1, 15))


# --- 1. a correction never brings back what the family withdrew or refused ---------------------------


def test_a_revoked_form_cannot_be_corrected_back_into_force(app, session, client, office, employee):
    obama = student(client, office)
    grant = record(client, office, obama)
    posted = clear(client, employee, GAME_PHOTO).json()
    assert posted["decision"] == "allowed"
    assert revoke(client, office, grant["id"]).status_code == 200
    again = correct(client, office, obama, grant["id"], scopes=["personal_social_media", "print"])
    assert again.status_code == 409, again.text
    assert "withdrawn" in again.json()["detail"] and "new signed form" in again.json()["detail"]
    assert clear(client, employee, GAME_PHOTO).json()["decision"] == "blocked"
    with TestClient(app) as secretary:
        _sign_in(secretary, session, "secretary@district.example.org", "office_staff")
        page = secretary.get(f"/people/{obama}").text
        assert f'href="/consents/{grant["id"]}/correct"' not in page  # the revoked form offers no correction


def test_a_refusal_cannot_be_corrected_into_a_grant_or_out_of_the_way(client, office, employee):
    obama = student(client, office)
    record(client, office, obama, signed_on=str(TODAY - timedelta(days=60)))
    refusal = record(
        client, office, obama, status="refused", scopes=("district_website",), signed_on=str(TODAY - timedelta(days=5))
    )
    into_a_grant = correct(client, office, obama, refusal["id"], signed_on=str(TODAY - timedelta(days=5)))
    assert into_a_grant.status_code == 409 and "cannot be corrected into a yes" in into_a_grant.json()["detail"]
    dated_earlier = correct(
        client,
        office,
        obama,
        refusal["id"],
        status="refused",
        scopes=["district_website"],
        signed_on=str(TODAY - timedelta(days=90)),  # before the grant: the grant would decide again
    )
    assert dated_earlier.status_code == 409 and "may not be dated before it" in dated_earlier.json()["detail"]
    narrower = correct(client, office, obama, refusal["id"], status="refused", scopes=["print"])
    assert narrower.status_code == 409 and "at least every place" in narrower.json()["detail"]
    details = correct(
        client, office, obama, refusal["id"], status="refused", scopes=[], signed_on=str(TODAY - timedelta(days=4))
    )
    assert details.status_code == 201, details.text  # its details may be fixed: now it refuses everything
    assert clear(client, employee, GAME_PHOTO).json()["decision"] == "blocked"


# --- 4. revoking a form that was corrected ------------------------------------------------------------


def test_revoking_a_corrected_form_withdraws_the_correction_in_force(client, office, employee):
    obama = student(client, office)
    signed = record(client, office, obama, scopes=("district_website",))
    fixed = correct(client, office, obama, signed["id"]).json()
    posted = clear(client, employee, GAME_PHOTO).json()
    assert posted["decision"] == "allowed" and posted["consents_relied_on"] == [fixed["id"]]
    revoked = revoke(client, office, signed["id"])  # the integration knows the number of the signed form
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["id"] == fixed["id"] and revoked.json()["state"] == "revoked"
    [takedown] = takedowns_of(client, employee)
    assert takedown["clearance_id"] == posted["id"] and takedown["cause"] == "revoked"
    assert clear(client, employee, GAME_PHOTO).json()["decision"] == "blocked"
    twice = revoke(client, office, signed["id"])
    assert twice.status_code == 422 and f"the form in force is consent {fixed['id']}" in twice.json()["detail"]


# --- 5. an adult student's own refusal --------------------------------------------------------------


def test_an_adult_student_refuses_for_themself_and_a_parents_grant_does_not_overrule_it(client, office, employee):
    obama = student(client, office)
    aged = client.patch(f"/api/v1/people/{obama}", json={"birth_date": adult_birth_date()}, headers=office)
    assert aged.status_code == 200, aged.text
    record(client, office, obama, signed_on=str(TODAY - timedelta(days=30)))
    posted = clear(client, employee, GAME_PHOTO).json()
    assert posted["decision"] == "allowed"
    own = record(
        client, office, obama, status="refused", scopes=(), signer="self", signed_on=str(TODAY - timedelta(days=5))
    )
    assert own["state"] == "refused"
    [takedown] = takedowns_of(client, employee)
    assert takedown["clearance_id"] == posted["id"]
    record(client, office, obama, signed_on=str(TODAY - timedelta(days=2)))  # a parent's newer grant
    game = public_event(client, office)
    cleared = clear(client, employee, GAME_PHOTO, event_id=game).json()
    assert cleared["decision"] == "blocked" and cleared["faces"][0]["consent_id"] == own["id"]
    assert "refused the image release themself" in cleared["faces"][0]["message"]
    # Litchfield: a parent grants; the student lifts their own refusal with their own later "yes".
    lifted = record(client, office, obama, signer="self", signed_on=str(TODAY - timedelta(days=1)))
    assert lifted["state"] == "wrong_signer"  # it grants nothing itself (IV.A.2: "parental consent")
    assert clear(client, employee, GAME_PHOTO).json()["decision"] == "blocked"
    record(client, office, obama, signed_on=str(TODAY))
    assert clear(client, employee, GAME_PHOTO).json()["decision"] == "allowed"


def test_a_minor_does_not_sign_their_own_refusal_and_an_adults_own_yes_needs_their_refusal(client, office):
    obama = student(client, office)
    minor = client.post(
        "/api/v1/consents",
        headers=office,
        json={
            "person_id": obama,
            "kind": "image_release",
            "status": "refused",
            "scopes": [],
            "signer_name": "Barack Obama",
            "signer_relationship": "self",
            "signed_on": str(TODAY),
        },
    )
    assert minor.status_code == 422 and "parent or guardian" in minor.json()["detail"]
    client.patch(f"/api/v1/people/{obama}", json={"birth_date": adult_birth_date()}, headers=office)
    own_yes = client.post(
        "/api/v1/consents",
        headers=office,
        json={
            "person_id": obama,
            "kind": "image_release",
            "status": "granted",
            "scopes": ["personal_social_media"],
            "signer_name": "Barack Obama",
            "signer_relationship": "self",
            "signed_on": str(TODAY),
        },
    )
    assert own_yes.status_code == 422  # Litchfield: with no own refusal to lift, a parent signs


# --- 9. leaving and coming back ---------------------------------------------------------------------


def test_coming_back_to_the_district_does_not_bring_back_the_old_forms(client, office, employee):
    obama = student(client, office)
    record(client, office, obama)
    assert clear(client, employee, GAME_PHOTO).json()["decision"] == "allowed"
    left = {"status": "departed", "departed_on": str(TODAY - timedelta(days=10))}  # forms signed by then end
    assert client.patch(f"/api/v1/people/{obama}", json=left, headers=office).status_code == 200
    back = client.patch(f"/api/v1/people/{obama}", json={"status": "active"}, headers=office)
    assert back.status_code == 200 and back.json()["departed_on"] is None
    assert back.json()["image_release"]["release"] == "no_release"
    assert "left the district" in back.json()["image_release"]["words"]
    assert back.json()["enrolled"] is False  # the templates went when they left
    with open("tests/data/faces/people/obama/obama-portrait.jpg", "rb") as handle:
        again = client.post(
            f"/api/v1/people/{obama}/faces", files={"photo": ("me.jpg", handle, "image/jpeg")}, headers=office
        )
    assert again.status_code == 403, again.text  # the old consent to enrol the face ended with the departure
    record(client, office, obama, "biometric", signed_on=str(TODAY))  # a new consent to enrol the face
    with open("tests/data/faces/people/obama/obama-portrait.jpg", "rb") as handle:
        enrolled = client.post(
            f"/api/v1/people/{obama}/faces", files={"photo": ("me.jpg", handle, "image/jpeg")}, headers=office
        )
    assert enrolled.status_code == 201, enrolled.text
    blocked = full_view(client, office, clear(client, office, GAME_PHOTO).json())
    assert blocked["decision"] == "blocked" and "left the district" in blocked["faces"][0]["message"]
    record(client, office, obama, signed_on=str(TODAY))
    assert clear(client, employee, GAME_PHOTO).json()["decision"] == "allowed"


# --- 11. a signer not on the roster ----------------------------------------------------------------


def test_a_grant_signed_by_someone_not_among_the_guardians(app, session, client, office, employee):
    shipped = load_builtin_pack("litchfield-4118.51")
    app.state.pack = dataclasses.replace(shipped, require_listed_guardian=True)  # a district that requires it
    obama = student(client, office)
    guardians = [{"name": "Ana Lopez", "relationship": "parent"}]
    assert client.patch(f"/api/v1/people/{obama}", json={"guardians": guardians}, headers=office).status_code == 200
    form = {
        "person_id": obama,
        "kind": "image_release",
        "status": "granted",
        "scopes": ["personal_social_media"],
        "signer_relationship": "parent",
        "signed_on": str(TODAY - timedelta(days=3)),
    }
    stranger = client.post("/api/v1/consents", json={**form, "signer_name": "Rita Stone"}, headers=office)
    assert stranger.status_code == 422 and "not on the roster" in stranger.json()["detail"]
    listed = client.post("/api/v1/consents", json={**form, "signer_name": "ana  LÓPEZ"}, headers=office)
    assert listed.status_code == 201 and listed.json()["signer_listed"] is True
    posted = clear(client, employee, GAME_PHOTO).json()
    assert posted["decision"] == "allowed"
    others = [{"name": "Rita Stone", "relationship": "guardian"}]  # the roster now names someone else
    assert client.patch(f"/api/v1/people/{obama}", json={"guardians": others}, headers=office).status_code == 200
    [takedown] = takedowns_of(client, employee)
    assert takedown["clearance_id"] == posted["id"] and "not on the roster" in takedown["reason"]
    form_now = client.get(f"/api/v1/consents/{listed.json()['id']}", headers=office).json()
    assert form_now["signer_listed"] is False and form_now["state"] == "wrong_signer"
    with TestClient(app) as secretary:
        _sign_in(secretary, session, "secretary@district.example.org", "office_staff")
        assert "signed by someone not on the roster" in secretary.get(f"/people/{obama}").text
    # The shipped pack lets such a grant count, and says so on the form and in the decision.
    assert shipped.require_listed_guardian is False
    app.state.pack = shipped
    counted = client.post("/api/v1/consents", json={**form, "signer_name": "Jo Bloggs"}, headers=office)
    assert counted.status_code == 201 and counted.json()["signer_listed"] is False
    cleared = full_view(client, office, clear(client, office, GAME_PHOTO).json())
    assert cleared["decision"] == "allowed"
    assert "signed by someone not on the roster" in cleared["faces"][0]["message"]


# --- 12. an event's time with an offset --------------------------------------------------------------


def test_an_event_time_with_an_offset_is_turned_into_district_time(app, client, office):
    app.state.settings = app.state.settings.model_copy(update={"time_zone": "America/New_York"})
    game = {
        "name": "Night game",
        "kind": "sporting_event",
        "public": True,
        "starts_at": "2026-10-03T20:00:00Z",
        "ends_at": "2026-10-03T18:30:00-04:00",
    }
    created = client.post("/api/v1/events", json=game, headers=office)
    assert created.status_code == 201, created.text
    assert created.json()["starts_at"] == "2026-10-03T16:00:00"  # 20:00 UTC is 16:00 in New York (EDT)
    assert created.json()["ends_at"] == "2026-10-03T18:30:00"
    backwards = client.post("/api/v1/events", json={**game, "ends_at": "2026-10-03T15:00:00"}, headers=office)
    assert backwards.status_code == 422 and "before starts_at" in backwards.json()["detail"]  # 15:00 < 16:00


# --- 16. words --------------------------------------------------------------------------------------


def test_danburys_adult_students_are_told_their_own_consent_is_needed(app, client, office):
    app.state.pack = load_builtin_pack("danbury-4-303")
    obama = student(client, office)
    client.patch(f"/api/v1/people/{obama}", json={"birth_date": adult_birth_date()}, headers=office)
    cleared = full_view(client, office, clear(client, office, GAME_PHOTO).json())
    assert cleared["decision"] == "blocked"
    assert "a student aged 18 or more: their own" in cleared["faces"][0]["message"]


def test_a_refusal_for_other_places_says_who_signed_it(client, office):
    obama = student(client, office)
    record(client, office, obama, status="refused", scopes=("print",))
    cleared = full_view(client, office, clear(client, office, GAME_PHOTO).json())
    assert "(a refusal, signed by Barack Obama's parent Signer on" in cleared["faces"][0]["message"]


def test_a_withdrawal_is_dated_by_the_districts_day(app, client, office):
    now = datetime.now(UTC)
    zone = "Pacific/Kiritimati" if now.hour >= 10 else "Etc/GMT+12"  # whichever is on another day than UTC
    assert now.astimezone(ZoneInfo(zone)).date() != now.date()
    app.state.settings = app.state.settings.model_copy(update={"time_zone": zone})
    obama = student(client, office)
    grant = record(client, office, obama)
    revoke(client, office, grant["id"])
    cleared = full_view(client, office, clear(client, office, GAME_PHOTO).json())
    district_day = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    assert f"was withdrawn on {day_label(district_day)}" in cleared["faces"][0]["message"]

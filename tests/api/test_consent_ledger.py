"""A parent's wishes as recorded are what decides: the seven ways the record used to be misread.

Each test goes through the API (or the office pages) as office staff and a coach would, with the
real face engine: Barack Obama's photos stand for a student of the district.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from tests.api.clearance_helpers import TODAY, add_person, clear, enrol, now, public_event, record
from tests.conftest import PASSWORD

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis

GAME_PHOTO = "people/obama/obama-1080p.jpg"  # no camera time: nothing to check against the event's hours


TEAM = "Varsity soccer"


@pytest.fixture
def employee(client: TestClient, office: dict[str, str], make_user) -> dict[str, str]:
    """The coach of the team the student plays on: the student's name and forms are theirs to know
    (registry/clearances/disclosure.py; an employee who may not know who a student is is told in words,
    tests/api/test_disclosure.py)."""
    coach = make_user("employee")
    me = client.get("/api/v1/auth/me", headers=coach).json()["id"]
    team = client.post("/api/v1/groups", json={"name": TEAM, "kind": "team", "leader_ids": [me]}, headers=office)
    assert team.status_code == 201, team.text
    return coach


def student(client: TestClient, office: dict[str, str]) -> int:
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    team = next((g for g in client.get("/api/v1/groups", headers=office).json() if g["name"] == TEAM), None)
    if team is not None:  # he plays on the coach's team
        joined = client.put(
            f"/api/v1/groups/{team['id']}",
            json={"name": TEAM, "kind": "team", "member_ids": [obama], "leader_ids": team["leader_ids"]},
            headers=office,
        )
        assert joined.status_code == 200, joined.text
    return obama


def takedowns_of(client: TestClient, headers: dict[str, str]) -> list[dict]:
    return client.get("/api/v1/takedowns", params={"state": "open"}, headers=headers).json()["items"]


def test_a_refusal_with_no_destinations_ticked_refuses_everything_even_at_a_public_game(client, office, employee):
    obama = student(client, office)
    record(client, office, obama, signed_on=str(TODAY - timedelta(days=60)))
    refusal = record(client, office, obama, status="refused", scopes=(), signed_on=str(TODAY - timedelta(days=5)))
    assert refusal["state"] == "refused" and refusal["valid_until"] is None
    game = public_event(client, office)
    cleared = clear(client, employee, GAME_PHOTO, event_id=game).json()
    assert cleared["decision"] == "blocked"
    assert cleared["faces"][0]["rule"] == "recorded-refusal" and cleared["faces"][0]["consent_id"] == refusal["id"]
    for destination in ("district_website", "print"):
        assert clear(client, employee, GAME_PHOTO, event_id=game, destination=destination).json()["decision"] == (
            "blocked"
        )


def test_a_refusal_recorded_as_a_new_form_takes_down_what_was_posted(client, office, employee):
    obama = student(client, office)
    grant = record(client, office, obama, signed_on=str(TODAY - timedelta(days=60)))
    posted = clear(client, employee, GAME_PHOTO).json()
    assert posted["decision"] == "allowed" and posted["consents_relied_on"] == [grant["id"]]
    refusal = record(client, office, obama, status="refused", scopes=(), signed_on=str(TODAY - timedelta(days=1)))
    [takedown] = takedowns_of(client, employee)
    assert takedown["clearance_id"] == posted["id"] and takedown["cause"] == "refused"
    assert takedown["consent_id"] == refusal["id"] and "refused the image release" in takedown["reason"]
    now = client.get(f"/api/v1/clearances/{posted['id']}", headers=employee).json()
    assert now["decision"] == "allowed" and now["standing"] == "take_down"  # allowed when checked; down now


def test_a_correction_replaces_the_form_it_corrects(client, office, employee):
    obama = student(client, office)
    typed_wrong = record(client, office, obama, scopes=("personal_social_media", "district_website"))
    assert clear(client, employee, GAME_PHOTO).json()["decision"] == "allowed"
    corrected = record(client, office, obama, scopes=("district_website",), corrects_id=typed_wrong["id"])
    cleared = clear(client, employee, GAME_PHOTO).json()
    assert cleared["decision"] == "blocked"
    assert cleared["faces"][0]["consent_id"] == corrected["id"]  # the correction is cited, not the mistake
    assert "does not cover personal social media" in cleared["faces"][0]["message"]
    wrong = client.get(f"/api/v1/consents/{typed_wrong['id']}", headers=office).json()
    assert wrong["state"] == "corrected"
    assert [t["cause"] for t in takedowns_of(client, employee)] == ["corrected"]
    again = client.post(
        "/api/v1/consents",
        headers=office,
        json={
            "person_id": obama,
            "kind": "image_release",
            "status": "granted",
            "scopes": ["print"],
            "signer_name": "Signer",
            "signer_relationship": "parent",
            "signed_on": str(TODAY - timedelta(days=3)),
            "corrects_id": typed_wrong["id"],
        },
    )
    assert again.status_code == 422 and "already corrected" in again.json()["detail"]


def test_a_refusal_from_last_school_year_has_not_run_out(client, office, employee):
    obama = student(client, office)
    last_year = date(TODAY.year - 1, 10, 3)
    refusal = record(client, office, obama, status="refused", scopes=(), signed_on=str(last_year))
    assert refusal["state"] == "refused"  # long after the 30 June that ended that school year
    game = public_event(client, office)
    cleared = clear(client, employee, GAME_PHOTO, event_id=game).json()
    assert cleared["decision"] == "blocked"
    assert f"refused the image release on {last_year.day} Oct {last_year.year}" in cleared["faces"][0]["message"]


def test_revoking_the_newest_form_does_not_bring_an_older_grant_back(client, office, employee):
    obama = student(client, office)
    record(client, office, obama, signed_on=str(TODAY - timedelta(days=90)))
    newest = record(client, office, obama, signed_on=str(TODAY - timedelta(days=10)))
    posted = clear(client, employee, GAME_PHOTO).json()
    assert posted["consents_relied_on"] == [newest["id"]]
    client.post(f"/api/v1/consents/{newest['id']}/revoke", json={"reason": "Parent phoned"}, headers=office)
    cleared = clear(client, employee, GAME_PHOTO).json()
    assert cleared["decision"] == "blocked" and cleared["faces"][0]["consent_id"] == newest["id"]
    assert "was withdrawn on" in cleared["faces"][0]["message"]
    game = public_event(client, office)  # a withdrawal is honoured like a refusal, even where no consent is needed
    assert clear(client, employee, GAME_PHOTO, event_id=game).json()["decision"] == "blocked"
    assert [t["clearance_id"] for t in takedowns_of(client, employee)] == [posted["id"]]


def _sign_in(client: TestClient, session: Session, email: str, role: str) -> str:
    accounts.add_user(session, data=UserCreate(email=email, full_name="Coach Kit", role=role, password=PASSWORD))
    session.commit()
    token = _csrf(client.get("/login").text)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return _csrf(client.get("/").text)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def test_the_office_form_dates_a_consent_by_its_signing_day_and_guesses_nothing(app, session, office, client):
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    with TestClient(app) as secretary:
        csrf = _sign_in(secretary, session, "secretary@district.example.org", "office_staff")
        blank = secretary.get(f"/people/{obama}/consents/new").text
        assert 'value="granted" checked' not in blank and 'value="refused" checked' not in blank  # nothing pre-ticked
        assert not re.search(r'name="valid_until"[^>]*value="\d', blank)  # no end date guessed from today
        signed = date(TODAY.year - 1, 10, 3)  # a form from last school year, typed in today
        response = secretary.post(
            f"/people/{obama}/consents/new",
            follow_redirects=False,
            data={
                "csrf_token": csrf,
                "answer_image_release": "granted",
                "answer_biometric": "none",
                "scopes": "personal_social_media",
                "signer_name": "Ana Lopez",
                "signer_relationship": "parent",
                "signed_on": str(signed),
                "valid_until": "",
            },
        )
        assert response.status_code == 303, response.text
    consent = client.get("/api/v1/consents", params={"person_id": obama}, headers=office).json()["items"][0]
    assert consent["valid_until"] == f"{TODAY.year}-06-30" and consent["state"] == "expired"


def test_after_a_revocation_the_photos_own_page_says_take_it_down(app, session, office, client):
    obama = student(client, office)
    grant = record(client, office, obama)
    with TestClient(app) as coach:
        _sign_in(coach, session, "coach@district.example.org", "employee")
        token = client.post(
            "/api/v1/auth/token", data={"username": "coach@district.example.org", "password": PASSWORD}
        ).json()["access_token"]
        coach_api = {"Authorization": f"Bearer {token}"}
        me = client.get("/api/v1/auth/me", headers=coach_api).json()["id"]
        team = client.post(
            "/api/v1/groups",
            json={"name": TEAM, "kind": "team", "member_ids": [obama], "leader_ids": [me]},
            headers=office,
        )  # the student's coach
        assert team.status_code == 201, team.text
        posted = clear(client, coach_api, GAME_PHOTO).json()
        assert "You may post this photo" in coach.get(f"/clearances/{posted['id']}").text
        client.post(f"/api/v1/consents/{grant['id']}/revoke", json={"reason": "Parent phoned"}, headers=office)
        page = coach.get(f"/clearances/{posted['id']}").text
        assert "You may post this photo" not in page
        assert "Take this photo down now" in page and "was withdrawn on" in page
        assert "Take down now" in coach.get("/clearances").text  # "My photos" shows it too


def test_a_form_dated_after_today_is_refused(client, office):
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    response = client.post(
        "/api/v1/consents",
        headers=office,
        json={
            "person_id": obama,
            "kind": "image_release",
            "status": "granted",
            "scopes": ["personal_social_media"],
            "signer_name": "Ana Lopez",
            "signer_relationship": "parent",
            "signed_on": str(TODAY + timedelta(days=2)),
        },
    )
    assert response.status_code == 422 and "after today" in response.json()["detail"]
    assert client.get("/api/v1/consents", params={"person_id": obama}, headers=office).json()["total"] == 0


def test_a_refusal_has_no_end_date_and_cannot_be_revoked(client, office):
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    with_end = client.post(
        "/api/v1/consents",
        headers=office,
        json={
            "person_id": obama,
            "kind": "image_release",
            "status": "refused",
            "scopes": [],
            "signer_name": "Ana Lopez",
            "signer_relationship": "parent",
            "signed_on": str(TODAY),
            "valid_until": str(TODAY + timedelta(days=30)),
        },
    )
    assert with_end.status_code == 422 and "no start or end date" in with_end.text
    refusal = record(client, office, obama, status="refused", scopes=())
    revoked = client.post(f"/api/v1/consents/{refusal['id']}/revoke", json={"reason": "changed mind"}, headers=office)
    assert revoked.status_code == 422 and "newer signed form" in revoked.json()["detail"]


def test_a_declared_public_game_without_a_district_event_goes_to_review(client, office, employee):
    student(client, office)  # enrolled, no image release: only the public arena would allow the photo
    declared = clear(client, employee, GAME_PHOTO, context_kind="sporting_event", public=True).json()
    assert declared["decision"] == "needs_review" and declared["context_check"] == "declared"
    assert any(r["rule"] == "unverified-public-arena" for r in declared["reasons"])
    game = public_event(client, office)
    named = clear(client, employee, GAME_PHOTO, event_id=game, camera_time=now()).json()
    assert named["decision"] == "allowed" and named["context_check"] == "event_time"


def test_a_named_public_game_with_no_camera_time_goes_to_review_where_the_arena_is_what_allows(
    client, office, employee, app, make_user
):
    """A named event the photo's own data cannot place it at is the uploader's word, as a declared one is
    (pack setting unverified_public_arena; Litchfield IV.A.2 releases students only in the public arena)."""
    from dataclasses import replace

    student(client, office)  # enrolled, no image release: only the public arena would allow the photo
    game = public_event(client, office)
    unverified = clear(client, employee, GAME_PHOTO, event_id=game).json()
    assert unverified["decision"] == "needs_review" and unverified["context_check"] == "no_camera_time"
    assert any(r["rule"] == "unverified-public-arena" for r in unverified["reasons"])
    assert any("recorded as unverified" in r["message"] for r in unverified["reasons"])
    confirmed = client.post(
        f"/api/v1/clearances/{unverified['id']}/review", json={"context_confirmed": True}, headers=make_user("reviewer")
    )
    assert confirmed.status_code == 200 and confirmed.json()["decision"] == "allowed"
    app.state.pack = replace(app.state.pack, unverified_public_arena="accept")  # the uploader's word is taken
    assert clear(client, employee, GAME_PHOTO, event_id=game).json()["decision"] == "allowed"


def test_a_departure_takes_down_what_was_posted(client, office, employee):
    obama = student(client, office)
    record(client, office, obama)
    posted = clear(client, employee, GAME_PHOTO).json()
    assert posted["decision"] == "allowed"
    client.patch(f"/api/v1/people/{obama}", json={"status": "departed"}, headers=office)
    [takedown] = takedowns_of(client, employee)
    assert takedown["clearance_id"] == posted["id"] and takedown["cause"] == "departed"
    assert "left the district" in takedown["reason"]


def test_an_adult_student_signs_their_own_release_where_the_pack_says_so(client, office, app):
    from registry.policy import load_builtin_pack

    born = date(TODAY.year - 19, 1, 15)
    response = client.post(
        "/api/v1/people",
        headers=office,
        json={"external_id": "S-18", "kind": "student", "name": "Maya Lopez", "birth_date": str(born)},
    )
    assert response.status_code == 201 and response.json()["birth_date"] == str(born)
    maya = response.json()["id"]

    def sign(signer: str):
        return client.post(
            "/api/v1/consents",
            headers=office,
            json={
                "person_id": maya,
                "kind": "image_release",
                "status": "granted",
                "scopes": ["personal_social_media"],
                "signer_name": "Maya Lopez" if signer == "self" else "Ana Lopez",
                "signer_relationship": signer,
                "signed_on": str(TODAY - timedelta(days=2)),
            },
        )

    assert sign("self").status_code == 422  # Litchfield: "written parental consent", whatever the age
    assert sign("parent").status_code == 201
    app.state.pack = load_builtin_pack("danbury-4-303")  # "such individuals' express consent"
    by_parent = sign("parent")
    assert by_parent.status_code == 422 and "sign their own forms" in by_parent.json()["detail"]
    assert sign("self").status_code == 201


def test_the_roster_carries_birth_dates(client, office):
    roster = "external_id,name,kind,birth_date\nS-7,Rosa Diaz,student,2008-05-04\n"
    response = client.post(
        "/api/v1/people/import", headers=office, files={"file": ("roster.csv", roster.encode(), "text/csv")}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["created"] == 1, report
    listed = client.get("/api/v1/people", params={"q": "Rosa"}, headers=office).json()["items"]
    assert listed[0]["birth_date"] == "2008-05-04"


def test_the_secretary_is_told_before_revoking_how_many_posted_photos_must_come_down(app, session, office, client):
    obama = student(client, office)
    grant = record(client, office, obama)
    for _ in range(2):
        assert clear(client, office, GAME_PHOTO).json()["decision"] == "allowed"
    with TestClient(app) as secretary:
        csrf = _sign_in(secretary, session, "secretary@district.example.org", "office_staff")
        before = secretary.get(f"/consents/{grant['id']}/revoke").text
        assert "2 posted photos" in before and "stays in the office record" in before
        assert client.get("/api/v1/takedowns", headers=office).json()["total"] == 0  # only counted, nothing sent
        done = secretary.post(
            f"/consents/{grant['id']}/revoke", data={"csrf_token": csrf, "reason": "Parent phoned the office"}
        )
        assert done.status_code == 200 and "2 photos cleared earlier must now come down" in done.text

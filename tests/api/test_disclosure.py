"""Who learns who a face is: an employee gets words, not names, except for their own face and the
people of the groups they lead; reviewers get everything; every name told to an employee is recorded."""

from __future__ import annotations

import re

import pytest

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from tests.api.clearance_helpers import add_person, clear, enrol, record
from tests.conftest import FACES, PASSWORD

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis

NAMES = ("Barack Obama", "Joe Biden", "Obama", "Biden")


@pytest.fixture
def school(client, office):
    """Obama: a student with a release for personal social media; Biden: an employee, no consent."""
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    biden = add_person(client, office, "E-BIDEN", "employee", "Joe Biden")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    enrol(client, office, biden, "people/biden/biden-portrait.jpg", signer="self")
    consent = record(client, office, obama)
    return {"obama": obama, "biden": biden, "obama_consent": consent["id"]}


def user_id(client, headers) -> int:
    return int(client.get("/api/v1/auth/me", headers=headers).json()["id"])


def leads(client, office, leader, *members: int, name: str = "Varsity soccer") -> int:
    response = client.post(
        "/api/v1/groups",
        json={
            "name": name,
            "kind": "team",
            "school": "Lincoln High",
            "member_ids": list(members),
            "leader_ids": [user_id(client, leader)],
        },
        headers=office,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def by_verdict(clearance: dict, verdict: str) -> dict:
    return next(f for f in clearance["faces"] if f["verdict"] == verdict)


def disclosures(client, admin) -> list[dict]:
    response = client.get("/api/v1/audit", params={"table_name": "people", "action": "disclose"}, headers=admin)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_an_employee_learns_what_to_do_but_not_who_is_in_the_photo(client, employee, admin, school):
    response = clear(client, employee, "groups/biden-obama.jpg")
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["decision"] == "blocked"
    for name in NAMES:
        assert name not in response.text
    assert all(f["person_id"] is None and f["person_name"] is None for f in answer["faces"])
    assert all(f["distance"] is None and f["margin"] is None and f["candidates"] == [] for f in answer["faces"])
    coworker, student = by_verdict(answer, "blocked"), by_verdict(answer, "allowed")
    assert coworker["message"].startswith("A co-worker without their consent for this destination")
    assert student["message"] == "A student who may be shown here."
    assert answer["consents_relied_on"] == []
    assert any(r["message"].startswith(f"Face {coworker['index']}: A co-worker") for r in answer["reasons"])
    again = client.get(f"/api/v1/clearances/{answer['id']}", headers=employee)
    assert not any(name in again.text for name in NAMES)
    assert disclosures(client, admin) == []


def test_the_verdict_stays_the_same_only_the_names_go(client, employee, make_user, school):
    answer = clear(client, employee, "groups/biden-obama.jpg").json()
    full = client.get(f"/api/v1/clearances/{answer['id']}", headers=make_user("reviewer")).json()
    assert [(f["index"], f["verdict"], f["rule"], f["clause"]) for f in answer["faces"]] == [
        (f["index"], f["verdict"], f["rule"], f["clause"]) for f in full["faces"]
    ]
    assert answer["decision"] == full["decision"]


def test_a_reviewer_sees_names_candidates_and_distances(client, employee, make_user, school):
    answer = clear(client, employee, "groups/biden-obama.jpg").json()
    full = client.get(f"/api/v1/clearances/{answer['id']}", headers=make_user("reviewer")).json()
    names = {f["person_name"] for f in full["faces"]}
    assert names == {"Barack Obama", "Joe Biden"}
    assert all(f["distance"] is not None and f["distance"] < 0.5 for f in full["faces"])
    assert all(f["candidates"] and f["candidates"][0]["distance"] is not None for f in full["faces"])
    assert "Joe Biden" in by_verdict(full, "blocked")["message"]
    assert full["consents_relied_on"] == [school["obama_consent"]]


def test_office_staff_see_names_in_their_own_photo(client, office, school):
    answer = clear(client, office, "groups/biden-obama.jpg").json()
    assert {f["person_name"] for f in answer["faces"]} == {"Barack Obama", "Joe Biden"}
    assert all(f["candidates"] == [] and f["distance"] is None for f in answer["faces"])  # those are a reviewer's


def test_an_employee_is_told_their_own_face_and_nobody_else(client, make_user, admin, school):
    biden = make_user("employee", person_id=school["biden"])
    answer = clear(client, biden, "groups/biden-obama.jpg").json()
    own = next(f for f in answer["faces"] if f["person_name"] == "Joe Biden")
    assert own["person_id"] == school["biden"] and own["verdict"] == "allowed"
    other = next(f for f in answer["faces"] if f["index"] != own["index"])
    assert other["person_name"] is None and "Obama" not in str(answer)
    assert disclosures(client, admin) == []  # one's own face is no disclosure


def test_a_coach_is_told_the_students_of_their_team_and_it_is_recorded(client, office, employee, admin, school):
    leads(client, office, employee, school["obama"])
    answer = clear(client, employee, "groups/biden-obama.jpg").json()
    student = next(f for f in answer["faces"] if f["person_name"] == "Barack Obama")
    assert student["person_id"] == school["obama"] and student["distance"] is None and student["candidates"] == []
    assert "Biden" not in str(answer)
    entries = disclosures(client, admin)
    assert [e["row_id"] for e in entries] == [str(school["obama"])]
    assert entries[0]["changes"]["to_user_id"] == user_id(client, employee)
    assert client.get("/api/v1/audit/verify", headers=admin).json()["ok"] is True


def test_a_refusal_is_said_in_words_without_the_name(client, office, employee, school):
    record(client, office, school["obama"], status="refused", scopes=())
    answer = clear(client, employee, "groups/biden-obama.jpg").json()
    messages = [f["message"] for f in answer["faces"]]
    assert any(m.startswith("A student whose parent or guardian refused") for m in messages), messages
    assert "Obama" not in str(answer)


def test_a_takedown_tells_the_uploader_what_to_do_without_naming_the_child(client, office, employee, school):
    record(client, office, school["biden"], signer="self")
    answer = clear(client, employee, "groups/biden-obama.jpg").json()
    assert answer["decision"] == "allowed"
    revoked = client.post(
        f"/api/v1/consents/{school['obama_consent']}/revoke",
        json={"reason": "Parent phoned: Barack is in foster care"},
        headers=office,
    )
    assert revoked.status_code == 200, revoked.text
    listing = client.get("/api/v1/takedowns", headers=employee)
    assert listing.json()["total"] == 1
    takedown = listing.json()["items"][0]
    assert takedown["person_name"] == "a student" and takedown["person_id"] is None
    assert takedown["reason"].startswith("A student in this photo: their consent was withdrawn")
    assert "Obama" not in listing.text and "foster" not in listing.text
    photo = client.get(f"/api/v1/clearances/{answer['id']}", headers=employee).json()
    assert photo["standing"] == "take_down" and "Obama" not in photo["standing_reason"]
    mine = client.get("/api/v1/clearances", headers=employee).text
    assert "Obama" not in mine
    everyone = client.get("/api/v1/takedowns", headers=office)  # office staff see their own only: none
    assert everyone.json()["total"] == 0


def test_the_face_crop_of_ones_own_photo_is_given_without_a_name(client, employee, school):
    answer = clear(client, employee, "groups/biden-obama.jpg").json()
    crop = client.get(f"/api/v1/clearances/{answer['id']}/faces/0/crop", headers=employee)
    assert crop.status_code == 200 and crop.headers["content-type"] == "image/jpeg"
    assert b"Obama" not in crop.content and b"Biden" not in crop.content


def test_the_result_page_gives_an_employee_words_not_names(client, session, school):
    csrf = sign_in_page(client, session, "employee")
    with open(FACES / "groups/biden-obama.jpg", "rb") as handle:
        response = client.post(
            "/clearances/new",
            data={"csrf_token": csrf, "destination": "personal_social_media", "context_kind": "classroom"},
            files={"photo": ("biden-obama.jpg", handle, "image/jpeg")},
        )
    assert response.status_code == 200, response.text
    assert "Do not post this photo" in response.text
    assert "A co-worker without their consent for this destination" in response.text
    assert "someone on the school's records" in response.text
    assert not any(name in response.text for name in NAMES)


def sign_in_page(client, session, role: str) -> str:
    email = f"web-{role}@district.example.org"
    accounts.add_user(session, data=UserCreate(email=email, full_name=f"Web {role}", role=role, password=PASSWORD))
    session.commit()
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(client.get("/login").text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)

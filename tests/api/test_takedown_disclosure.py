"""A takedown a reviewer's act raises rests on the person the reviewer decided, not on the machine's first
match: an employee who may know the machine's match (their own face, a member of their team) is not told
another child's name, their guardian's name or the family's refusal, on any page or in the API; a name
they may know is told and recorded in the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from registry.accounts import security
from registry.core.settings import Settings
from registry.models.accounts import User
from registry.models.base import id_of
from tests.api.clearance_helpers import TODAY, add_person, enrol, public_event, record
from tests.api.test_disclosure import disclosures, leads, sign_in_page
from tests.api.test_reviewer_acts import _page_sign_in
from tests.conftest import FACES

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis

SECRETS = ("Maya", "Lopez", "Ana ")


def _maya_refused(client: TestClient, office: dict[str, str]) -> int:
    """A student whose parent Ana Lopez refused; no face enrolled: only a reviewer can say it is her."""
    response = client.post(
        "/api/v1/people",
        json={
            "external_id": "S-MAYA",
            "kind": "student",
            "name": "Maya Lopez",
            "guardians": [{"name": "Ana Lopez", "relationship": "parent"}],
        },
        headers=office,
    )
    assert response.status_code == 201, response.text
    maya = int(response.json()["id"])
    refused = client.post(
        "/api/v1/consents",
        json={
            "person_id": maya,
            "kind": "image_release",
            "status": "refused",
            "scopes": [],
            "signer_name": "Ana Lopez",
            "signer_relationship": "parent",
            "signed_on": str(TODAY),
        },
        headers=office,
    )
    assert refused.status_code == 201, refused.text
    return maya


def _at_the_game(
    client: TestClient, office: dict[str, str], headers: dict[str, str], photo: str, tmp_path: Path
) -> dict:
    """A photo of a public home game (no camera time to doubt the event by): allowed, so it may be posted."""
    game = public_event(client, office)
    path = tmp_path / "game.jpg"
    Image.open(FACES / photo).save(path)
    with open(path, "rb") as handle:
        response = client.post(
            "/api/v1/clearances",
            data={"destination": "personal_social_media", "event_id": str(game)},
            files={"photo": ("game.jpg", handle, "image/jpeg")},
            headers=headers,
        )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["decision"] == "allowed", answer
    return answer


def _someone_else(client: TestClient, reviewer: dict[str, str], clearance_id: int, person_id: int) -> dict:
    """A reviewer says the allowed photo's face is someone else: it is blocked, and must come down."""
    response = client.post(
        f"/api/v1/clearances/{clearance_id}/review",
        json={"faces": [{"index": 0, "resolution": "person", "person_id": person_id}]},
        headers=reviewer,
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["decision"] == "blocked" and answer["standing"] == "take_down", answer
    assert "Maya Lopez" in str(answer)  # the reviewer may know
    return answer


def _nothing_named(client: TestClient, headers: dict[str, str], clearance_id: int) -> None:
    listing = client.get("/api/v1/takedowns", headers=headers)
    assert listing.json()["total"] == 1
    [takedown] = listing.json()["items"]
    assert takedown["person_id"] is None and takedown["person_name"] == "a student"
    assert takedown["reason"].startswith("A student in this photo"), takedown["reason"]
    one = client.get(f"/api/v1/takedowns/{takedown['id']}", headers=headers).text
    photo = client.get(f"/api/v1/clearances/{clearance_id}", headers=headers).json()
    assert photo["standing"] == "take_down"
    mine = client.get("/api/v1/clearances", headers=headers).text
    for text in (listing.text, one, str(photo), mine):
        assert not any(secret in text for secret in SECRETS), text


def _no_page_names_her(client: TestClient, clearance_id: int) -> None:
    for page in ("/", "/clearances", "/takedowns", f"/clearances/{clearance_id}"):
        html = client.get(page).text
        assert not any(secret in html for secret in SECRETS), (page, html)


def test_a_coach_is_not_told_the_child_a_reviewer_named_instead_of_their_player(
    client, session: Session, office, admin, make_user, tmp_path: Path
) -> None:
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama)
    maya = _maya_refused(client, office)
    coach = make_user("employee")
    leads(client, office, coach, obama)  # the coach may know Obama, not Maya
    allowed = _at_the_game(client, office, coach, "people/obama/obama-2.jpg", tmp_path)
    assert allowed["faces"][0]["person_name"] == "Barack Obama"
    before = len(disclosures(client, admin))

    _someone_else(client, make_user("reviewer"), allowed["id"], maya)
    _nothing_named(client, coach, allowed["id"])
    assert [e for e in disclosures(client, admin)[before:] if e["row_id"] == str(maya)] == []


def test_an_employee_linked_to_their_own_record_is_not_told_who_a_reviewer_named(
    client, session: Session, office, make_user, tmp_path: Path
) -> None:
    biden = add_person(client, office, "E-1", "employee", "Joe Biden")
    enrol(client, office, biden, "people/biden/biden-portrait.jpg", signer="self")
    maya = _maya_refused(client, office)
    employee = make_user("employee", person_id=biden)  # the usual set-up: an account linked to its person
    allowed = _at_the_game(client, office, employee, "people/biden/biden-2.jpg", tmp_path)  # their own face

    _someone_else(client, make_user("reviewer"), allowed["id"], maya)
    _nothing_named(client, employee, allowed["id"])
    user = session.exec(select(User).where(User.person_id == biden)).one()
    _page_sign_in(client, user)
    _no_page_names_her(client, allowed["id"])


def test_a_name_a_leader_may_know_is_told_in_the_takedown_and_recorded(
    client, session: Session, settings: Settings, office, admin, make_user, tmp_path: Path
) -> None:
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama)
    maya = _maya_refused(client, office)
    sign_in_page(client, session, "employee")
    coach = session.exec(select(User).where(User.email == "web-employee@district.example.org")).one()
    token, _ = security.issue_access_token(user_id=id_of(coach), secret=settings.secret_key, minutes=5)
    coach_api = {"Authorization": f"Bearer {token}"}
    leads(client, office, coach_api, obama, maya)  # Maya is on the team too
    allowed = _at_the_game(client, office, coach_api, "people/obama/obama-2.jpg", tmp_path)
    _someone_else(client, make_user("reviewer"), allowed["id"], maya)

    before = [e for e in disclosures(client, admin) if e["row_id"] == str(maya)]
    [takedown] = client.get("/api/v1/takedowns", headers=coach_api).json()["items"]
    assert takedown["person_id"] == maya and takedown["person_name"] == "Maya Lopez"
    assert "refused" in takedown["reason"]
    after = [e for e in disclosures(client, admin) if e["row_id"] == str(maya)]
    told = [e for e in after if e not in before]
    assert [e["changes"]["takedown_id"] for e in told] == [takedown["id"]]
    assert told[0]["changes"]["to_user_id"] == coach.id and told[0]["changes"]["clearance_id"] == allowed["id"]

    page = client.get("/takedowns").text  # the coach's browser
    assert "Maya Lopez" in page
    again = [e for e in disclosures(client, admin) if e["row_id"] == str(maya) and "takedown_id" in e["changes"]]
    assert len(again) == 2  # the page's telling is recorded too
    assert client.get("/api/v1/audit/verify", headers=admin).json()["ok"] is True

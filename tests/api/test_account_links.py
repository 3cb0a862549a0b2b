"""An account is linked only to its user's own employee record, and a change of link decides again the
photos the account posted (issue 19): a student linked to a coach's account would be the coach's "own
face", allowed everywhere; unlinking must take down what only the link allowed."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.core.settings import Settings
from registry.models.accounts import User
from registry.models.takedowns import Takedown
from tests.api.clearance_helpers import add_person, clear, enrol, record
from tests.api.test_reviewer_acts import _account, _page_sign_in
from tests.conftest import PASSWORD

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis


def _coach(session: Session) -> User:
    user = accounts.add_user(
        session,
        data=UserCreate(
            email="coach@district.example.org", full_name="Coach Rivera", role="employee", password=PASSWORD
        ),
    )
    session.commit()
    return user


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def test_a_students_record_cannot_be_linked_to_an_account(
    client, office, admin, session: Session, settings: Settings
) -> None:
    maya = add_person(client, office, "S-MAYA", "student", "Maya Lopez")
    record(client, office, maya, status="refused", scopes=())
    coach = _coach(session)
    linked = client.patch(f"/api/v1/users/{coach.id}", json={"person_id": maya}, headers=admin)
    assert linked.status_code == 422, linked.text
    assert "only an employee's own record can be linked" in linked.json()["detail"]
    created = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "email": "second@district.example.org",
            "full_name": "Second Coach",
            "role": "employee",
            "password": PASSWORD,
            "person_id": maya,
        },
    )
    assert created.status_code == 422 and "Maya Lopez" in created.json()["detail"]

    administrator, _ = _account(session, settings, "admin", "Ada Admin")
    _page_sign_in(client, administrator)
    page = client.post(
        f"/admin/users/{coach.id}/link",
        data={"external_id": "S-MAYA", "csrf_token": _csrf(client, f"/admin/users/{coach.id}")},
        follow_redirects=False,
    )
    assert page.status_code == 422 and "only an employee&#39;s own record can be linked" in page.text
    session.expire_all()
    unchanged = session.get(User, coach.id)
    assert unchanged is not None and unchanged.person_id is None


def test_unlinking_an_account_takes_down_what_only_the_link_allowed(
    client, office, admin, session: Session, settings: Settings
) -> None:
    kit = add_person(client, office, "E-KIT", "employee", "Kit Harington")  # no release: only "own face" allows
    enrol(client, office, kit, "people/kit_harington/kit-1.jpg", signer="self")
    coach = _coach(session)
    assert client.patch(f"/api/v1/users/{coach.id}", json={"person_id": kit}, headers=admin).status_code == 200
    token = client.post("/api/v1/auth/token", data={"username": coach.email, "password": PASSWORD}).json()
    mine = {"Authorization": f"Bearer {token['access_token']}"}
    own = clear(client, mine, "people/kit_harington/kit-2.jpg").json()
    assert own["decision"] == "allowed" and own["faces"][0]["rule"] == "own-face"

    unlinked = client.patch(f"/api/v1/users/{coach.id}", json={"person_id": None}, headers=admin)
    assert unlinked.status_code == 200
    session.expire_all()
    [takedown] = session.exec(select(Takedown).where(Takedown.clearance_id == own["id"])).all()
    assert takedown.cause == "account_link"
    assert client.get(f"/api/v1/clearances/{own['id']}", headers=mine).json()["standing"] == "take_down"


def test_unlinking_on_the_accounts_page_takes_down_and_says_so(
    client, office, admin, session: Session, settings: Settings
) -> None:
    kit = add_person(client, office, "E-KIT", "employee", "Kit Harington")
    enrol(client, office, kit, "people/kit_harington/kit-1.jpg", signer="self")
    coach = _coach(session)
    administrator, _ = _account(session, settings, "admin", "Ada Admin")
    _page_sign_in(client, administrator)
    linked = client.post(
        f"/admin/users/{coach.id}/link",
        data={"external_id": "E-KIT", "csrf_token": _csrf(client, f"/admin/users/{coach.id}")},
        follow_redirects=False,
    )
    assert linked.status_code == 303, linked.text
    token = client.post("/api/v1/auth/token", data={"username": coach.email, "password": PASSWORD}).json()
    own = clear(client, {"Authorization": f"Bearer {token['access_token']}"}, "people/kit_harington/kit-2.jpg").json()
    assert own["decision"] == "allowed"
    unlinked = client.post(
        f"/admin/users/{coach.id}/unlink",
        data={"csrf_token": _csrf(client, f"/admin/users/{coach.id}")},
        follow_redirects=True,
    )
    assert unlinked.status_code == 200
    assert "1 photo it posted is no longer allowed: its user is asked to take it down" in unlinked.text
    session.expire_all()
    assert session.exec(select(Takedown).where(Takedown.clearance_id == own["id"])).first() is not None

"""Reviewers' acts beyond confirming: someone else, not taken at this event, undo; the queue; home notices.

Every act is recorded and audited, and only informs the decision: the photo is decided again under the
pack, so no act of a reviewer makes a photo allowed that the pack would not allow."""

from __future__ import annotations

import calendar
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, col, select

from registry.accounts import security
from registry.accounts import service as accounts
from registry.accounts.schemas import ApiTokenCreate, UserCreate
from registry.clearances.service import PLACE_UNKNOWN
from registry.core.settings import Settings
from registry.models.accounts import User
from registry.models.audit import AuditEntry
from registry.models.base import id_of
from registry.models.clearances import ClearanceReview
from registry.models.takedowns import Takedown
from tests.api.clearance_helpers import (
    TODAY,
    add_person,
    clear,
    enrol,
    full_view,
    now,
    public_event,
    record,
    with_camera_time,
)
from tests.conftest import FACES, PASSWORD

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis


def _account(session: Session, settings: Settings, role: str, name: str) -> tuple[User, dict[str, str]]:
    email = f"{name.split()[0].lower()}@district.example.org"
    user = accounts.add_user(session, data=UserCreate(email=email, full_name=name, role=role, password=PASSWORD))
    session.commit()
    token, _ = security.issue_access_token(user_id=int(user.id or 0), secret=settings.secret_key, minutes=5)
    return user, {"Authorization": f"Bearer {token}"}


def _page_sign_in(client: TestClient, user: User) -> str:
    """Signs the client's browser session in as this account; the CSRF token of its pages."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token.group(1)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert found
    return found.group(1)


def _acts(session: Session, clearance_id: int) -> list[ClearanceReview]:
    session.expire_all()
    return list(
        session.exec(
            select(ClearanceReview)
            .where(ClearanceReview.clearance_id == clearance_id)
            .order_by(col(ClearanceReview.id))
        )
    )


def _audited(session: Session, acts: list[ClearanceReview]) -> bool:
    ids = {str(a.id) for a in acts}
    logged = session.exec(
        select(AuditEntry.row_id).where(AuditEntry.table_name == "clearance_reviews", AuditEntry.action == "insert")
    ).all()
    return ids <= set(logged)


def test_it_is_someone_else_names_any_person_and_the_pack_decides(client, office, employee, session, settings) -> None:
    settings.match_threshold = 0.2  # a genuine match lands in the review band: a face to settle
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    maya = add_person(client, office, "S-2", "student", "Maya Lopez")  # no release: may not be posted
    lee = add_person(client, office, "S-3", "student", "Lee Chan")
    record(client, office, lee)  # a release for personal social media
    _, rita = _account(session, settings, "reviewer", "Rita Reviewer")
    pending = full_view(client, rita, clear(client, employee, "people/obama/obama-2.jpg").json())
    assert pending["decision"] == "needs_review"
    assert [c["person_id"] for c in pending["faces"][0]["candidates"]] == [obama]
    url = f"/api/v1/clearances/{pending['id']}/review"

    # Someone the service did not suggest, without a release: the photo is blocked, not allowed.
    maya_face = {"faces": [{"index": 0, "resolution": "person", "person_id": maya}]}
    named = client.post(url, json=maya_face, headers=rita).json()
    assert named["decision"] == "blocked" and named["faces"][0]["person_name"] == "Maya Lopez"
    # Someone else with a release: the pack allows it.
    lee_face = {"faces": [{"index": 0, "resolution": "person", "person_id": lee}]}
    named = client.post(url, json=lee_face, headers=rita).json()
    assert named["decision"] == "allowed" and named["faces"][0]["person_name"] == "Lee Chan"
    acts = _acts(session, pending["id"])
    assert [(a.resolution, a.person_id, a.decision_before, a.decision_after) for a in acts] == [
        ("person", maya, "needs_review", "blocked"),
        ("person", lee, "blocked", "allowed"),
    ]
    assert _audited(session, acts)
    unknown = {"faces": [{"index": 0, "resolution": "person", "person_id": 999_999}]}
    assert client.post(url, json=unknown, headers=rita).status_code == 404


def test_not_taken_at_this_event_decides_the_photo_as_the_stricter_place(
    client, office, employee, session, settings, tmp_path: Path
) -> None:
    event = client.post(
        "/api/v1/events",
        json={
            "name": "Home game",
            "kind": "sporting_event",
            "public": True,
            "starts_at": "2026-05-01T18:00:00",
            "ends_at": "2026-05-01T20:00:00",
        },
        headers=office,
    ).json()
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")  # no release to post
    image = Image.open(FACES / "people" / "obama" / "obama-2.jpg")
    exif = Image.Exif()
    exif[0x0132] = "2026:03:14 09:30:00"  # weeks before the game
    path = tmp_path / "wrong-day.jpg"
    image.save(path, exif=exif)
    with open(path, "rb") as handle:
        asked = client.post(
            "/api/v1/clearances",
            data={"destination": "personal_social_media", "event_id": str(event["id"])},
            files={"photo": ("wrong-day.jpg", handle, "image/jpeg")},
            headers=employee,
        ).json()
    assert asked["decision"] == "needs_review" and "outside the event" in asked["review_reasons"][0]
    _, rita = _account(session, settings, "reviewer", "Rita Reviewer")
    url = f"/api/v1/clearances/{asked['id']}/review"

    # At the game the public arena would release the student; elsewhere it does not: blocked.
    elsewhere = client.post(url, json={"not_at_event": True}, headers=rita).json()
    assert elsewhere["decision"] == "blocked"
    assert any(r["message"] == PLACE_UNKNOWN for r in elsewhere["reasons"])
    again = client.post(url, json={"not_at_event": True}, headers=rita)
    assert again.status_code == 422 and "already" in again.json()["detail"]
    both = client.post(url, json={"not_at_event": True, "context_confirmed": True}, headers=rita)
    assert both.status_code == 422

    undone = client.post(f"{url}/undo", headers=rita).json()
    assert undone["decision"] == "needs_review"  # as before the act
    assert not any(r["message"] == PLACE_UNKNOWN for r in undone["reasons"])
    confirmed = client.post(url, json={"context_confirmed": True}, headers=rita).json()
    assert confirmed["decision"] == "allowed"  # the pack's public-arena rule, now that the place is confirmed
    acts = _acts(session, asked["id"])
    assert [a.resolution for a in acts] == ["not_at_event", "undo", "context_confirmed"]
    assert acts[1].undoes_id == acts[0].id and _audited(session, acts)


def _posted_at_the_game(client: TestClient, office, employee, tmp_path: Path) -> dict:
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    game = public_event(client, office)
    path = tmp_path / "game.jpg"
    # Obama alone (obama-2.jpg shows two more people, half in view, whom a closer look must hold now that a
    # face nobody could check is not released at a game)
    path.write_bytes(with_camera_time((FACES / "people" / "obama" / "obama-1080p.jpg").read_bytes(), now()))
    with open(path, "rb") as handle:
        allowed = client.post(
            "/api/v1/clearances",
            data={"destination": "personal_social_media", "event_id": str(game)},
            files={"photo": ("game.jpg", handle, "image/jpeg")},
            headers=employee,
        ).json()
    assert allowed["decision"] == "allowed"  # the public arena: no release needed
    return allowed


def test_a_posted_photo_a_reviewer_moves_from_its_event_is_taken_down_and_the_request_goes_with_an_undo(
    client, office, employee, session, settings, tmp_path: Path
) -> None:
    allowed = _posted_at_the_game(client, office, employee, tmp_path)
    _, rita = _account(session, settings, "reviewer", "Rita Reviewer")
    url = f"/api/v1/clearances/{allowed['id']}/review"
    moved = client.post(url, json={"not_at_event": True}, headers=rita).json()
    assert moved["decision"] == "blocked" and moved["standing"] == "take_down"
    takedown = session.exec(select(Takedown).where(Takedown.clearance_id == allowed["id"])).one()
    assert takedown.cause == "reviewed" and takedown.confirmed_at is None
    takedown_id = takedown.id
    back = client.post(f"{url}/undo", headers=rita).json()
    # Decided as before the act, and the request the act raised is withdrawn with it.
    assert back["decision"] == "allowed" and back["standing"] == "allowed" and back["standing_reason"] is None
    assert client.get("/api/v1/takedowns", headers=employee).json()["total"] == 0
    mine = client.get(f"/api/v1/clearances/{allowed['id']}", headers=employee).json()
    assert mine["standing"] == "allowed" and mine["standing_reason"] is None
    session.expire_all()
    assert session.exec(select(Takedown).where(Takedown.clearance_id == allowed["id"])).all() == []
    withdrawn = session.exec(
        select(AuditEntry).where(AuditEntry.table_name == "takedowns", AuditEntry.action == "delete")
    ).all()
    assert [e.row_id for e in withdrawn] == [str(takedown_id)]  # recorded in the audit log


def test_an_uploader_who_took_the_photo_down_is_told_it_may_be_posted_again_after_an_undo(
    client, office, session, settings, tmp_path: Path
) -> None:
    coach, coach_api = _account(session, settings, "employee", "Eddie Coach")
    allowed = _posted_at_the_game(client, office, coach_api, tmp_path)
    _, rita = _account(session, settings, "reviewer", "Rita Reviewer")
    url = f"/api/v1/clearances/{allowed['id']}/review"
    assert client.post(url, json={"not_at_event": True}, headers=rita).json()["standing"] == "take_down"
    [takedown] = client.get("/api/v1/takedowns", headers=coach_api).json()["items"]
    confirmed = client.post(f"/api/v1/takedowns/{takedown['id']}/confirm", headers=coach_api).json()
    assert confirmed["confirmed_at"] is not None
    _page_sign_in(client, coach)
    client.get("/clearances")  # they have seen the reviewer's decision: no longer news
    assert "A reviewer decided" not in client.get("/").text

    assert client.post(f"{url}/undo", headers=rita).json()["standing"] == "allowed"
    assert client.get("/api/v1/takedowns", headers=coach_api).json()["total"] == 0
    home = client.get("/").text
    assert "A reviewer decided 1 of your photo" in home and f"Photo {allowed['id']}" in home
    assert "may be posted" in home and "must be taken down" not in home
    assert "(allowed when checked)" not in client.get("/clearances").text  # no longer marked to take down


def test_only_the_reviewers_own_last_act_in_this_sign_in_is_undone(client, office, employee, session, settings) -> None:
    settings.match_threshold = 0.2
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama)
    _, rita = _account(session, settings, "reviewer", "Rita Reviewer")
    _, ravi = _account(session, settings, "reviewer", "Ravi Reviewer")
    pending = clear(client, employee, "people/obama/obama-2.jpg").json()
    url = f"/api/v1/clearances/{pending['id']}/review"
    assert client.post(f"{url}/undo", headers=rita).status_code == 409  # nothing of hers yet

    named = client.post(url, json={"faces": [{"index": 0, "resolution": "person", "person_id": obama}]}, headers=rita)
    assert named.json()["decision"] == "allowed"
    assert client.post(f"{url}/undo", headers=ravi).status_code == 409  # not his act
    assert client.post(f"{url}/undo", headers=employee).status_code == 403
    rejected = client.post(url, json={"faces": [{"index": 0, "resolution": "reject"}]}, headers=ravi).json()
    assert rejected["decision"] == "blocked"
    late = client.post(f"{url}/undo", headers=rita)  # someone acted after her: undoing would not restore
    assert late.status_code == 409 and "since" in late.json()["detail"]

    undone = client.post(f"{url}/undo", headers=ravi).json()
    assert undone["decision"] == "allowed"  # Rita's naming stands again
    assert client.post(f"{url}/undo", headers=ravi).status_code == 409  # one step: the undo is his last act
    # An act made before this sign-in began is not hers to undo from here.
    named = client.post(url, json={"faces": [{"index": 0, "resolution": "approve"}]}, headers=rita)
    assert named.status_code == 200, named.text
    act = _acts(session, pending["id"])[-1]
    act.reviewed_at = datetime.now(UTC) - timedelta(hours=1)  # as if made in an earlier sign-in
    session.add(act)
    session.commit()
    before = client.post(f"{url}/undo", headers=rita)
    assert before.status_code == 409 and "before you signed in" in before.json()["detail"]
    rita_user = session.exec(select(User).where(User.email == "rita@district.example.org")).one()
    _, script = accounts.create_api_token(
        session, data=ApiTokenCreate(name="nightly", user_id=id_of(rita_user)), created_by=rita_user
    )
    session.commit()
    by_script = client.post(f"{url}/undo", headers={"Authorization": f"Bearer {script}"})
    assert by_script.status_code == 409 and "sign in" in by_script.json()["detail"]
    assert [a.resolution for a in _acts(session, pending["id"])][-1] == "approve"  # nothing was undone


def test_the_queue_lists_the_oldest_first_with_uploader_reason_and_thumbnail(client, office, session, settings) -> None:
    settings.match_threshold = 0.2
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    _, coach = _account(session, settings, "employee", "Eddie Coach")
    first = clear(client, coach, "people/obama/obama-2.jpg").json()
    second = clear(client, coach, "people/obama/obama-2.jpg").json()
    rita, _ = _account(session, settings, "reviewer", "Rita Reviewer")
    _page_sign_in(client, rita)
    page = client.get("/review").text
    assert page.index(f"Review photo {first['id']}") < page.index(f"Review photo {second['id']}")
    assert "Uploaded by Eddie Coach" in page
    assert "not sure who it is — it may be Barack Obama" in page
    thumbnail = client.get(f"/review/{first['id']}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.content[:2] == b"\xff\xd8"
    coach_user = session.exec(select(User).where(User.email == "eddie@district.example.org")).one()
    _page_sign_in(client, coach_user)
    assert client.get(f"/review/{first['id']}/thumbnail").status_code == 403  # a reviewer's page


def test_undo_on_the_page_takes_back_the_last_act_of_this_sign_in(client, office, employee, session, settings):
    settings.match_threshold = 0.2
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama)
    pending = clear(client, employee, "people/obama/obama-2.jpg").json()
    rita, _ = _account(session, settings, "reviewer", "Rita Reviewer")
    csrf = _page_sign_in(client, rita)
    search = client.get(f"/review/{pending['id']}", params={"face": 0, "who": "obam"}).text
    assert "It is Barack Obama" in search and "S-1" in search
    named = client.post(
        f"/review/{pending['id']}",
        data={"index": "0", "resolution": "person", "person_id": str(obama), "csrf_token": csrf},
    )
    assert "The photo now may be posted" in named.text
    assert "Your last act: on photo" in named.text and "you named a face" in named.text
    undone = client.post(f"/review/{pending['id']}/undo", data={"csrf_token": csrf})
    assert f"Undone. Photo {pending['id']} now waits for a reviewer" in undone.text
    assert [a.resolution for a in _acts(session, pending["id"])] == ["person", "undo"]
    # A new sign-in is a new session: nothing of the earlier one is offered or taken back.
    client.post(
        f"/review/{pending['id']}",
        data={"index": "0", "resolution": "reject", "csrf_token": csrf},
    )
    csrf = _page_sign_in(client, rita)
    assert "Your last act" not in client.get(f"/review/{pending['id']}").text
    client.post(f"/review/{pending['id']}/undo", data={"csrf_token": csrf})
    assert [a.resolution for a in _acts(session, pending["id"])] == ["person", "undo", "reject"]


def test_home_tells_each_person_what_needs_them(client, office, session, settings) -> None:
    settings.match_threshold = 0.2
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    month_end = TODAY.replace(day=calendar.monthrange(TODAY.year, TODAY.month)[1])
    record(client, office, obama, valid_until=str(month_end))  # runs out this month
    renewed = add_person(client, office, "S-2", "student", "Lee Chan")
    record(client, office, renewed, valid_until=str(month_end))
    record(client, office, renewed, signed_on=str(TODAY), valid_until=str(month_end + timedelta(days=200)))
    coach, coach_api = _account(session, settings, "employee", "Eddie Coach")
    rita, rita_api = _account(session, settings, "reviewer", "Rita Reviewer")
    olive, _ = _account(session, settings, "office_staff", "Olive Office")
    pending = clear(client, coach_api, "people/obama/obama-2.jpg").json()
    assert pending["decision"] == "needs_review"

    _page_sign_in(client, rita)
    assert "1 photo waits for a reviewer." in client.get("/").text
    _page_sign_in(client, olive)
    office_home = client.get("/").text
    assert "run out this month" in office_home or "runs out this month" in office_home
    assert "Barack Obama</a>: photo release, until" in office_home
    assert "Lee Chan" not in office_home  # a newer form replaced the one running out
    _page_sign_in(client, coach)
    assert "A reviewer decided" not in client.get("/").text

    decided = client.post(
        f"/api/v1/clearances/{pending['id']}/review",
        json={"faces": [{"index": 0, "resolution": "person", "person_id": obama}]},
        headers=rita_api,
    ).json()
    assert decided["decision"] == "allowed"
    home = client.get("/").text
    assert "A reviewer decided 1 of your photo" in home and f"Photo {pending['id']}" in home
    assert "may be posted" in home
    client.get("/clearances")  # they look at their photos
    assert "A reviewer decided" not in client.get("/").text

    client.post(
        f"/api/v1/consents/{record_id(client, office, obama)}/revoke", json={"reason": "Parent phoned"}, headers=office
    )
    assert "1 of your photo must be taken down" in client.get("/").text


def record_id(client: TestClient, office: dict[str, str], person_id: int) -> int:
    consents = client.get("/api/v1/consents", params={"person_id": person_id}, headers=office).json()["items"]
    return next(c["id"] for c in consents if c["kind"] == "image_release")


def test_a_sign_in_in_the_same_second_as_an_act_does_not_undo_it(client, office, employee, session, settings) -> None:
    settings.match_threshold = 0.2
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama)
    _account(session, settings, "reviewer", "Rita Reviewer")
    pending = clear(client, employee, "people/obama/obama-2.jpg").json()
    url = f"/api/v1/clearances/{pending['id']}/review"

    def sign_in() -> tuple[dict[str, str], float]:
        answer = client.post("/api/v1/auth/token", data={"username": "rita@district.example.org", "password": PASSWORD})
        token = answer.json()["access_token"]
        issued = jwt.decode(token, options={"verify_signature": False})["iat"]
        return {"Authorization": f"Bearer {token}"}, float(issued)

    first, _ = sign_in()
    named = client.post(url, json={"faces": [{"index": 0, "resolution": "person", "person_id": obama}]}, headers=first)
    assert named.status_code == 200, named.text
    second, issued = sign_in()
    act = _acts(session, pending["id"])[-1]
    # The act of the first sign-in, made in the very second the second sign-in began (before it).
    act.reviewed_at = datetime.fromtimestamp(math.floor(issued), UTC)
    session.add(act)
    session.commit()
    refused = client.post(f"{url}/undo", headers=second)
    assert refused.status_code == 409 and "before you signed in" in refused.json()["detail"]
    assert [a.resolution for a in _acts(session, pending["id"])] == ["person"]

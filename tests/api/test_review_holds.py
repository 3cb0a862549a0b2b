"""What settles a photo held for review, and what never does (issue 19).

- One refused child shown twice: the refusal governs both faces; no reviewer's act allows them.
- A person whose face could not be checked: only a face act settles it, never a question about the place.
- A declared public game held for review: a reviewer confirms it, or says it was not one.
"""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session

from registry.core.settings import Settings
from registry.policy.ledger import District
from registry.takedowns import service as takedowns
from tests.api.clearance_helpers import add_person, clear, enrol, full_view, record
from tests.api.test_reviewer_acts import _account, _page_sign_in
from tests.conftest import FACES
from tests.hard_faces import face_photo

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis

COVERED_IN_A_SUIT = "people/biden/biden-2.jpg"  # head, shoulders and chest in view


def _twice(*files: str) -> bytes:
    """One photo of the same person, twice, side by side."""
    images = [Image.open(FACES / f).convert("RGB") for f in files]
    height = max(i.height for i in images)
    both = Image.new("RGB", (sum(i.width for i in images), height), (255, 255, 255))
    x = 0
    for image in images:
        both.paste(image, (x, 0))
        x += image.width
    out = io.BytesIO()
    both.save(out, "JPEG", quality=92)
    return out.getvalue()


def _clear_bytes(client: TestClient, headers: dict[str, str], photo: bytes, **where: str) -> dict:
    response = client.post(
        "/api/v1/clearances",
        headers=headers,
        files={"photo": ("p.jpg", photo, "image/jpeg")},
        data={"destination": "personal_social_media", **where},
    )
    assert response.status_code == 201, response.text
    return response.json()


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


# --- one refused child, twice -------------------------------------------------------------------


def test_a_refused_child_shown_twice_stays_blocked_whatever_the_reviewer_says(
    client, office, employee, session: Session, settings: Settings
) -> None:
    settings.match_threshold = 0.2  # one face "possible": a reviewer says who it is
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama, status="refused", scopes=())
    reviewer, rita = _account(session, settings, "reviewer", "Rita Reviewer")
    photo = _clear_bytes(
        client,
        employee,
        _twice("people/obama/obama-2.jpg", "people/obama/obama-720p.jpg"),
        context_kind="sporting_event",
        context_public="true",
    )
    seen = full_view(client, rita, photo)
    assert [f["band"] for f in seen["faces"]] == ["possible", "identified"]  # one identified: refused, blocked
    assert seen["decision"] == "blocked"
    url = f"/api/v1/clearances/{photo['id']}/review"
    second = client.post(url, json={"faces": [{"index": 0, "resolution": "person", "person_id": obama}]}, headers=rita)
    assert second.status_code == 200, second.text
    named = full_view(client, rita, second.json())
    # The refusal governs every face that is the child: "same person twice" never replaces it.
    assert named["decision"] == "blocked", named["reasons"]
    assert [f["verdict"] for f in named["faces"]] == ["blocked", "blocked"]
    assert all("refused" in f["message"] for f in named["faces"]), named["faces"]
    allow = client.post(url, json={"faces": [{"index": 1, "resolution": "approve"}]}, headers=rita)
    assert allow.status_code == 422 or allow.json()["decision"] == "blocked"
    app = client.app
    takedowns.daily_recheck(session, district=District(app.state.pack, settings.time_zone))
    assert full_view(client, rita, photo)["decision"] == "blocked"
    _page_sign_in(client, reviewer)
    page = client.get(f"/review/{photo['id']}")
    assert page.status_code == 200 and "Allow Barack Obama" not in page.text


def test_a_child_with_a_release_shown_twice_is_never_allowed_by_approving(
    client, office, employee, session: Session, settings: Settings
) -> None:
    """Two faces matched to one person: one of them is someone else, or the same person shown twice.
    A reviewer says who each is, or rejects one; "allow" is never offered nor taken."""
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama)
    reviewer, rita = _account(session, settings, "reviewer", "Rita Reviewer")
    photo = _clear_bytes(
        client,
        employee,
        _twice("people/obama/obama-2.jpg", "people/obama/obama-720p.jpg"),
        context_kind="classroom",
        context_public="false",
    )
    url = f"/api/v1/clearances/{photo['id']}/review"
    for face in full_view(client, rita, photo)["faces"]:
        if face["band"] != "identified":
            named = {"index": face["index"], "resolution": "person", "person_id": obama}
            assert client.post(url, json={"faces": [named]}, headers=rita).status_code == 200
    seen = full_view(client, rita, photo)
    assert seen["decision"] == "needs_review"
    assert [f["rule"] for f in seen["faces"]] == ["same-person-twice", "same-person-twice"]
    _page_sign_in(client, reviewer)
    page = client.get(f"/review/{photo['id']}")
    assert page.status_code == 200 and "Allow Barack Obama" not in page.text
    for index in (0, 1):
        allow = client.post(url, json={"faces": [{"index": index, "resolution": "approve"}]}, headers=rita)
        assert allow.status_code == 422, allow.text
        assert "same person as another face" in allow.json()["detail"]
    assert full_view(client, rita, photo)["decision"] == "needs_review"
    rejected = client.post(url, json={"faces": [{"index": 1, "resolution": "reject"}]}, headers=rita).json()
    assert rejected["decision"] == "blocked"  # one face shown, the other may be blurred


# --- a person whose face could not be checked ---------------------------------------------------


def _unchecked(client: TestClient, employee: dict[str, str]) -> dict:
    photo = _clear_bytes(
        client,
        employee,
        face_photo(COVERED_IN_A_SUIT, "upper half covered"),
        context_kind="classroom",
        context_public="false",
    )
    assert photo["decision"] == "needs_review", photo["review_reasons"]
    return photo


def _unchecked_face(photo: dict) -> int:
    [index] = [f["index"] for f in photo["faces"] if f["rule"] == "unchecked-person"]
    return index


def test_the_place_never_settles_a_person_whose_face_could_not_be_checked(
    client, employee, session: Session, settings: Settings
) -> None:
    reviewer, rita = _account(session, settings, "reviewer", "Rita Reviewer")
    photo = full_view(client, rita, _unchecked(client, employee))
    index = _unchecked_face(photo)
    url = f"/api/v1/clearances/{photo['id']}/review"
    _page_sign_in(client, reviewer)
    page = client.get(f"/review/{photo['id']}").text
    assert "Check where it was taken" not in page and "Yes, it was taken at this event" not in page
    assert "Nobody else is in it" in page and "whose face could not be checked" in page
    assert "Someone who may not be shown: block or blur" in page  # each answer is an act of its own
    assert "Someone on the school&#39;s records? Find them by name or ID" in page
    confirmed = client.post(url, json={"context_confirmed": True}, headers=rita)
    assert confirmed.status_code == 422 or confirmed.json()["decision"] == "needs_review"
    moved = client.post(url, json={"not_at_event": True}, headers=rita)
    assert moved.status_code == 200 and moved.json()["decision"] == "needs_review"
    cleared = client.post(url, json={"faces": [{"index": index, "resolution": "no_one"}]}, headers=rita)
    assert cleared.status_code == 200 and cleared.json()["decision"] == "allowed"


def test_a_person_whose_face_could_not_be_checked_is_rejected_or_named(
    client, office, employee, session: Session, settings: Settings
) -> None:
    maya = add_person(client, office, "S-2", "student", "Maya Lopez")
    record(client, office, maya, status="refused", scopes=())
    _, rita = _account(session, settings, "reviewer", "Rita Reviewer")
    for act, decision in (
        ({"resolution": "reject"}, "blocked"),
        ({"resolution": "person", "person_id": maya}, "blocked"),
    ):
        photo = full_view(client, rita, _unchecked(client, employee))
        url = f"/api/v1/clearances/{photo['id']}/review"
        done = client.post(url, json={"faces": [{"index": _unchecked_face(photo), **act}]}, headers=rita)
        assert done.status_code == 200 and done.json()["decision"] == decision
    stranger = clear(client, employee, "people/obama/obama-2.jpg").json()  # a face found and checked: nobody enrolled
    checked = client.post(
        f"/api/v1/clearances/{stranger['id']}/review",
        json={"faces": [{"index": 0, "resolution": "no_one"}]},
        headers=rita,
    )
    assert checked.status_code == 422  # only where the search saw a person it could not check


# --- a declared public game -----------------------------------------------------------------------


def test_a_declared_public_game_held_for_review_is_confirmed_or_denied(
    client, office, employee, session: Session, settings: Settings
) -> None:
    obama = add_person(client, office, "S-1", "student", "Barack Obama")  # no release: only the arena allows
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    reviewer, rita = _account(session, settings, "reviewer", "Rita Reviewer")

    def declared() -> dict:
        response = clear(client, employee, "people/obama/obama-2.jpg", context_kind="sporting_event", public=True)
        assert response.status_code == 201 and response.json()["decision"] == "needs_review"
        return response.json()

    api = declared()
    confirmed = client.post(f"/api/v1/clearances/{api['id']}/review", json={"context_confirmed": True}, headers=rita)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["decision"] == "allowed"  # Litchfield IV.A.2, now that a reviewer confirmed the game

    _page_sign_in(client, reviewer)
    for answer, field, decision in (
        ("Yes, a public game", "context_confirmed", "allowed"),
        ("No", "not_at_event", "blocked"),
    ):
        photo = declared()
        page = client.get(f"/review/{photo['id']}")
        assert "was it a public game?" in page.text and f">{answer}</button>" in page.text
        token = _csrf(client, f"/review/{photo['id']}")
        sent = client.post(f"/review/{photo['id']}", data={field: "yes", "csrf_token": token}, follow_redirects=False)
        assert sent.status_code == 303, sent.text
        assert full_view(client, rita, photo)["decision"] == decision

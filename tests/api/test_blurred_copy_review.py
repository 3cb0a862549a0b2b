"""A blurred copy that itself needs a reviewer is made and recorded once for the photo as decided: asking
again (the API or the page) refuses the same copy, naming it, with no new copy, review item or closer
look; once a reviewer has decided it, asking again gets their decision."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from registry.models.clearances import Clearance
from tests.api.clearance_helpers import add_person, clear, enrol
from tests.api.test_web_pages import _sign_in
from tests.conftest import FACES


def _school(client: TestClient, office: dict[str, str]) -> None:
    """A co-worker without consent (blurred in the copy) beside a student without a release, whom only the
    public arena would release: the copy needs a reviewer to confirm where it was taken."""
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    biden = add_person(client, office, "E-1", "employee", "Joe Biden")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    enrol(client, office, biden, "people/biden/biden-portrait.jpg", signer="self")


def _copies(session: Session, original: int) -> list[Clearance]:
    session.expire_all()
    return list(session.exec(select(Clearance).where(col(Clearance.redacted_of_id) == original)))


def test_a_copy_that_needs_review_is_recorded_once_and_the_refusal_names_it(
    client, office, employee, session, make_user
):
    _school(client, office)
    original = clear(client, employee, "groups/biden-obama.jpg", context_kind="sporting_event", public=True).json()
    assert original["decision"] == "blocked" and original["redaction_offered"] is True, original
    named = set()
    for _ in range(3):
        refused = client.get(f"/api/v1/clearances/{original['id']}/redacted", headers=employee)
        assert refused.status_code == 409 and "waits for a reviewer" in refused.json()["detail"], refused.text
        found = re.search(r"clearance (\d+)", refused.json()["detail"])
        assert found
        named.add(int(found.group(1)))
    [copy_id] = named  # the same copy each time
    copy = client.get(f"/api/v1/clearances/{copy_id}", headers=employee)
    assert copy.status_code == 200, "the refusal names a copy that exists"
    assert copy.json()["redacted_of_id"] == original["id"] and copy.json()["decision"] == "needs_review"
    assert [c.id for c in _copies(session, original["id"])] == [copy_id]
    reviewer = make_user("reviewer")
    waiting = client.get("/api/v1/clearances", params={"decision": "needs_review"}, headers=reviewer).json()
    assert waiting["total"] == 1  # one review item, not one per download

    # The reviewer finds it was not taken at a public game: the copy is blocked, and refused as such.
    blocked = client.post(f"/api/v1/clearances/{copy_id}/review", json={"not_at_event": True}, headers=reviewer)
    assert blocked.status_code == 200 and blocked.json()["decision"] == "blocked", blocked.text
    again = client.get(f"/api/v1/clearances/{original['id']}/redacted", headers=employee)
    assert again.status_code == 409 and f"is blocked (clearance {copy_id})" in again.json()["detail"]
    assert [c.id for c in _copies(session, original["id"])] == [copy_id]


def test_the_page_records_a_copy_that_needs_review_once(client, office, session) -> None:
    _school(client, office)
    token = _sign_in(client, session, "employee")
    with open(FACES / "groups/biden-obama.jpg", "rb") as handle:
        cleared = client.post(
            "/clearances/new",
            data={
                "csrf_token": token,
                "destination": "personal_social_media",
                "context_kind": "sporting_event",
                "context_public": "yes",
            },
            files={"photo": ("biden-obama.jpg", handle, "image/jpeg")},
            follow_redirects=False,
        )
    assert cleared.status_code == 303, cleared.text
    original = int(cleared.headers["location"].rsplit("/", 1)[-1])
    for _ in range(3):
        page = client.get(f"/clearances/{original}/blurred")
        assert page.status_code == 409 and "waits for a reviewer" in page.text
    copies = _copies(session, original)
    assert len(copies) == 1 and copies[0].decision == "needs_review"

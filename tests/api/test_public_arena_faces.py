"""Who the public arena releases under Litchfield: students (IV.A.2), never a co-worker (IV.A.1).

A co-worker who is not enrolled (no biometric consent) is a face nobody can identify: at a named
public game that face must not be taken for a student in the crowd.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from registry.policy.pack import PACKS_DIR, parse_pack
from tests.api.clearance_helpers import add_person, clear, enrol, full_view, now, public_event, record
from tests.api.test_disclosure import sign_in_page


def test_a_coworker_who_is_not_enrolled_is_not_released_at_a_named_public_game(client, office, employee, make_user):
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")  # no image release
    add_person(client, office, "E-1", "employee", "Joe Biden")  # no consent of any kind: not enrolled
    game = public_event(client, office)
    response = clear(client, employee, "groups/biden-obama.jpg", event_id=game, camera_time=now())
    assert response.status_code == 201, response.text
    cleared = full_view(client, make_user("reviewer"), response.json())
    assert cleared["decision"] == "blocked"
    by_band = {f["band"]: f for f in cleared["faces"]}
    assert by_band["identified"]["person_name"] == "Barack Obama"
    assert by_band["identified"]["verdict"] == "allowed"  # the student: the public arena (IV.A.2)
    assert (by_band["unknown"]["verdict"], by_band["unknown"]["rule"]) == ("blocked", "unknown-face")
    assert "IV.A.1" in by_band["unknown"]["clause"]
    assert cleared["redaction_offered"] is True  # blur the face nobody could identify and the rest may go


# --- A refused child who is not enrolled (issue: the class list says "Refused", the photo was allowed) ---

CROWD_RULE = """
[[rule]]
id = "unknown-public-arena"
clause = "Example district: the crowd at a public game"
message = "Faces nobody could identify at a public game are the crowd."
subject = "unknown"
destinations = ["personal_social_media"]
contexts = ["public_arena"]
verdict = "allowed"

[[rule]]
id = "unknown-face"
"""


def crowd_pack():
    """A district's own pack that takes an unknown face at a public game for the crowd."""
    text = (PACKS_DIR / "litchfield-4118.51.toml").read_text()
    return parse_pack(text.replace('[[rule]]\nid = "unknown-face"\n', CROWD_RULE, 1), source="example")


def school_game(client, office) -> int:
    now = datetime.now().replace(microsecond=0)
    response = client.post(
        "/api/v1/events",
        json={
            "name": "Lincoln home game",
            "kind": "sporting_event",
            "public": True,
            "school": "Lincoln High",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
        },
        headers=office,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
def maya(client, office, employee) -> int:
    """A student of Lincoln High whose parent refused, with no biometric consent; the employee coaches her team."""
    maya = add_person(client, office, "S-MAYA", "student", "Maya Lopez")
    client.patch(f"/api/v1/people/{maya}", json={"school": "Lincoln High"}, headers=office)
    record(client, office, maya, status="refused", scopes=())
    coach = client.get("/api/v1/auth/me", headers=employee).json()["id"]
    team = client.post(
        "/api/v1/groups",
        json={"name": "Lions", "kind": "team", "school": "Lincoln High", "member_ids": [maya], "leader_ids": [coach]},
        headers=office,
    )
    assert team.status_code == 201, team.text
    return maya


def cannot_check(clearance: dict) -> list[dict]:
    return [
        r
        for r in clearance["reasons"]
        if r["rule"] == "refusal-cannot-be-checked" and not r["message"].startswith("Face ")
    ]


def test_an_unknown_face_at_her_schools_game_is_not_taken_for_the_crowd(client, app, office, employee, make_user, maya):
    app.state.pack = crowd_pack()
    game = school_game(client, office)
    response = clear(
        client, employee, "people/rose_leslie/rose-2.jpg", event_id=game, camera_time=now()
    )  # nobody enrolled
    assert response.status_code == 201, response.text
    mine = response.json()
    assert mine["decision"] == "needs_review"  # the pack alone would have allowed it
    assert mine["faces"][0]["band"] == "unknown" and mine["faces"][0]["rule"] == "refusal-cannot-be-checked"
    told = cannot_check(mine)
    assert len(told) == 1 and "Maya Lopez" in told[0]["message"]  # her coach may know who she is
    reviewer = make_user("reviewer")
    looked = client.post(
        f"/api/v1/clearances/{mine['id']}/review",
        json={"faces": [{"index": 0, "resolution": "approve"}], "note": "Not Maya: a parent in the stands"},
        headers=reviewer,
    )
    assert looked.status_code == 200, looked.text
    assert looked.json()["decision"] == "allowed"


def test_someone_who_does_not_lead_her_group_is_told_a_count_not_her_name(client, app, office, make_user, maya):
    app.state.pack = crowd_pack()
    game = school_game(client, office)
    other = make_user("employee")
    cleared = clear(client, other, "people/rose_leslie/rose-2.jpg", event_id=game, camera_time=now()).json()
    assert cleared["decision"] == "needs_review"
    told = cannot_check(cleared)
    assert len(told) == 1 and "one person" in told[0]["message"] and told[0]["person_id"] is None
    assert "Maya" not in str(cleared)


def test_under_litchfield_the_face_blocks_and_the_coach_is_told_who_cannot_be_checked(client, office, employee, maya):
    game = school_game(client, office)
    cleared = clear(client, employee, "people/rose_leslie/rose-2.jpg", event_id=game, camera_time=now()).json()
    assert cleared["decision"] == "blocked" and cleared["faces"][0]["rule"] == "unknown-face"
    told = cannot_check(cleared)
    assert len(told) == 1 and "Maya Lopez" in told[0]["message"] and told[0]["person_id"] == maya


def test_a_reviewer_settles_it_on_the_page(client, app, session, office, employee, maya):
    app.state.pack = crowd_pack()
    game = school_game(client, office)
    held = clear(client, employee, "people/rose_leslie/rose-2.jpg", event_id=game, camera_time=now()).json()
    assert held["decision"] == "needs_review"
    csrf = sign_in_page(client, session, "reviewer")
    page = client.get(f"/review/{held['id']}").text
    assert "It is none of the people who cannot be checked" in page and "Maya Lopez" in page
    settled = client.post(f"/review/{held['id']}", data={"index": "0", "resolution": "approve", "csrf_token": csrf})
    assert "The photo now may be posted" in settled.text

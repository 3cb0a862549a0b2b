"""The audit log is checked against the tables it speaks for: a row deleted, changed or added directly in
the database is named, even though the chain itself is intact."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.api.clearance_helpers import add_person, clear, enrol, record

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis


def _verify(client, admin) -> dict:
    response = client.get("/api/v1/audit/verify", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def history(client, office):
    """A student with an image release revoked, a biometric consent and an enrolled face, a grade changed."""
    person = add_person(client, office, "S-1", "student", "Barack Obama")
    consent = record(client, office, person)
    revoked = client.post(f"/api/v1/consents/{consent['id']}/revoke", json={"reason": "Parent phoned"}, headers=office)
    assert revoked.status_code == 200, revoked.text
    template = enrol(client, office, person, "people/obama/obama-portrait.jpg", signer="parent")
    assert client.patch(f"/api/v1/people/{person}", json={"grade": "4"}, headers=office).status_code == 200
    return {"person": person, "consent": consent["id"], "template": template["id"]}


def test_an_untouched_registry_verifies(client, admin, history):
    verdict = _verify(client, admin)
    assert verdict["ok"], verdict


def test_a_revocation_deleted_in_the_database_is_named(client, office, admin, history, connection):
    connection.execute(text("DELETE FROM consent_revocations WHERE consent_id = :c"), {"c": history["consent"]})
    consent = client.get(f"/api/v1/consents/{history['consent']}", headers=office).json()
    assert consent["revocation"] is None  # what the outside test saw: the consent is in force again
    verdict = _verify(client, admin)
    assert not verdict["ok"]
    assert verdict["table_name"] == "consent_revocations"
    assert "deleted behind the log's back" in verdict["problem"]
    assert isinstance(verdict["first_broken_id"], int)


@pytest.mark.parametrize(
    ("statement", "table", "words"),
    [
        ("UPDATE people SET grade = '9' WHERE id = :person", "people", "grade = '9'"),
        ("UPDATE people SET status = 'active', name = 'Someone Else' WHERE id = :person", "people", "name"),
        ("UPDATE consents SET scopes = '[\"print\"]' WHERE id = :consent", "consents", "scopes"),
        ("UPDATE users SET role = 'admin' WHERE role = 'employee'", "users", "role = 'admin'"),
        ("DELETE FROM face_templates WHERE id = :template", "face_templates", "deleted behind"),
        (
            "INSERT INTO consent_revocations (consent_id, reason, revoked_by_id, revoked_at) "
            "SELECT c.id, 'x', (SELECT MIN(id) FROM users), '2026-01-01' FROM consents c WHERE c.id NOT IN "
            "(SELECT consent_id FROM consent_revocations)",
            "consent_revocations",
            "no entry in the audit log",
        ),
    ],
)
def test_a_row_changed_or_added_in_the_database_is_named(
    client, admin, employee, history, connection, statement, table, words
):
    assert connection.execute(text(statement), history).rowcount == 1
    verdict = _verify(client, admin)
    assert not verdict["ok"], verdict
    assert verdict["table_name"] == table, verdict
    assert words in verdict["problem"], verdict["problem"]


def _me(client, headers) -> int:
    return int(client.get("/api/v1/auth/me", headers=headers).json()["id"])


# Rows changed in the database, each widening who learns a name or who may act, or keeping a photo up.
WIDENING = [
    (  # the employee would learn the names of the club's members
        "INSERT INTO group_leaders (group_id, user_id) VALUES (:group, :employee_id)",
        "group_leaders",
        "no entry in the audit log",
    ),
    (  # the coach would learn Biden's name
        "INSERT INTO group_members (group_id, person_id) VALUES (:group, :biden)",
        "group_members",
        "no entry in the audit log",
    ),
    ("UPDATE api_tokens SET revoked_at = NULL WHERE id = :token", "api_tokens", "revoked_at = None"),
    ("DELETE FROM takedowns WHERE id = :takedown", "takedowns", "deleted behind"),
    ("UPDATE takedowns SET confirmed_at = '2026-01-01' WHERE id = :takedown", "takedowns", "confirmed_at"),
    ("UPDATE clearances SET decision = 'blocked' WHERE id = :clearance", "clearances", "decision = 'blocked'"),
    ("UPDATE clearance_faces SET person_id = :biden WHERE clearance_id = :clearance", "clearance_faces", "person_id"),
    (  # a revocation of the form would no longer take the photo down
        "DELETE FROM clearance_consents WHERE clearance_id = :clearance",
        "clearance_consents",
        "deleted behind",
    ),
    (
        "INSERT INTO clearance_reviews (clearance_id, face_index, resolution, person_id, reviewer_id, "
        "decision_before, decision_after, reviewed_at) "
        "VALUES (:clearance, 0, 'someone_else', :biden, :admin_id, 'allowed', 'allowed', '2026-01-01')",
        "clearance_reviews",
        "no entry in the audit log",
    ),
]


def test_rows_that_widen_who_learns_or_who_acts_are_named(client, office, admin, employee, make_user, connection):
    """One photo decided and taken down (a face search costs seconds, so the registry is built once and each
    change is tried in a savepoint rolled back after it), a group with its leader, a revoked API token."""
    coach = make_user("employee")
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    biden = add_person(client, office, "E-1", "employee", "Joe Biden")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    form = record(client, office, obama)
    clearance = clear(client, employee, "people/obama/obama-720p.jpg").json()
    assert clearance["decision"] == "allowed", clearance
    assert client.post(f"/api/v1/consents/{form['id']}/revoke", json={"reason": "Parent phoned"}, headers=office)
    group = client.post(
        "/api/v1/groups",
        json={"name": "Chess club", "kind": "team", "member_ids": [obama], "leader_ids": [_me(client, coach)]},
        headers=office,
    )
    assert group.status_code == 201, group.text
    token = client.post("/api/v1/tokens", json={"name": "Uploader", "user_id": _me(client, employee)}, headers=admin)
    assert token.status_code == 201, token.text
    assert client.post(f"/api/v1/tokens/{token.json()['id']}/revoke", headers=admin).status_code == 200
    takedowns = client.get("/api/v1/takedowns", headers=admin).json()["items"]
    assert [t["clearance_id"] for t in takedowns] == [clearance["id"]], takedowns
    ids = {
        "biden": biden,
        "clearance": clearance["id"],
        "group": group.json()["id"],
        "coach_id": _me(client, coach),
        "employee_id": _me(client, employee),
        "admin_id": _me(client, admin),
        "token": token.json()["id"],
        "takedown": takedowns[0]["id"],
    }
    assert _verify(client, admin)["ok"]

    for statement, table, words in WIDENING:
        savepoint = connection.begin_nested()
        assert connection.execute(text(statement), ids).rowcount == 1, statement
        verdict = _verify(client, admin)
        savepoint.rollback()
        assert not verdict["ok"], (statement, verdict)
        assert verdict["table_name"] == table, (statement, verdict)
        assert words in verdict["problem"], (statement, verdict["problem"])

    # Two rows changed: the one whose logged word is the earlier is named (the clearance before the token).
    savepoint = connection.begin_nested()
    connection.execute(text("UPDATE api_tokens SET revoked_at = NULL WHERE id = :token"), ids)
    connection.execute(text("UPDATE clearances SET decision = 'blocked' WHERE id = :clearance"), ids)
    verdict = _verify(client, admin)
    savepoint.rollback()
    assert (verdict["table_name"], verdict["row_id"]) == ("clearances", str(clearance["id"])), verdict

    # The office removes the coach as leader; putting him back in the database is named.
    changed = client.put(
        f"/api/v1/groups/{ids['group']}",
        json={"name": "Chess club", "kind": "team", "member_ids": [obama], "leader_ids": []},
        headers=office,
    )
    assert changed.status_code == 200, changed.text
    assert _verify(client, admin)["ok"]
    connection.execute(text("INSERT INTO group_leaders (group_id, user_id) VALUES (:group, :coach_id)"), ids)
    verdict = _verify(client, admin)
    assert not verdict["ok"], verdict
    assert (verdict["table_name"], verdict["row_id"]) == (
        "group_leaders",
        f"group_id={ids['group']},user_id={ids['coach_id']}",
    )
    assert "put back behind the log's back" in verdict["problem"], verdict["problem"]

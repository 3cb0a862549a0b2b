"""The audit log is checked against the tables it speaks for: a row deleted, changed or added directly in
the database is named, even though the chain itself is intact."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.api.clearance_helpers import add_person, enrol, record


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

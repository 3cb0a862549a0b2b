"""The audit log: every write is an entry, the chain catches tampering, and no secret is ever in it."""

from __future__ import annotations

import json
import logging

from sqlalchemy import inspect, select, text

from registry.accounts import security
from registry.models.audit import AuditEntry
from tests.api.clearance_helpers import add_person, enrol, record
from tests.conftest import PASSWORD


def _entries(client, admin, **filters) -> list[dict]:
    response = client.get("/api/v1/audit", params={"limit": 200, **filters}, headers=admin)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _verify(client, admin, **params) -> dict:
    response = client.get("/api/v1/audit/verify", params=params, headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


def _some_history(client, office) -> None:
    person = add_person(client, office, "S-1", "student", "Maya Lopez")
    consent = record(client, office, person)
    revoked = client.post(f"/api/v1/consents/{consent['id']}/revoke", json={"reason": "Parent phoned"}, headers=office)
    assert revoked.status_code == 200, revoked.text
    changed = client.patch(f"/api/v1/people/{person}", json={"grade": "4"}, headers=office)
    assert changed.status_code == 200, changed.text


def test_each_write_is_an_entry_naming_who_what_and_the_change(client, office, admin):
    _some_history(client, office)
    entries = _entries(client, admin)
    office_id = client.get("/api/v1/auth/me", headers=office).json()["id"]
    writes = [(e["table_name"], e["action"]) for e in reversed(entries) if e["actor"] == f"user:{office_id}"]
    assert writes[:2] == [("people", "insert"), ("consents", "insert")]
    assert ("consent_revocations", "insert") in writes and ("people", "update") in writes
    update = next(e for e in entries if e["table_name"] == "people" and e["action"] == "update")
    assert update["changes"]["before"]["grade"] is None and update["changes"]["after"]["grade"] == "4"
    assert "name" not in update["changes"]["after"]  # only what changed
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    assert all(newer["prev_hash"] == older["hash"] for newer, older in zip(entries, entries[1:], strict=False))
    only_people = _entries(client, admin, table_name="people")
    assert only_people and {e["table_name"] for e in only_people} == {"people"}

    verdict = _verify(client, admin)
    assert verdict["ok"] and verdict["first_broken_id"] is None
    assert verdict["entries_checked"] == verdict["head"]["entries"] == entries[0]["id"]


def test_only_administrators_read_the_log(client, office):
    for path in ("/api/v1/audit", "/api/v1/audit/verify", "/api/v1/audit/head"):
        assert client.get(path, headers=office).status_code == 403
        assert client.get(path).status_code == 401


def _row(connection, entry_id: int) -> dict:
    table = inspect(AuditEntry).local_table
    return dict(connection.execute(select(table).where(table.c.id == entry_id)).mappings().one())


def test_an_altered_entry_is_named(client, office, admin, connection):
    _some_history(client, office)
    connection.execute(text("UPDATE audit_entries SET actor = 'user:999' WHERE id = 2"))
    verdict = _verify(client, admin)
    assert not verdict["ok"] and verdict["first_broken_id"] == 2
    assert "changed" in verdict["problem"]


def test_an_altered_entry_with_a_recomputed_hash_breaks_the_next_link(client, office, admin, connection):
    from registry.core.audit import entry_body, entry_hash

    _some_history(client, office)
    row = _row(connection, 3)
    row["actor"] = "user:999"
    connection.execute(
        text("UPDATE audit_entries SET actor = 'user:999', hash = :h WHERE id = 3"), {"h": entry_hash(entry_body(row))}
    )
    verdict = _verify(client, admin)
    assert not verdict["ok"] and verdict["first_broken_id"] == 4
    assert "does not follow entry 3" in verdict["problem"]


def test_a_deleted_entry_is_named(client, office, admin, connection):
    _some_history(client, office)
    connection.execute(text("DELETE FROM audit_entries WHERE id = 3"))
    verdict = _verify(client, admin)
    assert not verdict["ok"] and verdict["first_broken_id"] == 3
    assert "entry 3 is missing" in verdict["problem"]


def test_two_entries_swapped_are_caught_at_the_first(client, office, admin, connection):
    _some_history(client, office)
    a, b = _row(connection, 2), _row(connection, 3)
    columns = [c for c in a if c != "id"]
    assign = ", ".join(f"{c} = :{c}" for c in columns)

    def put(entry_id: int, values: dict, hash_: str) -> None:
        params = {c: values[c] for c in columns} | {"hash": hash_, "row": entry_id}
        params["changes"] = json.dumps(params["changes"])
        connection.execute(text(f"UPDATE audit_entries SET {assign} WHERE id = :row"), params)  # noqa: S608

    put(2, b, "f" * 64)
    put(3, a, a["hash"])
    put(2, b, b["hash"])
    verdict = _verify(client, admin)
    assert not verdict["ok"] and verdict["first_broken_id"] == 2


def test_a_cut_off_tail_is_caught_against_an_exported_head(client, office, admin, connection):
    _some_history(client, office)
    head = client.get("/api/v1/audit/head", headers=admin).json()
    assert _verify(client, admin, expected_head_id=head["last_id"], expected_head_hash=head["hash"])["ok"]
    connection.execute(text("DELETE FROM audit_entries WHERE id > :keep"), {"keep": head["last_id"] - 2})
    alone = _verify(client, admin)  # what is left is a valid chain on its own, but the tables say more...
    assert not alone["ok"] and alone["table_name"] == "people" and "behind the log's back" in alone["problem"]
    verdict = _verify(client, admin, expected_head_id=head["last_id"], expected_head_hash=head["hash"])
    assert not verdict["ok"] and verdict["first_broken_id"] == head["last_id"] - 1  # ...but not the exported one
    assert "cut off" in verdict["problem"]


def _numbers_lists(value, found: list) -> None:
    if isinstance(value, list):
        if len(value) >= 100 and all(isinstance(v, int | float) for v in value):
            found.append(value)
        for item in value:
            _numbers_lists(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _numbers_lists(item, found)


def test_no_password_token_or_face_encoding_is_logged(client, office, admin, connection, caplog):
    caplog.set_level(logging.DEBUG)
    made = client.post(
        "/api/v1/users",
        json={"email": "new@district.example.org", "full_name": "New Person", "role": "employee", "password": PASSWORD},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    created = client.post("/api/v1/tokens", json={"name": "SIS sync"}, headers=admin)
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.post(f"/api/v1/tokens/{created.json()['id']}/revoke", headers=admin).status_code == 200
    person = add_person(client, office, "E-1", "employee", "Obama")
    enrol(client, office, person, "people/obama/obama-portrait.jpg", signer="self")
    password_hash = connection.execute(
        text("SELECT password_hash FROM users WHERE email = 'new@district.example.org'")
    ).scalar_one()
    encoding = connection.execute(text("SELECT encoding FROM face_templates")).scalar_one()

    rows = connection.execute(text("SELECT * FROM audit_entries ORDER BY id")).mappings().all()
    logged = [json.dumps({k: str(v) if k == "at" else v for k, v in r.items()}) for r in rows]
    secrets = (PASSWORD, token, security.api_token_hash(token), password_hash, encoding.hex())
    for text_ in (*logged, caplog.text):
        for secret in secrets:
            assert secret not in text_
    found: list = []
    for r in rows:
        changes = r["changes"] if isinstance(r["changes"], dict) else json.loads(r["changes"])
        _numbers_lists(changes, found)
    assert found == []
    template = next(r for r in rows if r["table_name"] == "face_templates")
    changes = template["changes"] if isinstance(template["changes"], dict) else json.loads(template["changes"])
    assert changes["after"]["encoding"] == "(128 numbers, not logged)"
    assert changes["after"]["thumbnail"] == "(JPEG thumbnail, not logged)"
    assert {r["table_name"] for r in rows} >= {"users", "api_tokens", "consents", "face_templates"}
    assert "registry_state" not in {r["table_name"] for r in rows}
    assert _verify(client, admin)["ok"]


def test_a_write_made_on_a_page_names_the_signed_in_user(client, session):
    from registry.accounts.service import find_user_by_email
    from tests.api.test_web_pages import _sign_in

    token = _sign_in(client, session, "office_staff")
    response = client.post(
        "/people/new",
        data={"csrf_token": token, "kind": "student", "name": "Maya Lopez", "external_id": "S-1"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    user = find_user_by_email(session, "web-office_staff@district.example.org")
    entry = session.execute(select(AuditEntry).where(AuditEntry.table_name == "people")).scalar_one()
    assert entry.actor == f"user:{user.id}"

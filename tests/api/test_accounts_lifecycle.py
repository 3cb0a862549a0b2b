"""An account's life, as an administrator runs it: link or unlink the person's record, unlock, deactivate
and reactivate, a temporary password changed at the next sign-in; everyone changes their own password.
Every act is in the audit log."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD

NEW_PASSWORD = "copper kettle saturday drizzle"


def sign_in(client: TestClient, email: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def bearer(response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def new_account(
    client: TestClient, admin: dict[str, str], email: str = "coach@district.example.org", **extra: object
) -> dict:
    created = client.post(
        "/api/v1/users",
        headers=admin,
        json={"email": email, "full_name": "Coach Rivera", "role": "employee", "password": PASSWORD, **extra},
    )
    assert created.status_code == 201, created.text
    return created.json()


def add_person(client: TestClient, admin: dict[str, str], external_id: str, name: str) -> int:
    person = client.post(
        "/api/v1/people", headers=admin, json={"external_id": external_id, "kind": "employee", "name": name}
    )
    assert person.status_code == 201, person.text
    return int(person.json()["id"])


def audit(client: TestClient, admin: dict[str, str], row_id: int) -> list[dict]:
    response = client.get(
        "/api/v1/audit", headers=admin, params={"table_name": "users", "row_id": str(row_id), "limit": 200}
    )
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["items"]))


def test_an_account_made_before_the_persons_record_is_linked_later_and_can_be_unlinked(client, admin):
    coach = new_account(client, admin)
    assert coach["person_id"] is None
    rivera = add_person(client, admin, "E-77", "Coach Rivera")
    linked = client.patch(f"/api/v1/users/{coach['id']}", json={"person_id": rivera}, headers=admin)
    assert linked.status_code == 200 and linked.json()["person_id"] == rivera

    other = new_account(client, admin, "second@district.example.org")
    taken = client.patch(f"/api/v1/users/{other['id']}", json={"person_id": rivera}, headers=admin)
    assert taken.status_code == 409 and "already linked to the account coach@" in taken.json()["detail"]
    missing = client.patch(f"/api/v1/users/{other['id']}", json={"person_id": 999_999}, headers=admin)
    assert missing.status_code == 422

    unlinked = client.patch(f"/api/v1/users/{coach['id']}", json={"person_id": None}, headers=admin)
    assert unlinked.status_code == 200 and unlinked.json()["person_id"] is None
    assert client.patch(f"/api/v1/users/{other['id']}", json={"person_id": rivera}, headers=admin).status_code == 200


def test_an_administrator_sees_until_when_an_account_is_locked_and_unlocks_it(client, admin, settings):
    coach = new_account(client, admin)
    for _ in range(settings.login_max_failures):
        assert sign_in(client, coach["email"], "not the password").status_code == 401
    assert sign_in(client, coach["email"]).status_code == 429
    listed = {u["email"]: u for u in client.get("/api/v1/users", headers=admin).json()}
    assert listed[coach["email"]]["locked_until"] is not None
    assert listed[coach["email"]]["active"] is True

    unlocked = client.post(f"/api/v1/users/{coach['id']}/unlock", headers=admin)
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    assert sign_in(client, coach["email"]).status_code == 200


def test_deactivation_stops_sessions_and_api_tokens_at_once_and_reactivation_lets_only_a_new_sign_in_back(
    client,
    admin,
):
    coach = new_account(client, admin)
    session_token = bearer(sign_in(client, coach["email"]))
    api_token = client.post("/api/v1/tokens", headers=admin, json={"name": "Coach's sync", "user_id": coach["id"]})
    integration = {"Authorization": f"Bearer {api_token.json()['token']}"}
    assert client.get("/api/v1/clearances", headers=session_token).status_code == 200
    assert client.get("/api/v1/clearances", headers=integration).status_code == 200

    off = client.patch(f"/api/v1/users/{coach['id']}", json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    assert client.get("/api/v1/clearances", headers=session_token).status_code == 401
    assert client.get("/api/v1/clearances", headers=integration).status_code == 401
    refused = sign_in(client, coach["email"])
    assert refused.status_code == 401 and "deactivated" in refused.json()["detail"]

    on = client.patch(f"/api/v1/users/{coach['id']}", json={"active": True}, headers=admin)
    assert on.status_code == 200 and on.json()["active"] is True
    assert client.get("/api/v1/clearances", headers=session_token).status_code == 401  # that session stays ended
    assert client.get("/api/v1/clearances", headers=bearer(sign_in(client, coach["email"]))).status_code == 200
    assert client.get("/api/v1/clearances", headers=integration).status_code == 200  # never revoked


def test_an_administrator_cannot_lock_themself_out(client, admin):
    me = client.get("/api/v1/auth/me", headers=admin).json()
    for changes in ({"active": False}, {"role": "employee"}):
        refused = client.patch(f"/api/v1/users/{me['id']}", json=changes, headers=admin)
        assert refused.status_code == 409 and "your own" in refused.json()["detail"]
    own = client.post(f"/api/v1/users/{me['id']}/temporary-password", json={}, headers=admin)
    assert own.status_code == 409


def test_a_temporary_password_must_be_changed_at_the_next_sign_in(client, admin):
    coach = new_account(client, admin)
    before = bearer(sign_in(client, coach["email"]))
    set_ = client.post(f"/api/v1/users/{coach['id']}/temporary-password", json={}, headers=admin)
    assert set_.status_code == 200, set_.text
    temporary = set_.json()["password"]
    assert len(temporary) >= 16 and set_.json()["user"]["must_change_password"] is True
    assert client.get("/api/v1/auth/me", headers=before).status_code == 401  # signed out everywhere
    assert sign_in(client, coach["email"]).status_code == 401  # the old password is gone

    provisional_sign_in = sign_in(client, coach["email"], temporary)
    assert provisional_sign_in.json()["must_change_password"] is True
    provisional = bearer(provisional_sign_in)
    held = client.get("/api/v1/clearances", headers=provisional)
    assert held.status_code == 403 and "choose your own" in held.json()["detail"]
    assert client.get("/api/v1/auth/me", headers=provisional).json()["must_change_password"] is True
    weak = client.post(
        "/api/v1/auth/password", headers=provisional, json={"current_password": temporary, "new_password": "password12"}
    )
    assert weak.status_code == 422 and "too easy to guess" in weak.json()["detail"]

    changed = client.post(
        "/api/v1/auth/password", headers=provisional, json={"current_password": temporary, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 200 and changed.json()["must_change_password"] is False
    assert client.get("/api/v1/clearances", headers=bearer(changed)).status_code == 200
    assert client.get("/api/v1/auth/me", headers=provisional).status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer(changed)).json()["must_change_password"] is False
    assert sign_in(client, coach["email"], temporary).status_code == 401


def test_an_administrator_may_give_the_temporary_password_and_it_follows_the_password_rules(client, admin):
    coach = new_account(client, admin)
    weak = client.post(
        f"/api/v1/users/{coach['id']}/temporary-password", json={"password": "aaaaaaaaaa"}, headers=admin
    )
    assert weak.status_code == 422 and "too easy to guess" in weak.json()["detail"]
    given = client.post(
        f"/api/v1/users/{coach['id']}/temporary-password", json={"password": NEW_PASSWORD}, headers=admin
    )
    assert given.status_code == 200 and given.json()["password"] is None  # not echoed back
    assert sign_in(client, coach["email"], NEW_PASSWORD).status_code == 200


def test_a_temporary_password_also_unlocks_the_account(client, admin, settings):
    coach = new_account(client, admin)
    for _ in range(settings.login_max_failures):
        sign_in(client, coach["email"], "not the password")
    temporary = client.post(f"/api/v1/users/{coach['id']}/temporary-password", json={}, headers=admin).json()
    assert temporary["user"]["locked_until"] is None
    assert sign_in(client, coach["email"], temporary["password"]).status_code == 200


def test_everyone_changes_their_own_password(client, employee):
    me = client.get("/api/v1/auth/me", headers=employee).json()
    wrong = client.post(
        "/api/v1/auth/password",
        headers=employee,
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422 and "current password is not right" in wrong.json()["detail"]
    same = client.post(
        "/api/v1/auth/password", headers=employee, json={"current_password": PASSWORD, "new_password": PASSWORD}
    )
    assert same.status_code == 422 and "different" in same.json()["detail"]

    changed = client.post(
        "/api/v1/auth/password", headers=employee, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 200, changed.text
    assert client.get("/api/v1/auth/me", headers=employee).status_code == 401  # the old token has ended
    assert sign_in(client, me["email"]).status_code == 401
    assert sign_in(client, me["email"], NEW_PASSWORD).status_code == 200


def test_wrong_current_passwords_count_towards_the_back_off(client, employee, settings):
    for _ in range(settings.login_max_failures):
        client.post(
            "/api/v1/auth/password",
            headers=employee,
            json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        )
    held = client.post(
        "/api/v1/auth/password", headers=employee, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert held.status_code == 429 and "locked" in held.json()["detail"]


def test_only_administrators_run_the_lifecycle(client, admin, office):
    coach = new_account(client, admin)
    for path in ("unlock", "temporary-password"):
        assert client.post(f"/api/v1/users/{coach['id']}/{path}", json={}, headers=office).status_code == 403
    assert client.patch(f"/api/v1/users/{coach['id']}", json={"active": False}, headers=office).status_code == 403
    assert client.get(f"/api/v1/users/{coach['id']}", headers=office).status_code == 403


def test_every_act_on_an_account_is_in_the_audit_log(client, admin, settings):
    admin_id = client.get("/api/v1/auth/me", headers=admin).json()["id"]
    coach = new_account(client, admin)
    rivera = add_person(client, admin, "E-77", "Coach Rivera")
    client.patch(f"/api/v1/users/{coach['id']}", json={"person_id": rivera}, headers=admin)
    client.patch(f"/api/v1/users/{coach['id']}", json={"person_id": None}, headers=admin)
    client.patch(f"/api/v1/users/{coach['id']}", json={"active": False}, headers=admin)
    client.patch(f"/api/v1/users/{coach['id']}", json={"active": True}, headers=admin)
    temporary = client.post(f"/api/v1/users/{coach['id']}/temporary-password", json={}, headers=admin).json()
    own = bearer(sign_in(client, coach["email"], temporary["password"]))
    client.post(
        "/api/v1/auth/password",
        headers=own,
        json={"current_password": temporary["password"], "new_password": NEW_PASSWORD},
    )

    entries = audit(client, admin, coach["id"])
    changes = [(e["actor"], e["action"], e["changes"].get("after", {})) for e in entries]
    by_admin = f"user:{admin_id}"
    assert changes[0][:2] == (by_admin, "insert")
    assert (by_admin, "update", {"person_id": rivera}) in changes
    assert (by_admin, "update", {"person_id": None}) in changes
    assert any(
        who == by_admin and after.get("active") is False and "session_version" in after for who, _, after in changes
    )
    assert (by_admin, "update", {"active": True}) in changes
    temporary_entry = next(after for who, _, after in changes if after.get("must_change_password") is True)
    assert temporary_entry["password_hash"] == "(password hash, changed, not logged)"
    assert any(who == f"user:{coach['id']}" and after.get("must_change_password") is False for who, _, after in changes)
    assert temporary["password"] not in str(entries)


def test_an_unlock_is_in_the_audit_log(client, admin, settings):
    coach = new_account(client, admin)
    for _ in range(settings.login_max_failures):
        sign_in(client, coach["email"], "not the password")
    client.post(f"/api/v1/users/{coach['id']}/unlock", headers=admin)
    response = client.get("/api/v1/audit", headers=admin, params={"table_name": "sign_in_backoffs", "limit": 50})
    actions = [e["action"] for e in response.json()["items"]]
    assert actions[0] == "delete" and "insert" in actions


def _api_token(client: TestClient, admin: dict[str, str], owner: dict, name: str) -> dict[str, str]:
    created = client.post("/api/v1/tokens", headers=admin, json={"name": name, "user_id": owner["id"]})
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


def test_a_temporary_password_holds_the_account_its_api_tokens_included(client, admin):
    """Set because the account may be in someone else's hands: by default its API tokens stop working too."""
    coach = new_account(client, admin)
    integration = _api_token(client, admin, coach, "Gallery sync")
    assert client.get("/api/v1/clearances", headers=integration).status_code == 200
    set_ = client.post(f"/api/v1/users/{coach['id']}/temporary-password", json={}, headers=admin)
    assert set_.status_code == 200, set_.text
    assert [t["name"] for t in set_.json()["api_tokens_revoked"]] == ["Gallery sync"]
    assert set_.json()["api_tokens_still_working"] == []
    assert client.get("/api/v1/clearances", headers=integration).status_code == 401


def test_an_administrator_may_keep_the_api_tokens_and_is_told_they_still_work(client, admin):
    coach = new_account(client, admin)
    integration = _api_token(client, admin, coach, "Gallery sync")
    set_ = client.post(
        f"/api/v1/users/{coach['id']}/temporary-password", json={"revoke_api_tokens": False}, headers=admin
    )
    assert set_.status_code == 200, set_.text
    assert set_.json()["api_tokens_revoked"] == []
    assert [t["name"] for t in set_.json()["api_tokens_still_working"]] == ["Gallery sync"]
    assert client.get("/api/v1/clearances", headers=integration).status_code == 200

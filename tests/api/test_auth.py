from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import jwt
from fastapi.routing import APIRoute, iter_route_contexts

from api.deps import get_current_user
from tests.conftest import PASSWORD

PUBLIC_ROUTES = {("POST", "/api/v1/auth/token"), ("GET", "/healthz")}


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def test_sign_in_gives_a_short_lived_token_that_works(client, make_user):
    make_user("office_staff")
    response = sign_in(client, "office_staff0@district.example.org")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and 0 < body["expires_in"] <= 3600
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["role"] == "office_staff"
    assert "password_hash" not in me.text


def test_wrong_password_then_lockout(client, make_user, settings):
    make_user("employee")
    email = "employee0@district.example.org"
    for _ in range(settings.login_max_failures):
        failed = sign_in(client, email, "wrong password!")
        assert failed.status_code == 401 and failed.json()["detail"] == "Wrong email or password."
    locked = sign_in(client, email)  # even the right password is refused while locked
    assert locked.status_code == 429 and "locked" in locked.json()["detail"]
    assert sign_in(client, "nobody@district.example.org").status_code == 401


def test_expired_and_forged_tokens_are_refused(client, make_user, settings):
    make_user("admin")
    now = datetime.now(UTC)
    expired = jwt.encode(
        {"sub": "1", "typ": "access", "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)},
        settings.secret_key,
        algorithm="HS256",
    )
    forged = jwt.encode(
        {"sub": "1", "typ": "access", "exp": now + timedelta(hours=1)},
        "someone else's secret, long enough for HS256",
        algorithm="HS256",
    )
    unsigned = jwt.encode({"sub": "1", "typ": "access", "exp": now + timedelta(hours=1)}, None, algorithm="none")
    for token, words in (
        (expired, "expired"),
        (forged, "not valid"),
        (unsigned, "not valid"),
        ("garbage", "not valid"),
        ("crt_madeup", "unknown"),
    ):
        response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert words in response.json()["detail"]


def test_api_tokens_for_integrations_can_be_created_and_revoked(client, admin, office):
    created = client.post("/api/v1/tokens", json={"name": "SIS nightly sync"}, headers=admin)
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    integration = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/me", headers=integration).json()["role"] == "admin"
    listed = client.get("/api/v1/tokens", headers=admin).json()
    assert token not in str(listed) and listed[0]["prefix"] == token[:10]
    revoked = client.post(f"/api/v1/tokens/{created.json()['id']}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/api/v1/auth/me", headers=integration).status_code == 401
    assert client.post("/api/v1/tokens", json={"name": "mine"}, headers=office).status_code == 403


def test_expired_api_token_is_refused(client, admin):
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    token = client.post("/api/v1/tokens", json={"name": "old", "expires_at": past}, headers=admin).json()["token"]
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_only_admins_manage_users(client, admin, office):
    new = {
        "email": "Coach@District.Example.org",
        "full_name": "Coach",
        "role": "employee",
        "password": "long enough password",
    }
    created = client.post("/api/v1/users", json=new, headers=admin)
    assert created.status_code == 201 and created.json()["email"] == "coach@district.example.org"
    assert client.post("/api/v1/users", json=new, headers=admin).status_code == 409
    assert client.post("/api/v1/users", json={**new, "password": "short"}, headers=admin).status_code == 422
    assert client.get("/api/v1/users", headers=office).status_code == 403
    disabled = client.patch(f"/api/v1/users/{created.json()['id']}", json={"active": False}, headers=admin)
    assert disabled.json()["active"] is False
    assert sign_in(client, "coach@district.example.org", "long enough password").status_code == 401


def _routes(app) -> list[tuple[str, APIRoute]]:
    """Every API route with its full path (included routers nest theirs)."""
    found = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path or ""
        if isinstance(route, APIRoute) and path.startswith(("/api/", "/healthz")):
            found.append((path, route))
    return found


def _depends_on(dependant, target) -> bool:
    return any(d.call is target or _depends_on(d, target) for d in dependant.dependencies)


def test_every_route_requires_a_signed_in_user(app, client):
    """Default deny: a route added without an auth dependency fails this test."""
    routes = _routes(app)
    assert len(routes) > 30, "the walk must see the included routers' routes"
    for path, route in routes:
        for method in route.methods:
            if (method, path) in PUBLIC_ROUTES:
                continue
            assert _depends_on(route.dependant, get_current_user), f"{method} {path} has no auth"
            url = re.sub(r"\{[^}]+\}", "1", path)
            response = client.request(method, url)
            assert response.status_code == 401, f"{method} {path} answered {response.status_code}"


def test_every_response_is_documented(app, client):
    spec = client.get("/openapi.json").json()
    for path, route in _routes(app):
        for method in route.methods:
            responses = spec["paths"][path][method.lower()]["responses"]
            expected = {"401", "403", "422"} if (method, path) not in PUBLIC_ROUTES else set()
            assert expected <= set(responses), f"{method} {path} leaves out {expected - set(responses)}"

"""Sign-in you can trust: sessions that end, passwords that are not guessable and kept as typed, a cookie
kept to HTTPS in production, limits no form encoding escapes, and a back-off nobody can turn against the
owner of an account."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.main import create_app
from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from tests.conftest import PASSWORD

ATTACKER = ("203.0.113.9", 50000)
OWNER = ("198.51.100.7", 50000)


def sign_in(client: TestClient, email: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _web_sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": _csrf(client.get("/login").text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def from_address(app) -> Iterator:
    clients: list[TestClient] = []

    def make(address: tuple[str, int]) -> TestClient:
        clients.append(TestClient(app, client=address).__enter__())
        return clients[-1]

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _account(session: Session, email: str, role: str = "employee", password: str = PASSWORD) -> None:
    accounts.add_user(session, data=UserCreate(email=email, full_name="Pat Example", role=role, password=password))
    session.commit()


# --- sessions end when they should -------------------------------------------------------------


def test_signing_out_ends_the_session_even_for_a_copy_of_its_cookie(app, client, session):
    _account(session, "pat@district.example.org")
    _web_sign_in(client, "pat@district.example.org")
    copied = dict(client.cookies)
    assert client.get("/", follow_redirects=False).status_code == 200
    client.post("/logout", data={"csrf_token": _csrf(client.get("/").text)})
    with TestClient(app, cookies=copied) as replay:
        response = replay.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_signing_out_through_the_api_ends_its_access_tokens_but_not_the_api_tokens(client, session):
    _account(session, "pat@district.example.org", role="admin")
    first = {"Authorization": f"Bearer {sign_in(client, 'pat@district.example.org').json()['access_token']}"}
    second = {"Authorization": f"Bearer {sign_in(client, 'pat@district.example.org').json()['access_token']}"}
    api_token = client.post("/api/v1/tokens", json={"name": "SIS nightly sync"}, headers=first).json()["token"]
    assert client.post("/api/v1/auth/sign-out", headers=first).status_code == 204
    for copy in (first, second):
        assert client.get("/api/v1/auth/me", headers=copy).status_code == 401
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {api_token}"}).status_code == 200


def test_a_new_password_ends_every_other_session_and_access_token(app, client, session):
    _account(session, "pat@district.example.org")
    _web_sign_in(client, "pat@district.example.org")
    token = {"Authorization": f"Bearer {sign_in(client, 'pat@district.example.org').json()['access_token']}"}
    with TestClient(app) as phone:
        _web_sign_in(phone, "pat@district.example.org")
        changed = phone.post(
            "/account/password",
            follow_redirects=False,
            data={
                "csrf_token": _csrf(phone.get("/account/password").text),
                "current_password": PASSWORD,
                "new_password": "copper kettle saturday drizzle",
                "new_password_again": "copper kettle saturday drizzle",
            },
        )
        assert changed.status_code == 303, changed.text
        assert phone.get("/", follow_redirects=False).status_code == 200  # where it was changed goes on
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/auth/me", headers=token).status_code == 401


# --- passwords ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaa", "password12", "qwertyuiop", "Pat Example 2026", "lantern orbit pickle meadow"]
)
def test_common_and_guessable_passwords_are_refused_saying_why(client, admin, password):
    response = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "email": "pat@district.example.org",
            "full_name": "Pat Example",
            "role": "employee",
            "password": password,
        },
    )
    assert response.status_code == 422, response.text
    assert "too easy to guess" in response.json()["detail"]


def test_spaces_around_a_new_password_are_refused_never_silently_removed(client, admin):
    response = client.post(
        "/api/v1/users",
        headers=admin,
        json={"email": "pat@district.example.org", "full_name": "Pat", "role": "employee", "password": f" {PASSWORD} "},
    )
    assert response.status_code == 422 and "start or end with a space" in response.json()["detail"]
    assert sign_in(client, "pat@district.example.org").status_code == 401  # no account was made


def test_spaces_inside_a_password_are_kept(client, admin):
    created = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "email": "pat@district.example.org",
            "full_name": "Pat",
            "role": "employee",
            "password": "copper  kettle saturday",
        },
    )
    assert created.status_code == 201, created.text
    assert sign_in(client, "pat@district.example.org", "copper  kettle saturday").status_code == 200
    assert sign_in(client, "pat@district.example.org", "copper kettle saturday").status_code == 401


# --- the cookie --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "https_only", "secure"),
    [
        ("production", None, True),
        ("development", None, False),
        ("production", False, False),
        ("development", True, True),
    ],
)
def test_the_session_cookie_is_https_only_by_default_in_production(
    settings,
    connection,
    environment,
    https_only,
    secure,
):
    changed = settings.model_copy(update={"environment": environment, "session_https_only": https_only})
    with TestClient(create_app(changed, bind=connection)) as client:
        cookie = client.get("/login").headers["set-cookie"].lower()
    assert cookie.startswith("registry_session=")
    assert ("; secure" in cookie) is secure


# --- back-off per account and address -------------------------------------------------------------


def test_wrong_passwords_from_one_address_never_lock_the_owner_out_elsewhere(from_address, session, settings):
    _account(session, "principal@district.example.org", role="admin")
    attacker, owner = from_address(ATTACKER), from_address(OWNER)
    for _ in range(settings.login_max_failures):
        assert sign_in(attacker, "principal@district.example.org", "guess!guess!").status_code == 401
    assert sign_in(attacker, "principal@district.example.org").status_code == 429
    assert sign_in(owner, "principal@district.example.org").status_code == 200


def test_the_answers_are_the_same_whether_or_not_the_account_exists(from_address, session, settings):
    _account(session, "pat@district.example.org")
    client = from_address(ATTACKER)
    answers = {}
    for email in ("pat@district.example.org", "nobody@district.example.org"):
        seen = [sign_in(client, email, "guess!guess!") for _ in range(settings.login_max_failures + 1)]
        answers[email] = [(r.status_code, r.json()["detail"]) for r in seen]
    assert answers["pat@district.example.org"] == answers["nobody@district.example.org"]
    assert answers["nobody@district.example.org"][-1][0] == 429


def test_the_back_off_grows_with_each_further_wrong_password(session):
    from datetime import timedelta

    from registry.accounts import sign_in as signing_in
    from registry.models.base import utcnow

    backoff = signing_in.Backoff(max_failures=3, minutes=15)
    now = utcnow()
    waits = []
    for n in range(6):
        record = signing_in.count_wrong_password(
            session, account="pat@x.org", address="1.2.3.4", backoff=backoff, now=now + timedelta(days=0, seconds=n)
        )
        waits.append(record.blocked_until - record.last_failed_at if record.blocked_until else None)
    assert waits[:2] == [None, None]
    assert waits[2:] == [timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=60), timedelta(minutes=120)]


# --- explicit nulls and API tokens ---------------------------------------------------------------


@pytest.mark.parametrize("changes", [{"role": None}, {"active": None}, {"role": None, "active": None}])
def test_explicit_nulls_in_a_user_change_are_a_clear_4xx(client, admin, changes):
    user = client.post(
        "/api/v1/users",
        headers=admin,
        json={"email": "pat@district.example.org", "full_name": "Pat", "role": "employee", "password": PASSWORD},
    ).json()
    response = client.patch(f"/api/v1/users/{user['id']}", json=changes, headers=admin)
    assert response.status_code == 422, response.text
    assert "cannot be null" in response.text


def test_an_api_token_records_when_it_was_last_used(client, admin):
    created = client.post("/api/v1/tokens", json={"name": "SIS nightly sync"}, headers=admin).json()
    assert created["last_used_at"] is None
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {created['token']}"}).status_code == 200
    listed = {t["id"]: t for t in client.get("/api/v1/tokens", headers=admin).json()}
    assert listed[created["id"]]["last_used_at"] is not None


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("password12", "This password is too easy to guess. This is a very common password."),
        (f" {PASSWORD}", "A password cannot start or end with a space"),
    ],
)
def test_the_create_account_page_refuses_such_passwords_beside_the_field(client, session, password, words):
    _account(session, "ada@district.example.org", role="admin")
    _web_sign_in(client, "ada@district.example.org")
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": _csrf(client.get("/admin/users").text),
            "full_name": "Pat Example",
            "email": "pat@district.example.org",
            "role": "employee",
            "password": password,
        },
    )
    assert response.status_code == 422
    assert re.search(r'<p class="error-text" id="e-password">[^<]*' + re.escape(words), response.text)
    assert accounts.find_user_by_email(session, "pat@district.example.org") is None

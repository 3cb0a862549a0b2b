"""The web pages without a browser: sign-in, CSRF, roles, and the session cookie kept out of the API."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from tests.conftest import PASSWORD

# The families' pages open with no account (a private link and the child's date of birth instead):
# tests/api/test_consent_requests.py checks what a stranger gets from each.
FAMILY_PAGES = ("/f/{token}", "/f", "/family", "/family/birth-date", "/family/sign", "/family/withdraw")
PUBLIC_PAGES = (
    "/login",
    "/privacy",
    *FAMILY_PAGES,
    "/family/receipts/{evidence_id}",
)  # /privacy: the retention schedule is public (Illinois BIPA)


def _page_routes(app) -> list[tuple[str, str]]:
    routes = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path or ""
        if not isinstance(route, APIRoute) or path.startswith(("/api/", "/healthz")) or path in PUBLIC_PAGES:
            continue
        assert not route.include_in_schema, f"{path} is a page and must stay out of the API schema"
        routes += [(method, re.sub(r"\{[^}]+\}", "1", path)) for method in sorted(route.methods or ())]
    return routes


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def _sign_in(client: TestClient, session: Session, role: str) -> str:
    email = f"web-{role}@district.example.org"
    accounts.add_user(session, data=UserCreate(email=email, full_name=f"Web {role}", role=role, password=PASSWORD))
    session.commit()
    token = _csrf(client.get("/login").text)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return _csrf(client.get("/").text)


def test_every_page_sends_a_stranger_to_the_sign_in_form(app, client: TestClient) -> None:
    routes = _page_routes(app)
    assert len(routes) > 20
    for method, path in routes:
        response = client.request(method, path, follow_redirects=False)
        assert response.status_code == 303, (method, path, response.status_code)
        assert response.headers["location"].startswith("/login"), (method, path)


def test_a_wrong_password_is_refused_on_the_page(client: TestClient, session: Session) -> None:
    _sign_in(client, session, "employee")
    client.post("/logout", data={"csrf_token": _csrf(client.get("/").text)})
    response = client.post(
        "/login",
        data={
            "email": "web-employee@district.example.org",
            "password": "wrong-one!!",
            "csrf_token": _csrf(client.get("/login").text),
        },
    )
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    assert 'value="web-employee@district.example.org"' in response.text


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, session: Session) -> None:
    _sign_in(client, session, "office_staff")
    response = client.post("/people/new", data={"kind": "student", "name": "Maya Lopez", "external_id": "S-1"})
    assert response.status_code == 403
    assert "The form has expired" in response.text
    response = client.post("/login", data={"email": "x@y.org", "password": "whatever"})
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/people", "/roster", "/events", "/admin/users", "/review"])
def test_an_employee_gets_a_refusal_page_not_the_data(client: TestClient, session: Session, path: str) -> None:
    _sign_in(client, session, "employee")
    response = client.get(path)
    assert response.status_code == 403
    assert "This page is not available to you" in response.text
    assert 'href="/people"' not in response.text


def test_the_api_does_not_accept_the_page_cookie(client: TestClient, session: Session) -> None:
    _sign_in(client, session, "admin")
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/people").status_code == 401


def test_a_bad_form_keeps_what_was_typed_and_says_what_is_wrong(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "office_staff")
    response = client.post(
        "/people/new",
        data={
            "csrf_token": token,
            "kind": "student",
            "name": "Maya Lopez",
            "external_id": "S 1",
            "guardian1_name": "Ana Lopez",
        },
    )
    assert response.status_code == 422
    assert "Use only letters, digits" in response.text
    assert 'value="Maya Lopez"' in response.text and 'value="Ana Lopez"' in response.text


def test_an_admin_links_a_new_account_to_the_staff_members_record(client: TestClient, session: Session) -> None:
    from registry.people import service as people
    from registry.people.schemas import PersonCreate

    people.add_person(session, data=PersonCreate(external_id="E-77", kind="employee", name="Coach Rivera"))
    session.commit()
    token = _sign_in(client, session, "admin")
    form = {
        "csrf_token": token,
        "full_name": "Coach Rivera",
        "email": "rivera@district.example.org",
        "role": "employee",
        "password": "a long first password",
    }
    unknown = client.post("/admin/users", data={**form, "external_id": "E-78"})
    assert unknown.status_code == 422 and "No one in the registry has the ID E-78" in unknown.text
    assert accounts.find_user_by_email(session, "rivera@district.example.org") is None
    created = client.post("/admin/users", data={**form, "external_id": "E-77"}, follow_redirects=False)
    assert created.status_code == 303
    user = accounts.find_user_by_email(session, "rivera@district.example.org")
    assert user is not None and user.person_id == people.find_by_external_id(session, "E-77").id  # type: ignore[union-attr]


def test_the_roster_page_says_when_an_import_changed_nothing(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "office_staff")
    roster = b"external_id;name;grade;groups\nS-1;Maya Lopez;3;U12 Soccer; Choir\nS-2;Liam Chen;4;\n"
    roster = roster.replace(b"U12 Soccer; Choir", b'"U12 Soccer; Choir"')

    def send() -> str:
        response = client.post(
            "/roster",
            data={"csrf_token": token, "default_kind": "student"},
            files={"file": ("roster.csv", roster, "text/csv")},
        )
        assert response.status_code == 200, response.text
        return response.text

    first = send()
    assert "Every row was imported: 2 added, 0 updated, 0 already up to date." in first
    assert "New groups: U12 Soccer, Choir." in first
    again = send()
    assert "Nothing changed: all 2 rows were already up to date." in again
    assert "Every row was imported" not in again and "New groups" not in again


def test_a_temporary_password_set_on_the_page_revokes_the_api_tokens_unless_unticked(
    client: TestClient, session: Session
) -> None:
    from registry.accounts.schemas import ApiTokenCreate

    coach = accounts.add_user(
        session,
        data=UserCreate(
            email="coach@district.example.org", full_name="Coach Rivera", role="employee", password=PASSWORD
        ),
    )
    token = _sign_in(client, session, "admin")
    admin = accounts.find_user_by_email(session, "web-admin@district.example.org")
    assert admin is not None
    accounts.create_api_token(session, data=ApiTokenCreate(name="Gallery sync", user_id=coach.id), created_by=admin)
    session.commit()
    page = client.get(f"/admin/users/{coach.id}").text
    assert re.search(r'name="revoke_api_tokens" value="yes" checked', page), "the box is ticked when shown"
    assert "Gallery sync" in page

    asked = client.post(f"/admin/users/{coach.id}/temporary-password", data={"csrf_token": token})
    assert "Set a temporary password for Coach Rivera?" in asked.text and "1 API token goes on working" in asked.text
    assert accounts.live_api_tokens(session, user=coach) and not coach.must_change_password  # nothing done yet
    kept = client.post(f"/admin/users/{coach.id}/temporary-password", data={"csrf_token": token, "confirmed": "yes"})
    assert kept.status_code == 200, kept.text
    assert "Its API tokens still work" in kept.text and "Gallery sync" in kept.text
    assert [t.name for t in accounts.live_api_tokens(session, user=coach)] == ["Gallery sync"]

    held = client.post(
        f"/admin/users/{coach.id}/temporary-password",
        data={"csrf_token": token, "revoke_api_tokens": "yes", "confirmed": "yes"},
    )
    assert held.status_code == 200, held.text
    assert "Its API tokens were revoked too" in held.text
    assert accounts.live_api_tokens(session, user=coach) == []

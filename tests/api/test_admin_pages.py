"""The administrator's pages: a first password an administrator chose is replaced at first sign-in, without
typing it twice; deactivating an account and setting a temporary password are asked once more first."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.web.pages_session import TEMPORARY_PROOF_SECONDS
from registry.accounts import service as accounts
from tests.api.test_disclosure import csrf_of, sign_in_page

FIRST = "a first password chosen by the admin"
OWN = "violet staple harbour seventeen"


def _make_account(client: TestClient, session: Session) -> None:
    csrf = sign_in_page(client, session, "admin")
    made = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "email": "pat@district.example.org",
            "full_name": "Pat Principal",
            "role": "reviewer",
            "password": FIRST,
        },
    )
    assert made.status_code == 200 and "then choose their own" in made.text
    client.cookies.clear()


def _sign_in(client: TestClient, password: str):
    return client.post(
        "/login",
        data={
            "email": "pat@district.example.org",
            "password": password,
            "csrf_token": csrf_of(client.get("/login").text),
        },
        follow_redirects=False,
    )


def test_a_first_password_set_by_an_administrator_is_replaced_at_first_sign_in(client: TestClient, session: Session):
    _make_account(client, session)
    pat = accounts.find_user_by_email(session, "pat@district.example.org")
    assert pat is not None and pat.must_change_password
    assert _sign_in(client, FIRST).headers["location"] == "/account/password"
    form = client.get("/account/password").text
    assert 'name="current_password"' not in form  # the password typed a moment ago is not asked again
    same = client.post(
        "/account/password",
        data={"csrf_token": csrf_of(form), "new_password": FIRST, "new_password_again": FIRST},
    )
    assert same.status_code == 422 and "different from the temporary one" in same.text
    changed = client.post(
        "/account/password",
        data={"csrf_token": csrf_of(form), "new_password": OWN, "new_password_again": OWN},
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    client.cookies.clear()
    assert _sign_in(client, OWN).headers["location"] == "/"
    form = client.get("/account/password").text
    assert 'name="current_password"' in form  # their own password: a change asks for it
    skipped = client.post(
        "/account/password",
        data={"csrf_token": csrf_of(form), "new_password": FIRST + "!", "new_password_again": FIRST + "!"},
    )
    assert skipped.status_code == 422 and "current password is not right" in skipped.text


def test_the_temporary_password_is_asked_again_in_a_browser_left_open(
    client: TestClient, session: Session, monkeypatch
):
    _make_account(client, session)
    _sign_in(client, FIRST)
    later = time.time() + TEMPORARY_PROOF_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    form = client.get("/account/password").text
    assert 'name="current_password"' in form and "The temporary password" in form


def test_deactivating_is_asked_once_more_before_it_is_done(client: TestClient, session: Session):
    csrf = sign_in_page(client, session, "admin")
    client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "email": "dana@district.example.org",
            "full_name": "Dana",
            "role": "employee",
            "password": FIRST,
        },
    )
    dana = accounts.find_user_by_email(session, "dana@district.example.org")
    assert dana is not None
    asked = client.post(f"/admin/users/{dana.id}/deactivate", data={"csrf_token": csrf})
    assert asked.status_code == 200 and "Deactivate Dana&#39;s account?" in asked.text
    session.refresh(dana)
    assert dana.active  # only asked
    done = client.post(f"/admin/users/{dana.id}/deactivate", data={"csrf_token": csrf, "confirmed": "yes"})
    assert done.status_code == 200 and "account is deactivated" in done.text
    session.refresh(dana)
    assert not dana.active

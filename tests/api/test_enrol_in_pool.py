"""Enrolment reads faces in the worker pool, with no transaction open meanwhile: on SQLite every other
request (sign-in, clearances, /healthz) can write while a reference photo is analysed."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.album_helpers import add_account, album_engine, album_settings  # noqa: F401  (fixture)
from tests.api.clearance_helpers import add_person, group_photo_to_blur, record
from tests.api.test_web_pages import _csrf
from tests.conftest import FACES, PASSWORD

PORTRAIT = (FACES / "people" / "obama" / "obama-portrait.jpg").read_bytes()


class WatchedPool:
    """The service's pool, noting for each analysis whether another connection could take the write lock."""

    def __init__(self, pool, database) -> None:
        self.pool, self.database = pool, database
        self.lock_was_free: list[bool] = []

    def analyse(self, data, how):
        other = sqlite3.connect(self.database, timeout=0.5, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            self.lock_was_free.append(True)
        except sqlite3.OperationalError:
            self.lock_was_free.append(False)
        finally:
            other.close()
        return self.pool.analyse(data, how)


@pytest.fixture
def watched(tmp_path, album_engine):  # noqa: F811
    settings = album_settings(tmp_path)
    app = create_app(settings, bind=album_engine)
    app.state.analysis_pool = WatchedPool(app.state.analysis_pool, str(tmp_path / "albums.db"))
    office = add_account(album_engine, settings, "office_staff", "office@district.example.org")
    return TestClient(app), app.state.analysis_pool, office


def test_the_api_enrols_with_no_lock_held_while_the_faces_are_read(watched):
    client, pool, office = watched
    person = add_person(client, office, "S-1", "student", "Barack Obama")
    record(client, office, person, "biometric")
    response = client.post(
        f"/api/v1/people/{person}/faces", headers=office, files={"photo": ("me.jpg", PORTRAIT, "image/jpeg")}
    )
    assert response.status_code == 201, response.text
    assert pool.lock_was_free == [True]


def test_the_pages_preview_and_save_with_no_lock_held(watched):
    client, pool, office = watched
    person = add_person(client, office, "S-1", "student", "Barack Obama")
    record(client, office, person, "biometric")
    token = _csrf(client.get("/login").text)
    assert (
        client.post(
            "/login",
            data={"email": "office@district.example.org", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        ).status_code
        == 303
    )
    csrf = _csrf(client.get("/").text)
    preview = client.post(
        f"/people/{person}/faces/preview",
        data={"csrf_token": csrf},
        files={"photo": ("me.jpg", PORTRAIT, "image/jpeg")},
    )
    assert "Is this Barack Obama?" in preview.text
    preview_token = preview.text.split('name="token" value="')[1].split('"')[0]
    saved = client.post(
        f"/people/{person}/faces",
        data={"csrf_token": csrf, "token": preview_token, "face_index": "0"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert len(client.get(f"/api/v1/people/{person}/faces", headers=office).json()) == 1
    assert pool.lock_was_free == [True, True]


def test_the_blurred_copy_is_cleared_in_the_pool_with_no_lock_held(watched, tmp_path, album_engine):  # noqa: F811
    client, pool, office = watched
    employee = add_account(album_engine, album_settings(tmp_path), "employee", "coach@district.example.org")
    clearance = group_photo_to_blur(client, office, employee)
    analysed = len(pool.lock_was_free)
    response = client.get(f"/api/v1/clearances/{clearance['id']}/redacted", headers=employee)
    assert response.status_code == 200, response.text
    assert len(pool.lock_was_free) > analysed and all(pool.lock_was_free)

"""A photo that gets no turn to be read in its request is answered at once: queued as an album of one photo and
followed like one (API: 202 and Location; page: the album's page), or, for work that cannot be queued, 503
with Retry-After. The service has one turn for photo checks here, and a photo being read holds it."""

from __future__ import annotations

import io
import re
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.api.album_helpers import add_account, album_client, album_engine, album_settings, wait_finished  # noqa: F401
from tests.conftest import FACES, PASSWORD

CLASSROOM = {"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"}


def _twelve_megapixels() -> bytes:
    """A 12 MP classroom photo of two people enrolled nowhere, turned without an orientation tag: the first
    search sees both faces sideways and checks each a quarter turn away (blocked), and the turn is held for a
    second or more, not the fraction of a second a small photo takes."""
    out = io.BytesIO()
    turned = Image.open(FACES / "groups" / "kit-rose.jpg").convert("RGB").transpose(Image.Transpose.ROTATE_90)
    turned.resize((4000, 2800)).save(out, "JPEG", quality=90)
    return out.getvalue()


PHOTO = _twelve_megapixels()


def one_turn(tmp_path: Path):
    return album_settings(tmp_path).model_copy(update={"photo_checks_at_once": 1, "photo_check_wait_seconds": 0.1})


def while_a_photo_is_read(client: TestClient, headers: dict[str, str]) -> tuple[threading.Thread, list]:
    """Starts clearing a photo in the background; it holds the only turn while its faces are read."""
    answers: list[httpx.Response] = []

    def clear() -> None:
        answers.append(
            client.post(
                "/api/v1/clearances",
                headers=headers,
                files={"photo": ("first.jpg", PHOTO, "image/jpeg")},
                data=CLASSROOM,
            )
        )

    reading = threading.Thread(target=clear)
    reading.start()
    time.sleep(0.5)  # the first photo has its turn (its worker process is still starting: seconds)
    assert not answers, "the first photo was decided before the second was sent"
    return reading, answers


@pytest.mark.slow
def test_an_upload_with_no_turn_is_queued_and_decided_like_an_album(tmp_path, album_engine):  # noqa: F811
    settings = one_turn(tmp_path)
    teacher = add_account(album_engine, settings, "employee", "teacher@district.example.org")
    other = add_account(album_engine, settings, "employee", "coach@district.example.org")
    with album_client(settings, album_engine) as client:
        reading, answers = while_a_photo_is_read(client, teacher)
        queued = client.post(
            "/api/v1/clearances", headers=other, files={"photo": ("second.jpg", PHOTO, "image/jpeg")}, data=CLASSROOM
        )
        assert queued.status_code == 202, queued.text
        album = queued.json()
        assert queued.headers["location"] == f"/api/v1/albums/{album['id']}"
        assert album["total"] == 1 and album["items"][0]["name"] == "second.jpg"
        assert album["items"][0]["clearance_id"] is None  # nothing decided before its faces are read
        reading.join()
        assert answers[0].status_code == 201, answers[0].text
        [item] = wait_finished(client, other, album["id"])["items"]
        assert item["status"] == "done" and item["decision"] == "blocked"
        clearance = client.get(f"/api/v1/clearances/{item['clearance_id']}", headers=other).json()
        assert clearance["decision"] == "blocked" and len(clearance["faces"]) == 2
        assert clearance["file_name"] == "second.jpg"


@pytest.mark.slow
def test_a_page_upload_with_no_turn_follows_its_photo_like_an_album(tmp_path, album_engine):  # noqa: F811
    settings = one_turn(tmp_path)
    teacher = add_account(album_engine, settings, "employee", "teacher@district.example.org")
    coach = add_account(album_engine, settings, "employee", "coach@district.example.org")
    with album_client(settings, album_engine) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        signed_in = client.post(
            "/login",
            data={"email": "coach@district.example.org", "password": PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/clearances/new").text)
        assert csrf
        reading, _ = while_a_photo_is_read(client, teacher)
        sent = client.post(
            "/clearances/new",
            data={**CLASSROOM, "context_public": "no", "csrf_token": csrf.group(1)},
            files={"photo": ("second.jpg", PHOTO, "image/jpeg")},
            follow_redirects=False,
        )
        reading.join()
        assert sent.status_code == 303, sent.text
        album = re.fullmatch(r"/albums/(\d+)", sent.headers["location"])
        assert album, sent.headers["location"]
        assert client.get(sent.headers["location"]).status_code == 200
        [item] = wait_finished(client, coach, int(album.group(1)))["items"]
        page = client.get(sent.headers["location"])
        assert "The photo has been checked." in page.text and "second.jpg" in page.text
        assert f'href="/clearances/{item["clearance_id"]}"' in page.text


@pytest.mark.slow
def test_enrolment_with_no_turn_is_answered_503_with_retry_after(tmp_path, album_engine):  # noqa: F811
    settings = one_turn(tmp_path)
    teacher = add_account(album_engine, settings, "employee", "teacher@district.example.org")
    office = add_account(album_engine, settings, "office_staff", "office@district.example.org")
    with album_client(settings, album_engine) as client:
        person = client.post(
            "/api/v1/people", headers=office, json={"external_id": "S-1", "kind": "student", "name": "Maya Lopez"}
        ).json()["id"]
        reading, _ = while_a_photo_is_read(client, teacher)
        refused = client.post(
            f"/api/v1/people/{person}/faces", headers=office, files={"photo": ("maya.jpg", PHOTO, "image/jpeg")}
        )
        assert refused.status_code == 503, refused.text
        assert int(refused.headers["retry-after"]) >= 1 and "try again" in refused.json()["detail"]
        assert client.get("/healthz").status_code == 200
        reading.join()

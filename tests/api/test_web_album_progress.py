"""An album's page follows its progress in place: the changing parts come from a fragment of their own."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session

from tests.api.hostile_helpers import SQLITE_ONLY
from tests.api.test_web_pages import _sign_in


def _start(client: TestClient, token: str, files: list[tuple[str, tuple[str, bytes, str]]]) -> str:
    response = client.post(
        "/albums/new",
        data={"csrf_token": token, "destination": "personal_social_media", "context_kind": "assembly"},
        files=files,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


@SQLITE_ONLY
def test_an_album_being_checked_updates_from_its_progress_fragment(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "employee")
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(photo, "JPEG")
    album = _start(
        client,
        token,
        [("photos", ("first.jpg", photo.getvalue(), "image/jpeg")), ("photos", ("notes.txt", b"text", "text/plain"))],
    )
    page = client.get(album).text
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert '<script src="/static/album-progress.js" defer></script>' in page
    assert 'id="album-announce" role="status"' in page
    assert f'data-progress-url="{album}/progress"' in page
    assert "refresh it now" in page  # without JavaScript, a link too

    fragment = client.get(f"{album}/progress")
    assert fragment.status_code == 200 and fragment.headers["cache-control"] == "no-store"
    assert "<html" not in fragment.text and "<nav" not in fragment.text
    assert 'data-finished="no"' in fragment.text
    assert "Checking: 1 of 2 photos done." in fragment.text
    assert "<strong>notes.txt</strong>" in fragment.text


@SQLITE_ONLY
def test_a_finished_album_of_one_photo_says_so_in_the_singular(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "employee")
    album = _start(client, token, [("photos", ("notes.txt", b"text", "text/plain"))])
    page = client.get(album).text
    assert "The photo has been checked." in page and "All 1" not in page
    assert "http-equiv" not in page and "album-progress.js" not in page  # nothing more to follow
    assert 'data-finished="yes"' in client.get(f"{album}/progress").text


@SQLITE_ONLY
def test_someone_elses_album_progress_is_not_shown(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "employee")
    album = _start(client, token, [("photos", ("notes.txt", b"text", "text/plain"))])
    client.cookies.clear()
    _sign_in(client, session, "office_staff")
    refused = client.get(f"{album}/progress")
    assert refused.status_code == 404 and "<h1>Not found</h1>" in refused.text

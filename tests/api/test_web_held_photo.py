"""After a mistake in the photo form the photo is kept for a few minutes, for its sender only, and used once."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from registry.core.storage import storage_for
from tests.api.hostile_helpers import SQLITE_ONLY
from tests.api.test_web_pages import _sign_in
from tests.conftest import FACES

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis

PHOTO = "people/obama/obama-2.jpg"


def _held(html: str) -> str:
    match = re.search(r'name="held_photo" value="([^"]+)"', html)
    assert match, "the form did not keep the photo"
    return match.group(1)


@SQLITE_ONLY
def test_the_photo_kept_after_a_mistake_is_checked_with_the_corrected_form(
    client: TestClient, session: Session
) -> None:
    token = _sign_in(client, session, "employee")
    form = {"csrf_token": token, "destination": "personal_social_media", "caption": "Reading corner"}
    with open(FACES / PHOTO, "rb") as handle:
        mistake = client.post("/clearances/new", data=form, files={"photo": ("corner.jpg", handle, "image/jpeg")})
    assert mistake.status_code == 422
    assert "say what kind of occasion it was" in mistake.text
    assert "Your photo “corner.jpg” is kept" in mistake.text and "Please choose the photo again" not in mistake.text
    held = _held(mistake.text)

    corrected = client.post(
        "/clearances/new", data={**form, "context_kind": "classroom", "held_photo": held}, follow_redirects=False
    )
    assert corrected.status_code == 303, corrected.text
    result = client.get(corrected.headers["location"]).text
    assert "corner.jpg" in result and "Reading corner" in result

    again = client.post("/clearances/new", data={**form, "context_kind": "classroom", "held_photo": held})
    assert again.status_code == 422 and "Choose the photo you want to post." in again.text  # used once


@SQLITE_ONLY
def test_a_kept_photo_is_its_senders_only(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "employee")
    with open(FACES / PHOTO, "rb") as handle:
        mistake = client.post(
            "/clearances/new",
            data={"csrf_token": token, "destination": "personal_social_media"},
            files={"photo": ("corner.jpg", handle, "image/jpeg")},
        )
    held = _held(mistake.text)
    client.post("/logout", data={"csrf_token": token})
    other = _sign_in(client, session, "reviewer")
    stolen = client.post(
        "/clearances/new",
        data={
            "csrf_token": other,
            "destination": "personal_social_media",
            "context_kind": "classroom",
            "held_photo": held,
        },
    )
    assert stolen.status_code == 422 and "Choose the photo you want to post." in stolen.text


ALBUM = ("people/obama/obama-2.jpg", "people/kit_harington/kit-2.jpg", "edge/obama-240p.jpg")


def _album_mistake(client: TestClient, token: str) -> tuple[dict[str, str], str]:
    """An album form sent without its kind of occasion: the photos come back kept."""
    form = {"csrf_token": token, "destination": "personal_social_media", "caption": "Spring game"}
    files = [("photos", (Path(name).name, (FACES / name).read_bytes(), "image/jpeg")) for name in ALBUM]
    mistake = client.post("/albums/new", data=form, files=files)
    assert mistake.status_code == 422
    assert "say what kind of occasion it was" in mistake.text
    match = re.search(r'name="held_album" value="([^"]+)"', mistake.text)
    assert match, "the form did not keep the photos"
    return form, match.group(1)


def _kept_files(app) -> list[str]:
    return list(storage_for(app.state.settings).keys("held-photos/"))


@SQLITE_ONLY
def test_an_albums_photos_kept_after_a_mistake_are_sent_with_the_corrected_form_and_then_deleted(
    app, client: TestClient, session: Session
) -> None:
    token = _sign_in(client, session, "employee")
    form, held = _album_mistake(client, token)
    page = client.get("/albums/new")  # nothing is kept for a form opened anew
    assert "held_album" not in page.text
    assert len(_kept_files(app)) == len(ALBUM) + 1  # the photos and their names
    corrected = client.post(
        "/albums/new", data={**form, "context_kind": "classroom", "held_album": held}, follow_redirects=False
    )
    assert corrected.status_code == 303, corrected.text
    album = client.get(corrected.headers["location"]).text
    assert "of 3 photos" in album  # the three kept photos, being checked
    assert _kept_files(app) == []  # used: deleted
    again = client.post("/albums/new", data={**form, "context_kind": "classroom", "held_album": held})
    assert again.status_code == 422 and "choose them again" in again.text


@SQLITE_ONLY
def test_the_page_says_how_many_photos_are_kept_and_a_zip_is_kept_too(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "employee")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("game/first.jpg", (FACES / ALBUM[0]).read_bytes())
    form = {"csrf_token": token, "destination": "personal_social_media"}
    files = [("photos", (Path(name).name, (FACES / name).read_bytes(), "image/jpeg")) for name in ALBUM]
    with_zip = client.post("/albums/new", data=form, files=[*files, ("zip", ("game.zip", archive.getvalue()))])
    assert "Your 3 photos and your zip file “game.zip” are kept; fix the marked field and send again." in (
        with_zip.text.replace("&#8220;", "“").replace("&#8221;", "”")
    )
    corrected = client.post(
        "/albums/new",
        data={**form, "context_kind": "classroom", "held_album": _held_album(with_zip.text)},
        follow_redirects=False,
    )
    album = client.get(corrected.headers["location"]).text
    assert "of 4 photos" in album  # the three photos and the one in the zip


def _held_album(html: str) -> str:
    match = re.search(r'name="held_album" value="([^"]+)"', html)
    assert match
    return match.group(1)


@SQLITE_ONLY
def test_kept_album_photos_are_forgotten_when_asked_and_are_their_senders_only(
    app, client: TestClient, session: Session
) -> None:
    token = _sign_in(client, session, "employee")
    form, held = _album_mistake(client, token)
    client.post("/logout", data={"csrf_token": token})
    other = _sign_in(client, session, "reviewer")
    stolen = client.post(
        "/albums/new", data={**form, "csrf_token": other, "context_kind": "classroom", "held_album": held}
    )
    assert stolen.status_code == 422 and "choose them again" in stolen.text
    assert _kept_files(app)  # still the sender's
    forgotten = client.post(
        "/albums/new/forget", data={"csrf_token": other, "held_album": held}, follow_redirects=False
    )
    assert forgotten.status_code == 303 and _kept_files(app)  # not the reviewer's to forget
    client.post("/logout", data={"csrf_token": other})
    token = _sign_in(client, session, "office_staff")
    form, held = _album_mistake(client, token)
    before = len(_kept_files(app))
    client.post("/albums/new/forget", data={"csrf_token": token, "held_album": held}, follow_redirects=False)
    assert len(_kept_files(app)) == before - len(ALBUM) - 1


@SQLITE_ONLY
def test_an_album_over_its_limits_is_not_kept(app, client: TestClient, session: Session) -> None:
    app.state.settings = app.state.settings.model_copy(update={"max_album_photos": 2})
    token = _sign_in(client, session, "employee")
    files = [("photos", (Path(name).name, (FACES / name).read_bytes(), "image/jpeg")) for name in ALBUM]
    refused = client.post(
        "/albums/new", data={"csrf_token": token, "destination": "personal_social_media"}, files=files
    )
    assert refused.status_code == 422
    assert "An album takes at most 2 photos; you chose 3." in refused.text
    assert "Please choose the photos again" in refused.text and "held_album" not in refused.text
    assert _kept_files(app) == []

"""After a mistake in the photo form the photo is kept for a few minutes, for its sender only, and used once."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

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

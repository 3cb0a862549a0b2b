"""The office and staff pages on a bucket: a photo held after a form's mistake and a reference photo waiting
for its enrolment decision are kept in the bucket, never on the service's disk, and go when they should."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from registry.core.files import sweep_orphans
from registry.core.settings import Settings
from registry.core.storage import storage_at
from tests.api.clearance_helpers import add_person, record
from tests.api.hostile_helpers import SQLITE_ONLY
from tests.api.test_web_pages import _sign_in
from tests.conftest import EVERY_UPLOAD_CHECKED, FACES, GENEROUS_LIMITS

PORTRAIT = (FACES / "people" / "obama" / "obama-portrait.jpg").read_bytes()


@pytest.fixture
def settings(tmp_path: Path, s3_url: str) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        storage_url=s3_url,
        secret_key="test-secret-" + "x" * 32,
        **GENEROUS_LIMITS,
        **EVERY_UPLOAD_CHECKED,
    )


def _on_disk(settings: Settings) -> list[Path]:
    return [p for p in settings.data_dir.rglob("*") if p.is_file() and p.name not in ("secret_key",)]


@SQLITE_ONLY
def test_a_held_photo_waits_in_the_bucket_and_is_used_once(client: TestClient, session: Session, settings) -> None:
    store = storage_at(str(settings.storage_url))
    token = _sign_in(client, session, "employee")
    form = {"csrf_token": token, "destination": "personal_social_media", "caption": "Reading corner"}
    photo = (FACES / "people" / "obama" / "obama-2.jpg").read_bytes()
    mistake = client.post("/clearances/new", data=form, files={"photo": ("corner.jpg", photo, "image/jpeg")})
    assert mistake.status_code == 422 and "Your photo “corner.jpg” is kept" in mistake.text
    held = re.search(r'name="held_photo" value="([^"]+)"', mistake.text)
    assert held is not None
    assert [store.get(k) for k in store.keys("held-photos/") if not k.endswith(".name")] == [photo]
    assert _on_disk(settings) == []

    corrected = client.post(
        "/clearances/new",
        data={**form, "context_kind": "classroom", "held_photo": held.group(1)},
        follow_redirects=False,
    )
    assert corrected.status_code == 303, corrected.text
    assert list(store.keys("held-photos/")) == []  # used, so gone
    assert photo in [store.get(k) for k in store.keys("uploads/")]  # the original kept for reviewers
    assert _on_disk(settings) == []


def test_a_reference_photo_waits_in_the_bucket_until_the_decision(client, office, session: Session, settings) -> None:
    store = storage_at(str(settings.storage_url))
    person = add_person(client, office, "S-1", "student", "Barack Obama")
    record(client, office, person, "biometric")
    csrf = _sign_in(client, session, "office_staff")

    def preview() -> Any:
        files = {"photo": ("me.jpg", PORTRAIT, "image/jpeg")}
        return client.post(f"/people/{person}/faces/preview", data={"csrf_token": csrf}, files=files)

    first = preview()
    assert first.status_code == 200 and "Is this Barack Obama?" in first.text
    assert [store.get(k) for k in store.keys("enrol-previews/")] == [PORTRAIT]
    assert _on_disk(settings) == []
    token = re.search(r'name="token" value="([^"]+)"', first.text)
    assert token is not None
    saved = client.post(
        f"/people/{person}/faces",
        data={"csrf_token": csrf, "token": token.group(1), "face_index": "0"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert list(store.keys("enrol-previews/")) == []  # saved: the reference photo goes, its template stays
    preview()  # abandoned: the browser is closed
    assert len(list(store.keys("enrol-previews/"))) == 1
    sweep_orphans(session, settings)  # what the service does when it starts
    assert list(store.keys("enrol-previews/")) == [] and _on_disk(settings) == []

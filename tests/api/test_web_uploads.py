"""Upload forms on the pages: each states its kind's limit, and every refusal is the form's page, never JSON."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session

from registry.core.settings import Settings
from registry.people import service as people
from registry.people.schemas import PersonCreate
from tests.api.hostile_helpers import SQLITE_ONLY
from tests.api.test_web_pages import _sign_in
from tests.conftest import GENEROUS_LIMITS

KB = 1024
LIMITS = {
    "max_upload_bytes": 64 * KB,
    "max_evidence_bytes": 32 * KB,
    "max_reference_photo_bytes": 48 * KB,
    "max_roster_bytes": 16 * KB,
    "max_album_bytes": 2 * 1024 * KB,
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        secret_key="test-secret-" + "x" * 32,
        **GENEROUS_LIMITS,
        **LIMITS,  # type: ignore[arg-type]
    )


def _photo_form(token: str, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "destination": "personal_social_media",
        "context_kind": "sporting_event",
        "context_public": "yes",
        "caption": "Senior night, second half",
        **extra,
    }


@SQLITE_ONLY
def test_each_upload_form_states_its_own_limit(client: TestClient, session: Session) -> None:
    _sign_in(client, session, "admin")
    person = people.add_person(
        session, data=PersonCreate.model_validate({"external_id": "S-1", "kind": "student", "name": "Maya Lopez"})
    )
    session.commit()
    expected = {
        "/clearances/new": ("up to 64 KB", 'data-max-bytes="65536"'),
        "/albums/new": ("each up to 64 KB", 'data-max-total-bytes="2097152"'),
        f"/people/{person.id}/consents/new": ("up to 32 KB", 'data-max-bytes="32768"'),
        "/roster": ("up to 16 KB", 'data-max-bytes="16384"'),
    }
    for path, (words, attribute) in expected.items():
        page = client.get(path)
        assert page.status_code == 200, path
        assert words in page.text and attribute in page.text, path
        assert '<script src="/static/upload-limits.js" defer></script>' in page.text


@SQLITE_ONLY
def test_a_photo_over_the_limit_is_refused_on_the_form_with_what_was_typed(
    client: TestClient, session: Session
) -> None:
    token = _sign_in(client, session, "employee")
    response = client.post(
        "/clearances/new",
        data=_photo_form(token),
        files={"photo": ("game.jpg", b"\xff\xd8" + b"0" * (100 * KB), "image/jpeg")},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "The file you chose is 100 KB. A photo may be up to 64 KB." in response.text
    assert "Senior night, second half" in response.text  # the caption as typed
    assert "Please choose the photo again" in response.text


@SQLITE_ONLY
def test_a_body_refused_before_the_page_runs_is_the_forms_page_not_json(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "employee")
    response = client.post(
        "/clearances/new",
        data=_photo_form(token),
        files={"photo": ("huge.jpg", b"0" * (2 * 1024 * KB), "image/jpeg")},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert not response.text.lstrip().startswith("{")
    assert "Nothing was received: what you sent was too large. A photo may be up to 64 KB." in response.text
    assert "fill in the form again" in response.text
    assert re.search(r"<h1>Clear a photo</h1>", response.text)  # the form itself, ready to fill in again
    assert 'role="alert" id="refused-upload"' in response.text


@SQLITE_ONLY
def test_the_api_keeps_its_json_refusal(client: TestClient, employee: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/clearances",
        headers=employee,
        data={"destination": "personal_social_media", "context_kind": "sporting_event", "context_public": "true"},
        files={"photo": ("huge.jpg", b"0" * (2 * 1024 * KB), "image/jpeg")},
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


@SQLITE_ONLY
def test_a_refused_upload_of_a_stranger_still_goes_to_the_sign_in_form(client: TestClient) -> None:
    response = client.post(
        "/clearances/new", files={"photo": ("huge.jpg", b"0" * (2 * 1024 * KB), "image/jpeg")}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


@SQLITE_ONLY
def test_a_scan_over_its_limit_is_refused_beside_the_field(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "office_staff")
    person = people.add_person(
        session, data=PersonCreate.model_validate({"external_id": "S-2", "kind": "student", "name": "Leo Park"})
    )
    session.commit()
    response = client.post(
        f"/people/{person.id}/consents/new",
        data={
            "csrf_token": token,
            "answer_image_release": "granted",
            "answer_biometric": "none",
            "scopes": "personal_social_media",
            "signer_name": "Jin Park",
            "signer_relationship": "parent",
            "signed_on": "2026-09-02",
        },
        files={"scan": ("form.pdf", b"%PDF-" + b"0" * (40 * KB), "application/pdf")},
    )
    assert response.status_code == 422
    assert "A scan of a consent form may be up to 32 KB." in response.text
    assert 'value="Jin Park"' in response.text


@SQLITE_ONLY
def test_a_roster_over_its_limit_is_refused_on_the_roster_page(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "office_staff")
    big = b"external_id,name\n" + b"S-1,Maya Lopez\n" * 2000
    response = client.post(
        "/roster", data={"csrf_token": token, "default_kind": "employee"}, files={"file": ("all.csv", big, "text/csv")}
    )
    assert response.status_code == 422
    assert "A roster file may be up to 16 KB. Split the roster" in response.text
    assert 'value="employee" selected' in response.text


@SQLITE_ONLY
def test_a_reference_photo_over_its_limit_is_refused_on_the_persons_page(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "office_staff")
    person = people.add_person(
        session, data=PersonCreate.model_validate({"external_id": "E-3", "kind": "employee", "name": "Ray Vance"})
    )
    session.commit()
    response = client.post(
        f"/people/{person.id}/faces/preview",
        data={"csrf_token": token},
        files={"photo": ("ray.jpg", b"\xff\xd8" + b"0" * (50 * KB), "image/jpeg")},
    )
    assert response.status_code == 200 and response.url.path == f"/people/{person.id}"
    assert "A reference photo may be up to 48 KB." in response.text
    refused = client.post(
        f"/people/{person.id}/faces/preview",
        data={"csrf_token": token},
        files={"photo": ("ray.jpg", b"0" * (2 * 1024 * KB), "image/jpeg")},
    )
    assert refused.status_code == 413 and "<h1>Ray Vance" in refused.text.replace("\n", "")


@SQLITE_ONLY
def test_an_album_zip_that_cannot_be_read_is_refused_beside_the_zip_field(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "employee")
    response = client.post(
        "/albums/new", data=_photo_form(token), files={"zip": ("game.zip", b"not a zip at all", "application/zip")}
    )
    assert response.status_code == 422
    assert "The zip file cannot be read" in response.text
    assert 'id="e-zip"' in response.text


@SQLITE_ONLY
def test_an_album_can_be_a_zip_of_photos(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "employee")
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(photo, "JPEG")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("game/first.jpg", photo.getvalue())
        packed.writestr("notes.txt", b"not a photo")
    response = client.post(
        "/albums/new",
        data=_photo_form(token),
        files={"zip": ("game.zip", archive.getvalue(), "application/zip")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    album = client.get(response.headers["location"])
    assert "of 2 photos" in album.text  # both members are in the album; the text file is refused on its own
    assert "<strong>notes.txt</strong>" in album.text

"""With REGISTRY_STORAGE_URL=s3://..., every photo and scan is kept in the bucket and none on the API host's disk."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from registry.core.settings import Settings
from registry.core.storage import storage_at
from tests.api.album_helpers import add_account, album_client, album_engine, blank_jpeg, wait_finished
from tests.api.clearance_helpers import add_person, clear, record
from tests.conftest import FACES, GENEROUS_LIMITS
from tests.scan_helpers import signed_form_pdf

__all__ = ["album_engine"]
CLASSROOM = {"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"}
PHOTO_STARTS = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF", b"%PDF")


def _photo_like_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.read_bytes()[:4].startswith(PHOTO_STARTS)]


def test_a_photo_its_blurred_copy_a_scan_and_an_album_go_to_the_bucket_only(tmp_path, album_engine, s3_url):
    data = tmp_path / "data"
    settings = Settings(
        environment="test",
        data_dir=data,
        storage_url=s3_url,
        secret_key="test-secret-" + "x" * 32,
        **GENEROUS_LIMITS,
    )
    office = add_account(album_engine, settings, "office_staff", "office@district.example.org")
    coach = add_account(album_engine, settings, "employee", "coach@district.example.org")
    temporary_before = set(Path(tempfile.gettempdir()).glob("registry-upload-*"))
    group = (FACES / "groups" / "biden-obama.jpg").read_bytes()
    scan = signed_form_pdf()
    with album_client(settings, album_engine) as client:
        cleared = clear(client, coach, "groups/biden-obama.jpg").json()
        assert cleared["decision"] == "blocked" and cleared["redaction_offered"] is True  # two faces nobody enrolled
        blurred = client.get(f"/api/v1/clearances/{cleared['id']}/redacted", headers=coach)
        assert blurred.status_code == 200, blurred.text

        student = add_person(client, office, "S-1", "student", "Maya Lopez")
        consent = record(client, office, student)
        attached = client.post(
            f"/api/v1/consents/{consent['id']}/evidence",
            files={"file": ("form.pdf", scan, "application/pdf")},
            headers=office,
        )
        assert attached.status_code == 201, attached.text
        evidence = attached.json()["evidence"][0]
        download = client.get(f"/api/v1/consents/{consent['id']}/evidence/{evidence['id']}", headers=office)
        assert download.status_code == 200 and download.content == scan  # read back from the bucket

        files = [("photos", ("game-1.jpg", group, "image/jpeg")), ("photos", ("sky.jpg", blank_jpeg(), "image/jpeg"))]
        sent = client.post("/api/v1/clearances/batch", data=CLASSROOM, files=files, headers=coach)
        assert sent.status_code == 202, sent.text
        album = wait_finished(client, coach, sent.json()["id"])
        assert album["counts"]["done"] == 2, album
        assert {i["name"]: i["decision"] for i in album["items"]} == {"game-1.jpg": "blocked", "sky.jpg": "allowed"}
        original = client.get(f"/api/v1/clearances/{cleared['id']}/photo", headers=coach)
        assert original.status_code == 200 and original.content[:3] == b"\xff\xd8\xff"  # read from the bucket

    assert _photo_like_files(tmp_path) == []
    assert not any((data / kind).exists() for kind in ("uploads", "evidence", "held-photos", "enrol-previews"))
    assert set(Path(tempfile.gettempdir()).glob("registry-upload-*")) == temporary_before
    store = storage_at(s3_url)
    uploads = list(store.keys("uploads/"))
    assert len(uploads) == 4  # the photo, its blurred copy, the album's two photos
    assert group in {store.get(key) for key in uploads}
    assert blurred.content in {store.get(key) for key in uploads}
    assert list(store.keys("evidence/")) == [f"evidence/{hashlib.sha256(scan).hexdigest()}"]


def test_a_bucket_out_of_reach_answers_503_and_records_nothing(tmp_path, album_engine, s3_url, monkeypatch):
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "data",
        storage_url=s3_url,
        secret_key="test-secret-" + "x" * 32,
        **GENEROUS_LIMITS,
    )
    coach = add_account(album_engine, settings, "employee", "coach@district.example.org")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    with album_client(settings, album_engine) as client:
        photo = client.post(
            "/api/v1/clearances",
            data=CLASSROOM,
            files={"photo": ("sky.jpg", blank_jpeg(), "image/jpeg")},
            headers=coach,
        )
        assert photo.status_code == 503, photo.text
        assert "nothing was recorded" in photo.json()["detail"] and "127.0.0.1" not in photo.json()["detail"]
        files = [("photos", ("sky.jpg", blank_jpeg(), "image/jpeg"))]
        album = client.post("/api/v1/clearances/batch", data=CLASSROOM, files=files, headers=coach)
        assert album.status_code == 503, album.text
        assert client.get("/api/v1/clearances", headers=coach).json()["total"] == 0
        assert client.get("/api/v1/albums", headers=coach).json()["items"] == []
    assert _photo_like_files(tmp_path) == []

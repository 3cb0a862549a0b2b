"""Album clearance through the API: many photos in, each one's outcome out, a bad one never stops the rest."""

from __future__ import annotations

import io
import zipfile

import pytest

from registry.albums.files import photos_in_zip
from registry.core.errors import TooLarge
from registry.core.storage import FileStorage
from tests.api.album_helpers import add_account, album_client, album_engine, album_settings, blank_jpeg, wait_finished
from tests.conftest import FACES

__all__ = ["album_engine"]
FORM = {"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"}


def test_an_album_is_cleared_in_the_background_and_a_broken_photo_is_reported(tmp_path, album_engine):
    settings = album_settings(tmp_path)
    coach = add_account(album_engine, settings, "employee", "coach@district.example.org")
    other = add_account(album_engine, settings, "employee", "other@district.example.org")
    group = (FACES / "groups" / "kit-rose.jpg").read_bytes()
    files = [
        ("photos", ("game-1.jpg", group, "image/jpeg")),
        ("photos", ("sky.jpg", blank_jpeg(), "image/jpeg")),
        ("photos", ("cut-off.jpg", group[: len(group) // 3], "image/jpeg")),
        ("photos", ("notes.txt", b"not a photo", "text/plain")),
    ]
    with album_client(settings, album_engine) as client:
        response = client.post("/api/v1/clearances/batch", data=FORM, files=files, headers=coach)
        assert response.status_code == 202, response.text
        album_id = response.json()["id"]
        assert response.headers["location"] == f"/api/v1/albums/{album_id}"
        album = wait_finished(client, coach, album_id)

        items = {item["name"]: item for item in album["items"]}
        assert album["counts"] == {"queued": 0, "running": 0, "done": 2, "failed": 2}
        assert items["game-1.jpg"]["decision"] == "blocked"  # two faces nobody enrolled, in a classroom
        assert items["sky.jpg"]["decision"] == "allowed"
        assert album["decisions"] == {"allowed": 1, "blocked": 1, "needs_review": 0}
        assert "damaged" in items["cut-off.jpg"]["error"] and items["cut-off.jpg"]["clearance_id"] is None
        assert "not a JPEG, PNG or WebP" in items["notes.txt"]["error"]

        cleared = client.get(f"/api/v1/clearances/{items['game-1.jpg']['clearance_id']}", headers=coach).json()
        assert len(cleared["faces"]) == 2 and cleared["decision"] == "blocked"
        thumbnail = client.get(items["game-1.jpg"]["thumbnail_url"], headers=coach)
        assert thumbnail.status_code == 200 and thumbnail.content[:3] == b"\xff\xd8\xff"

        assert client.get(f"/api/v1/albums/{album_id}", headers=other).status_code == 404
        assert client.get(items["game-1.jpg"]["thumbnail_url"], headers=other).status_code == 404
        assert [a["id"] for a in client.get("/api/v1/albums", headers=coach).json()["items"]] == [album_id]
        assert client.get("/api/v1/albums", headers=other).json()["items"] == []
    kept = sorted(p.name for p in settings.uploads_dir.iterdir())
    assert len(kept) == 2  # the two cleared originals; the broken upload is not kept


def test_a_zip_is_read_member_by_member_and_a_path_in_a_name_goes_nowhere(tmp_path, album_engine):
    settings = album_settings(tmp_path)
    coach = add_account(album_engine, settings, "employee", "coach@district.example.org")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../../escaped.jpg", blank_jpeg())
        z.writestr("game/notes.txt", "not a photo")
        z.writestr("__MACOSX/game/._sky.jpg", b"resource fork")
        z.writestr("game/sky.jpg", blank_jpeg())
    with album_client(settings, album_engine) as client:
        response = client.post(
            "/api/v1/clearances/batch",
            data=FORM,
            headers=coach,
            files={"zip": ("album.zip", archive.getvalue(), "application/zip")},
        )
        assert response.status_code == 202, response.text
        album = wait_finished(client, coach, response.json()["id"])
    assert [(i["name"], i["status"]) for i in album["items"]] == [
        ("escaped.jpg", "done"),
        ("notes.txt", "failed"),
        ("sky.jpg", "done"),
    ]
    assert not list(tmp_path.rglob("escaped.jpg"))


def test_a_zip_bomb_and_an_overfull_zip_are_refused_before_decompressing(tmp_path):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("huge.jpg", b"\xff\xd8\xff" + bytes(5_000_000))  # compresses to a few kB
        for n in range(3):
            z.writestr(f"{n}.jpg", b"\xff\xd8\xff")
    bounded = dict(store=FileStorage(tmp_path), max_member_bytes=1_000_000, max_total_bytes=10_000_000)
    reported = list(photos_in_zip(io.BytesIO(archive.getvalue()), max_members=10, **bounded))
    assert reported[0].photo_file is None and "larger than" in (reported[0].error or "")
    with pytest.raises(TooLarge):
        list(photos_in_zip(io.BytesIO(archive.getvalue()), max_members=3, **bounded))


def test_an_album_needs_photos_and_a_valid_request(tmp_path, album_engine):
    settings = album_settings(tmp_path)
    coach = add_account(album_engine, settings, "employee", "coach@district.example.org")
    with album_client(settings, album_engine) as client:
        assert client.post("/api/v1/clearances/batch", data=FORM, headers=coach).status_code == 422
        bad = {**FORM, "destination": "facebook"}
        photo = [("photos", ("sky.jpg", blank_jpeg(), "image/jpeg"))]
        assert client.post("/api/v1/clearances/batch", data=bad, files=photo, headers=coach).status_code == 422
        assert client.post("/api/v1/clearances/batch", data=FORM, files=photo).status_code == 401

"""Every bad upload gets a clear 4xx and leaves nothing behind."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image

from tests.conftest import FACES


def png_of_size(width: int, height: int) -> bytes:
    """A valid PNG header and one tiny compressed IDAT: cheap to make, huge if decoded."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")
    )


def jpeg_bytes(name: str = "people/obama/obama-2.jpg") -> bytes:
    return (FACES / name).read_bytes()


CASES = {
    "text": (b"hello, this is not a photo", 415, "JPEG, PNG or WebP"),
    "renamed pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", 415, "JPEG, PNG or WebP"),
    "html as jpeg": (b"<!doctype html><script>alert(1)</script>", 415, "JPEG, PNG or WebP"),
    "truncated jpeg": (None, 422, ""),
    "20000x20000 png": (png_of_size(20000, 20000), 413, ""),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_photos_are_refused_clearly_and_nothing_is_stored(client, employee, settings, case):
    data, status, words = CASES[case]
    if data is None:
        whole = jpeg_bytes()
        data = whole[: len(whole) // 2]
    response = client.post(
        "/api/v1/clearances",
        data={"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"},
        files={"photo": ("photo.jpg", data, "image/jpeg")},
        headers=employee,
    )
    assert response.status_code == status, response.text
    assert words in response.json()["detail"] and len(response.json()["detail"]) > 20
    assert client.get("/api/v1/clearances", headers=employee).json()["total"] == 0
    assert not settings.uploads_dir.exists() or not any(settings.uploads_dir.iterdir())


@pytest.mark.parametrize(
    ("form", "status", "words"),
    [
        ({"destination": "facebook", "context_kind": "classroom", "context_public": "false"}, 422, "destination"),
        ({"destination": "print", "context_kind": "party", "context_public": "false"}, 422, "context_kind"),
        ({"destination": "print", "event_id": "424242"}, 404, "424242"),
        ({"destination": "print"}, 422, "choose an event"),
        (
            {"destination": "print", "context_kind": "classroom", "context_public": "false", "tags": "selfie"},
            422,
            "selfie",
        ),
    ],
)
def test_bad_requests_are_refused_before_any_work(client, employee, settings, form, status, words):
    response = client.post(
        "/api/v1/clearances", data=form, files={"photo": ("p.jpg", jpeg_bytes(), "image/jpeg")}, headers=employee
    )
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert client.get("/api/v1/clearances", headers=employee).json()["total"] == 0


def test_a_photo_with_no_face_is_cleared_on_its_tags_alone(client, employee):
    empty = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 140, 200)).save(empty, "JPEG")
    response = client.post(
        "/api/v1/clearances",
        data={"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"},
        files={"photo": ("sky.jpg", empty.getvalue(), "image/jpeg")},
        headers=employee,
    )
    assert response.status_code == 201
    assert response.json()["faces"] == [] and response.json()["decision"] == "allowed"


def test_enrolment_refuses_a_photo_with_no_face(client, office):
    from tests.api.clearance_helpers import add_person, record

    person = add_person(client, office, "S-1", "student", "Someone")
    record(client, office, person, "biometric")
    empty = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 200, 200)).save(empty, "PNG")
    response = client.post(
        f"/api/v1/people/{person}/faces", files={"photo": ("x.png", empty.getvalue(), "image/png")}, headers=office
    )
    assert response.status_code == 422 and "No face" in response.json()["detail"]

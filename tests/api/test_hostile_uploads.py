"""Hostile uploads: bombs, damaged files, disguised files, polyglots and crafted names.

Every one gets a clear 4xx (or, for a polyglot, is judged on its pixels alone), never a 5xx;
nothing of a refused upload is stored, and memory stays bounded while refusing it.
"""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from PIL import Image

from tests.api.hostile_helpers import (
    SQLITE_ONLY,
    inflating_to,
    jpeg_with_metadata,
    memory_peak,
    multipart,
    peak_growth_mb,
    stored_files,
)
from tests.conftest import FACES
from tests.scan_helpers import signed_form_pdf

FORM = {"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"}


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int, height: int, *, extra: bytes = b"", idat: bytes | None = None) -> bytes:
    """A 1-bit greyscale PNG; unless given, its pixel data is all zeros, a few bytes compressed."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = idat if idat is not None else zlib.compress(b"\0" * ((width + 7) // 8 + 1) * height, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims another size: the decoder would allocate for the claim."""
    data = bytearray(jpeg_with_metadata(comment=b""))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


ZEROS = inflating_to(100 * 1024 * 1024)  # ~100 KB here
BOMBS = {
    "png claiming 2.5 gigapixels": (png(50_000, 50_000, idat=zlib.compress(b"\0" * 100)), 413),
    "png just over the pixel limit": (png(8_000, 5_001), 413),
    "png wider than any camera": (png(40_000, 10), 413),
    "png with a 100 MB text chunk": (png(64, 64, extra=chunk(b"zTXt", b"Comment\0\0" + ZEROS)), 422),
    "png with a 100 MB colour profile": (png(64, 64, extra=chunk(b"iCCP", b"icc\0\0" + ZEROS)), 422),
    "jpeg claiming 65000 x 65000": (jpeg_claiming(65_000, 65_000), 413),
}


def post_photo(client, headers, data: bytes, *, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return client.post("/api/v1/clearances", data=FORM, files={"photo": (name, data, content_type)}, headers=headers)


def assert_nothing_stored(client, headers, settings) -> None:
    assert client.get("/api/v1/clearances", headers=headers).json()["total"] == 0
    assert stored_files(settings) == []


@SQLITE_ONLY
@pytest.mark.parametrize("case", sorted(BOMBS))
def test_decompression_bombs_are_refused_without_inflating_them(client, employee, settings, case):
    data, status = BOMBS[case]
    with memory_peak() as peak:
        response = post_photo(client, employee, data, name="bomb.png", content_type="image/png")
    assert response.status_code == status, response.text
    assert len(response.json()["detail"]) > 40
    assert peak_growth_mb(peak) < 64, f"{case} made the service grow by {peak_growth_mb(peak)} MB"
    assert_nothing_stored(client, employee, settings)


@SQLITE_ONLY
def test_a_50_mb_body_is_refused_before_it_is_read(client, employee, settings):
    body, content_type = multipart("photo", b"big.jpg", b"\xff\xd8\xff" + bytes(50 * 1024 * 1024))
    response = client.post("/api/v1/clearances", content=body, headers={**employee, "Content-Type": content_type})
    assert response.status_code == 413
    assert "larger than 31 MB" in response.json()["detail"]
    assert_nothing_stored(client, employee, settings)


@SQLITE_ONLY
@pytest.mark.parametrize("cut", [0.1, 0.5, 0.99])
def test_truncated_jpegs_are_refused_as_damaged(client, employee, settings, cut):
    whole = (FACES / "people/biden/biden-2.jpg").read_bytes()
    response = post_photo(client, employee, whole[: int(len(whole) * cut)])
    assert response.status_code == 422, response.text
    assert "damaged or incomplete" in response.json()["detail"]
    assert_nothing_stored(client, employee, settings)


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"<!doctype html><html><body><script>fetch('/api/v1/users')</script></body></html>", "image/jpeg"),
        (b"\xef\xbb\xbf<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/png"),
        (b"PK\x03\x04" + b"\0" * 200, "image/webp"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\0" * 8, "image/webp"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
    ],
)
def test_files_that_are_not_photos_are_refused_whatever_they_claim(client, employee, settings, data, content_type):
    response = post_photo(client, employee, data, content_type=content_type)
    assert response.status_code in (415, 422), response.text
    assert "photo" in response.json()["detail"]
    assert "<script>" not in response.text and "onload" not in response.text
    assert_nothing_stored(client, employee, settings)


@SQLITE_ONLY
@pytest.mark.parametrize(
    "payload",
    [
        b"<html><body><script>alert(document.cookie)</script></body></html>",
        b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + b"evil.sh" + b"\0" * 64 + b"PK\x05\x06" + b"\0" * 18,
    ],
)
def test_a_polyglot_is_judged_on_its_pixels_and_its_bytes_are_never_served_back(client, employee, settings, payload):
    """A JPEG with something appended decodes as a valid JPEG, so it is accepted: refusing it would
    also refuse harmless files some cameras and editors write. What matters is that the service never
    hands the original bytes back: every image it serves is re-encoded from pixels, without metadata."""
    data = jpeg_with_metadata(comment=b"<script>alert(1)</script>") + payload
    response = post_photo(client, employee, data, name="holiday.jpg")
    assert response.status_code == 201, response.text
    clearance = response.json()["id"]
    served = client.get(f"/api/v1/clearances/{clearance}/photo", headers=employee)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content != data and payload not in served.content
    assert b"<script>" not in served.content and b"Exif" not in served.content and b"\xff\xfe" not in served.content
    assert served.content.endswith(b"\xff\xd9")  # nothing after the end of the image
    assert Image.open(io.BytesIO(served.content)).size == Image.open(io.BytesIO(data)).size


@SQLITE_ONLY
@pytest.mark.parametrize(
    "name",
    [
        "../../../../../../tmp/owned.jpg",
        "..\\..\\..\\windows\\owned.jpg",
        "/etc/passwd",
        "photo.jpg\x00.html",
        "%2e%2e%2f%2e%2e%2fowned.jpg",
        "con.jpg",
        "a" * 5000 + ".jpg",
        "",
    ],
)
def test_a_crafted_file_name_is_never_used_to_store_anything(client, employee, settings, tmp_path, name):
    response = post_photo(client, employee, jpeg_with_metadata(comment=b""), name=name)
    assert response.status_code in (201, 400, 422), response.text  # 400: a name too long to parse
    for stored in stored_files(settings):
        assert re.fullmatch(r"[0-9a-f]{32}", stored.name) and stored.parent == settings.uploads_dir
    assert not any("owned" in str(p) or p.name == "passwd" for p in tmp_path.rglob("*"))


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        (b"../../../../tmp/owned.pdf", "owned.pdf"),
        (b"..\\..\\owned.pdf", "owned.pdf"),
        (b"owned\x00.pdf", "owned.pdf"),
        (b"\x00\x1b[2J", "[2J"),
        (b"../", "scan"),
    ],
)
def test_evidence_keeps_only_the_base_name_of_a_crafted_file_name(client, office, settings, tmp_path, name, kept):
    from tests.api.clearance_helpers import add_person, record

    consent = record(client, office, add_person(client, office, "S-9", "student", "Sam Student"))
    body, content_type = multipart("file", name, signed_form_pdf(), "application/pdf")
    response = client.post(
        f"/api/v1/consents/{consent['id']}/evidence", content=body, headers={**office, "Content-Type": content_type}
    )
    assert response.status_code == 201, response.text
    assert response.json()["evidence"][0]["filename"] == kept
    assert [p.parent for p in settings.evidence_dir.iterdir()] == [settings.evidence_dir]
    assert not any("owned" in str(p) for p in tmp_path.rglob("*"))

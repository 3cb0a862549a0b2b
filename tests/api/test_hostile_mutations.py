"""Random mutations of valid photos: the decoder either reads a photo or refuses it with an
ImageRejected (a 4xx), never anything else; through the API, never a 5xx and nothing stored."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzzing
from hypothesis import strategies as st
from PIL import Image

from media.images import ImageRejected, Photo, decode_for_detection, decode_photo
from tests.api.hostile_helpers import SQLITE_ONLY, stored_files


def _seed(fmt: str, **save: object) -> bytes:
    rng = np.random.default_rng(7)
    image = Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8), "RGB")
    if fmt == "PNG-P":
        image, fmt = image.convert("P"), "PNG"
        save["transparency"] = 3
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: exercises the orientation code
    exif[0x0132] = "2026:05:04 10:11:12"
    out = io.BytesIO()
    image.save(out, fmt, exif=exif, **save)
    return out.getvalue()


SEEDS = {
    "baseline jpeg": _seed("JPEG", quality=80),
    "progressive jpeg": _seed("JPEG", progressive=True, quality=70),
    "png": _seed("PNG"),
    "palette png": _seed("PNG-P"),
    "webp": _seed("WEBP", quality=70),
}
INTERESTING = [
    b"\x00",
    b"\xff",
    b"\x7f",
    b"\x80",
    b"\xff\xff",
    b"\x00\x00",
    b"\xff\xd9",
    b"\xff\xd8",
    b"\xff\xc0",
    b"\xff\xda",
    b"\x00\x00\xff\xff",
    b"\xff\xff\xff\x7f",
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid photo with a few bytes flipped, overwritten, inserted, removed or cut off."""
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data) - 1) | st.integers(min(12, len(data) - 1), len(data) - 1))  # past the magic
        kind = draw(st.sampled_from(["flip", "overwrite", "insert", "delete", "truncate", "repeat"]))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "overwrite":
            value = draw(st.sampled_from(INTERESTING) | st.binary(min_size=1, max_size=4))
            data[at : at + len(value)] = value
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(INTERESTING) | st.binary(min_size=1, max_size=32))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "truncate":
            del data[max(at, 1) :]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 256))]
        if not data:
            data = bytearray(b"\xff")
    return bytes(data)


def _judged(data: bytes) -> Photo | None:
    """The photo, or None when refused as ImageRejected; any other exception fails the test."""
    try:
        photo = decode_photo(data, max_pixels=4_000_000)
    except ImageRejected as refusal:
        assert 400 <= refusal.status_code < 500 and len(str(refusal)) > 40
        return None
    assert photo.rgb.shape == (photo.height, photo.width, 3) and photo.rgb.dtype == np.uint8
    return photo


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns of the damaged EXIF it skips
@fuzzing(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated())
def test_a_thousand_mutated_photos_are_decoded_or_refused_never_crash(data: bytes) -> None:
    photo = _judged(data)
    if photo is not None:
        small, scale = decode_for_detection(data, max_side=32, max_pixels=4_000_000)
        assert max(small.shape[:2]) <= 32 and scale >= 1


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_every_seed_is_a_valid_photo(name: str) -> None:
    photo = _judged(SEEDS[name])
    assert photo is not None and (photo.width, photo.height) == (48, 64)  # upright
    assert photo.taken_at is not None and photo.taken_at.year == 2026


@SQLITE_ONLY
def test_fifty_mutated_photos_through_the_api_get_a_4xx_or_a_decision(client, employee, settings):
    form = {"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"}
    outcomes: list[int] = []

    @fuzzing(
        max_examples=50,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(data=mutated())
    def upload(data: bytes) -> None:
        response = client.post(
            "/api/v1/clearances", data=form, files={"photo": ("m.jpg", data, "image/jpeg")}, headers=employee
        )
        assert response.status_code in (201, 413, 415, 422), response.text
        assert response.headers["content-type"] == "application/json"
        outcomes.append(response.status_code)
        if response.status_code != 201:
            assert "photo" in response.json()["detail"]

    upload()
    accepted = outcomes.count(201)
    assert client.get("/api/v1/clearances", headers=employee).json()["total"] == accepted
    assert len(stored_files(settings)) == accepted  # refused uploads leave nothing behind

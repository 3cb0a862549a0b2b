from __future__ import annotations

import io
import struct
import tracemalloc
import zlib
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from media.faces import find_faces
from media.images import (
    CorruptImage,
    ImageTooLarge,
    UnsupportedImage,
    decode_for_detection,
    decode_photo,
    sniff_format,
    strip_metadata_jpeg,
    thumbnail_jpeg,
)
from tests.media.conftest import jpeg_bytes, read_photo

PORTRAIT = "people/obama/obama-portrait.jpg"
PORTRAIT_BOX = (142, 617, 409, 349)  # top, right, bottom, left as HOG finds it in the original


def encoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bilevel_png(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG, compressed row by row so the test never holds the pixels."""
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_allowed_formats_decode_to_upright_rgb(fmt: str) -> None:
    original = Image.open(io.BytesIO(read_photo(PORTRAIT)))
    photo = decode_photo(encoded(original, fmt))
    assert (photo.format, photo.width, photo.height) == (fmt, 910, 1137)
    assert photo.rgb.shape == (1137, 910, 3) and photo.rgb.dtype == np.uint8


def test_transparent_png_is_flattened_onto_white_and_its_face_found(tmp_path: Path) -> None:
    rgba = np.array(Image.open(io.BytesIO(read_photo("people/alex_lacamoire/alex-3-rgba.png"))))
    rgba[:40, :, :] = (0, 0, 0, 0)  # a transparent black band along the top
    photo, faces = find_faces(encoded(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert photo.rgb.shape == (394, 424, 3)
    assert (photo.rgb[:40] == 255).all()
    assert len(faces) == 1


@pytest.mark.parametrize(
    "data",
    [
        b"Dear parents, the photo is attached.\n" * 10,
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"<!DOCTYPE html><html><body><img src='photo.jpg'></body></html>",
        b"",
    ],
    ids=["text", "pdf-named-jpg", "html", "empty"],
)
def test_non_images_are_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedImage) as caught:
        decode_photo(data)
    assert caught.value.status_code == 415
    assert "JPEG" in str(caught.value)


def test_gif_is_an_image_but_not_an_allowed_one() -> None:
    gif = encoded(Image.open(io.BytesIO(read_photo("edge/obama-240p.jpg"))), "GIF")
    with pytest.raises(UnsupportedImage):
        sniff_format(gif)


@pytest.mark.parametrize("file", [PORTRAIT, "people/lin_manuel_miranda/lin-1-rgba.png"])
def test_truncated_files_are_corrupt(file: str) -> None:
    data = read_photo(file)
    with pytest.raises(CorruptImage) as caught:
        decode_photo(data[: len(data) // 2])
    assert caught.value.status_code == 422
    assert "damaged or incomplete" in str(caught.value)


def test_truncated_jpeg_is_refused_even_if_someone_allowed_truncated_loading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = read_photo(PORTRAIT)
    with pytest.warns(UserWarning, match="LOAD_TRUNCATED_IMAGES"), pytest.raises(CorruptImage):
        decode_photo(data[: len(data) // 2])


def test_garbage_after_a_jpeg_signature_is_corrupt() -> None:
    with pytest.raises(CorruptImage):
        decode_photo(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)


def test_decompression_bomb_is_refused_from_the_header_without_decoding() -> None:
    bomb = bilevel_png(20_000, 20_000)
    assert len(bomb) < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(ImageTooLarge) as caught:
            decode_photo(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.status_code == 413
    assert "megapixels" in str(caught.value)
    assert peak < 5_000_000  # the pixels alone would be 400 MB as RGB... times three


def test_pixel_limit_is_the_callers() -> None:
    with pytest.raises(ImageTooLarge):
        decode_photo(read_photo(PORTRAIT), max_pixels=1_000_000)


def test_zero_height_png_is_refused() -> None:
    with pytest.raises((CorruptImage, ImageTooLarge)):
        decode_photo(bilevel_png(10, 0))


@pytest.mark.parametrize(("orientation", "stored"), [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270)])
def test_exif_orientation_is_applied_before_detection(orientation: int, stored: Image.Transpose) -> None:
    upright = Image.open(io.BytesIO(read_photo(PORTRAIT)))
    sideways = upright.transpose(stored)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = jpeg_bytes(sideways, exif=exif.tobytes())

    photo, faces = find_faces(data)
    assert (photo.width, photo.height) == (910, 1137)
    assert len(faces) == 1
    box = faces[0].box
    assert np.allclose((box.top, box.right, box.bottom, box.left), PORTRAIT_BOX, atol=25)

    small, scale = decode_for_detection(data, max_side=400)
    assert max(small.shape[:2]) <= 400
    assert small.shape[0] > small.shape[1]  # upright: taller than wide, like the Photo
    assert abs(small.shape[1] * scale - photo.width) < scale + 1
    assert abs(small.shape[0] * scale - photo.height) < 2 * scale + 1


def test_taken_at_comes_from_exif_and_garbage_is_ignored() -> None:
    image = Image.open(io.BytesIO(read_photo("edge/obama-240p.jpg")))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2024:05:17 10:31:07"
    assert decode_photo(jpeg_bytes(image, exif=exif.tobytes())).taken_at == datetime(2024, 5, 17, 10, 31, 7)
    exif = Image.Exif()
    exif[0x0132] = "sometime in May"
    assert decode_photo(jpeg_bytes(image, exif=exif.tobytes())).taken_at is None
    assert decode_photo(read_photo("edge/obama-240p.jpg")).taken_at is None


def test_output_jpegs_carry_no_metadata() -> None:
    photo = decode_photo(read_photo(PORTRAIT))
    for data in (strip_metadata_jpeg(photo.rgb), thumbnail_jpeg(photo.rgb, max_side=200)):
        out = Image.open(io.BytesIO(data))
        assert out.format == "JPEG"
        assert not out.getexif()
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(out.info)
    thumb = Image.open(io.BytesIO(thumbnail_jpeg(photo.rgb, max_side=200)))
    assert max(thumb.size) == 200

"""Safe decoding of uploaded photos, and metadata-free JPEG output.

Uploads are judged by their content only: the first bytes decide the format, the header decides
whether the pixel count, and the memory decoding it would take, are acceptable, and only then are
pixels decoded. Decoding keeps one copy of the pixels besides Pillow's own (no transposed, converted
or array copies beside them), and shrinking for detection or a thumbnail reads the photo a strip at a
time: a 40-megapixel photo takes about 280 MB to analyse, and a photo that would need more than the
caller's ``max_decode_bytes`` (512 MiB unless given) is refused before it is decoded. Every refusal is an
``ImageRejected`` carrying the HTTP status an API should answer with and a message that tells a
school secretary what to do about it.
"""

from __future__ import annotations

import io
import math
import struct
import warnings
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

DEFAULT_MAX_PIXELS = 40_000_000
# Working memory one photo may take while decoded (Pillow's pixels, the RGB array, a conversion), unless
# the caller gives its own limit.
DEFAULT_MAX_DECODE_BYTES = 512 * 1024 * 1024
# Bytes per pixel Pillow holds for each mode (RGB is stored four bytes a pixel).
_MODE_BYTES = {
    "1": 1,
    "L": 1,
    "P": 1,
    "LA": 4,
    "PA": 4,
    "La": 4,
    "I;16": 2,
    "I;16B": 2,
    "I;16L": 2,
    "I": 4,
    "F": 4,
    "RGB": 4,
    "RGBA": 4,
    "RGBa": 4,
    "RGBX": 4,
    "CMYK": 4,
    "YCbCr": 4,
    "LAB": 4,
    "HSV": 4,
}
_STRIP_ROWS = 256
# Longer than any camera or phone sensor; anything beyond it is a crafted file, not a photo.
MAX_SIDE = 30_000

_EXIF_IFD = 0x8769
_DATETIME = 0x0132
_DATETIME_ORIGINAL = 0x9003

# What Pillow raises on truncated or malformed data, depending on the plugin and the damage.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, struct.error)

# Truncated uploads must be refused, never padded with grey and passed on as a photo.
ImageFile.LOAD_TRUNCATED_IMAGES = False


class ImageRejected(ValueError):
    """An upload that will not be processed; ``str(e)`` is meant for the person who sent it."""

    status_code: int = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedImage(ImageRejected):
    status_code = 415


class ImageTooLarge(ImageRejected):
    status_code = 413


class CorruptImage(ImageRejected):
    status_code = 422


@dataclass(frozen=True, eq=False)
class Photo:
    """A decoded photo, upright (EXIF orientation applied), alpha flattened onto white."""

    rgb: np.ndarray = field(repr=False)
    width: int
    height: int
    format: str
    taken_at: datetime | None = None


def sniff_format(data: bytes) -> str:
    """Name the format from the file's first bytes: "JPEG", "PNG" or "WEBP"."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    raise UnsupportedImage(
        "This file is not a JPEG, PNG or WebP photo. Please export or save it as JPEG and upload it again."
    )


def decode_photo(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_decode_bytes: int = DEFAULT_MAX_DECODE_BYTES
) -> Photo:
    image, fmt = _open_checked(data, max_pixels=max_pixels, max_decode_bytes=max_decode_bytes)
    taken_at = _taken_at(image)
    rgb = _upright_rgb(image)
    return Photo(rgb=rgb, width=rgb.shape[1], height=rgb.shape[0], format=fmt, taken_at=taken_at)


@dataclass(frozen=True, eq=False)
class Reduced:
    """An upright copy of a photo decoded at a reduced size where the format allows it (a JPEG at 1/2, 1/4 or
    1/8), with what the full photo is: its size, when it was taken, and the factor from the copy's pixels to it."""

    rgb: np.ndarray = field(repr=False)
    scale: float
    width: int
    height: int
    format: str
    taken_at: datetime | None = None


def decode_reduced(
    data: bytes,
    *,
    min_side: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decode_bytes: int = DEFAULT_MAX_DECODE_BYTES,
) -> Reduced:
    """The photo decoded as small as the JPEG decoder can make it while its longest side stays at least
    ``min_side`` (or the whole photo, where it is smaller or not a JPEG): nearly free next to decoding it whole."""
    image, fmt = _open_checked(data, max_pixels=max_pixels, max_decode_bytes=max_decode_bytes)
    full_w, full_h = _upright_size(image)
    taken_at = _taken_at(image)
    if image.format == "JPEG" and max(image.size) > min_side:
        ratio = min_side / max(image.size)
        image.draft("RGB", (max(1, math.ceil(image.width * ratio)), max(1, math.ceil(image.height * ratio))))
    rgb = _upright_rgb(image)
    return Reduced(rgb=rgb, scale=full_w / rgb.shape[1], width=full_w, height=full_h, format=fmt, taken_at=taken_at)


def check_image_decodes(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_decode_bytes: int = DEFAULT_MAX_DECODE_BYTES
) -> str:
    """Decodes the whole file once (a JPEG at 1/8 scale: every byte is still read) and names its format;
    a truncated, malformed or oversized image is refused like a photo."""
    image, fmt = _open_checked(data, max_pixels=max_pixels, max_decode_bytes=max_decode_bytes)
    if fmt == "JPEG":
        image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
    _upright_rgb(image)
    return fmt


def decode_for_detection(
    data: bytes,
    *,
    max_side: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decode_bytes: int = DEFAULT_MAX_DECODE_BYTES,
) -> tuple[np.ndarray, float]:
    """An upright RGB copy whose longest side is at most ``max_side``, and the factor that maps
    its coordinates back onto the full-resolution ``Photo`` of the same bytes."""
    image, _ = _open_checked(data, max_pixels=max_pixels, max_decode_bytes=max_decode_bytes)
    full_w, full_h = _upright_size(image)
    if image.format == "JPEG" and max(image.size) > max_side:
        # The JPEG decoder can scale by 1/2, 1/4 or 1/8 while decoding: much less work and memory.
        ratio = max_side / max(image.size)
        image.draft("RGB", (max(1, int(image.width * ratio)), max(1, int(image.height * ratio))))
    rgb = _upright_rgb(image)
    small, _ = downscale(rgb, max_side=max_side)
    return small, full_w / small.shape[1]


def downscale(rgb: np.ndarray, *, max_side: int) -> tuple[np.ndarray, float]:
    """Shrink so the longest side is at most ``max_side``; return it and the factor back to
    ``rgb``'s coordinates. Images already small enough are returned as they are."""
    height, width = rgb.shape[:2]
    if max(width, height) <= max_side:
        return rgb, 1.0
    ratio = max_side / max(width, height)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    small = _resized(rgb, size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(small), width / size[0]


def _resized(rgb: np.ndarray, size: tuple[int, int], resample: Image.Resampling, *, reducing_gap: float) -> Image.Image:
    """``Image.fromarray(rgb).resize(size, resample, reducing_gap=...)``, the same pixels, without a whole
    copy of ``rgb`` in Pillow: the box reduction runs on strips of rows, then the small image is resized."""
    height, width = rgb.shape[:2]
    factor_x = int(width / size[0] / reducing_gap) or 1
    factor_y = int(height / size[1] / reducing_gap) or 1
    if factor_x == factor_y == 1:
        return Image.fromarray(_as_rgb_array(rgb), "RGB").resize(size, resample)
    reduced = Image.new("RGB", (-(-width // factor_x), -(-height // factor_y)))
    step = _STRIP_ROWS * factor_y  # a multiple of the factor: every block lies within one strip
    for top in range(0, height, step):
        strip = Image.fromarray(_as_rgb_array(rgb[top : top + step]), "RGB")
        reduced.paste(strip.reduce((factor_x, factor_y)), (0, top // factor_y))
    return reduced.resize(size, resample, box=(0, 0, width / factor_x, height / factor_y))


def strip_metadata_jpeg(rgb: np.ndarray, *, quality: int = 90) -> bytes:
    """Encode pixels alone as JPEG: no EXIF (so no GPS or camera serial), no ICC, no comments."""
    out = io.BytesIO()
    Image.fromarray(_as_rgb_array(rgb), "RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def thumbnail_jpeg(rgb: np.ndarray, *, max_side: int, quality: int = 85) -> bytes:
    height, width = rgb.shape[:2]
    if width <= max_side and height <= max_side:
        image = Image.fromarray(_as_rgb_array(rgb), "RGB")
    else:
        image = _resized(rgb, _thumbnail_size(width, height, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _thumbnail_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size ``Image.thumbnail((max_side, max_side))`` gives (its rounding, keeping the aspect ratio)."""
    aspect = width / height
    x, y = max_side, max_side
    if x / y >= aspect:
        x = max(min(math.floor(y * aspect), math.ceil(y * aspect), key=lambda n: abs(aspect - n / y)), 1)
    else:
        y = max(
            min(math.floor(x / aspect), math.ceil(x / aspect), key=lambda n: 0 if n == 0 else abs(aspect - x / n)), 1
        )
    return x, y


def _as_rgb_array(rgb: np.ndarray) -> np.ndarray:
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an H×W×3 array, got shape {rgb.shape}")
    return np.ascontiguousarray(rgb, dtype=np.uint8)


def _open_checked(data: bytes, *, max_pixels: int, max_decode_bytes: int) -> tuple[Image.Image, str]:
    fmt = sniff_format(data)
    try:
        # Only the plugin the magic bytes named may parse the file.
        image = Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError as exc:
        raise _too_large(max_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _corrupt() from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise _corrupt()
    if width * height > max_pixels or max(width, height) > MAX_SIDE:
        raise _too_large(max_pixels)
    needed = decode_bytes(image)
    if needed > max_decode_bytes:
        raise ImageTooLarge(
            f"This photo would take {needed // 2**20} MB of memory to check (the limit is "
            f"{max_decode_bytes // 2**20} MB): it is very large, or saved with transparency or in an unusual "
            "colour format. Please save it as a JPEG, or export a smaller copy, and upload it again."
        )
    return image, fmt


def decode_bytes(image: Image.Image) -> int:
    """The most memory decoding this image into an upright RGB array takes: Pillow's pixels, a converted
    (or turned) copy unless it is plain RGB, an alpha mask, and the array itself."""
    pixels = image.width * image.height
    own = _MODE_BYTES.get(image.mode, 8)
    plain = image.mode == "RGB" and "transparency" not in image.info
    return pixels * (own + (0 if plain else 4 + 1) + 3)


def _upright_rgb(image: Image.Image) -> np.ndarray:
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # face_recognition sets it to True when first imported; a damaged upload must not pass.
        warnings.warn("PIL LOAD_TRUNCATED_IMAGES was True; set back to False", stacklevel=2)
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        image.load()
        ImageOps.exif_transpose(image, in_place=True)  # copies only when the photo must be turned
        rgb = _flatten(image)
        width, height = rgb.size
        array = np.empty((height, width, 3), dtype=np.uint8)
        for top in range(0, height, _STRIP_ROWS):  # a strip at a time: no second whole copy on the way
            array[top : top + _STRIP_ROWS] = np.asarray(rgb.crop((0, top, width, min(height, top + _STRIP_ROWS))))
    except _DECODE_ERRORS as exc:
        raise _corrupt() from exc
    array.flags.writeable = False
    return array


def _upright_size(image: Image.Image) -> tuple[int, int]:
    try:
        orientation = image.getexif().get(0x0112)
    except Exception:  # unreadable EXIF means no orientation, as in exif_transpose
        orientation = None
    if orientation in (5, 6, 7, 8):
        return image.height, image.width
    return image.width, image.height


def _flatten(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (image.mode == "P" and "transparency" in image.info)
    if not has_alpha:
        return image if image.mode == "RGB" else image.convert("RGB")
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    white = Image.new("RGB", rgba.size, (255, 255, 255))
    white.paste(rgba, mask=rgba.getchannel("A"))  # onto white, as alpha_composite would, without two RGBA copies
    return white


def _taken_at(image: Image.Image) -> datetime | None:
    try:
        exif = image.getexif()
        raw = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    except Exception:  # a garbled EXIF block only loses the date
        return None
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _too_large(max_pixels: int) -> ImageTooLarge:
    megapixels = max_pixels / 1_000_000
    return ImageTooLarge(
        f"This photo is too large to check (the limit is {megapixels:g} megapixels). Please "
        "resize it, for example with your phone's or computer's 'export smaller' option, and "
        "upload it again."
    )


def _corrupt() -> CorruptImage:
    return CorruptImage(
        "This photo could not be read: the file looks damaged or incomplete (an interrupted "
        "download or copy often does this). Please upload the original again."
    )

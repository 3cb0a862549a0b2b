"""Helpers for the hostile-input tests: crafted photos, what was stored, and peak memory."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from registry.core.settings import Settings

_CLEAR_REFS = Path("/proc/self/clear_refs")
# For tests of what happens before the database is touched: one database is enough.
SQLITE_ONLY = pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)


def inflating_to(size: int) -> bytes:
    """Zeros that inflate to `size` bytes, compressed a megabyte at a time."""
    compressor = zlib.compressobj(9)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + compressor.compress(bytes(size % len(block))) + compressor.flush()


def jpeg_with_metadata(*, comment: bytes, size: tuple[int, int] = (320, 240)) -> bytes:
    """A face-free JPEG carrying a GPS position, a camera serial number and a comment."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    exif = Image.Exif()
    exif[0xA431] = "SERIAL-0042"  # BodySerialNumber
    exif.get_ifd(0x8825).update({1: "N", 2: (41.0, 44.0, 0.0), 3: "W", 4: (73.0, 11.0, 0.0)})  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=comment, quality=85)
    return out.getvalue()


def multipart(field: str, filename: bytes, content: bytes, content_type: str = "image/jpeg") -> tuple[bytes, str]:
    """A one-file multipart body written by hand, so that the file name goes out exactly as given."""
    boundary = "hostile-boundary-7d1c"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="').encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = head + filename + f'"\r\nContent-Type: {content_type}\r\n\r\n'.encode() + content + tail
    return body, f"multipart/form-data; boundary={boundary}"


def stored_files(settings: Settings) -> list[Path]:
    """Every file kept under the uploads folder."""
    if not settings.uploads_dir.exists():
        return []
    return sorted(p for p in settings.uploads_dir.rglob("*") if p.is_file())


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


@contextmanager
def memory_peak() -> Iterator[dict[str, int]]:
    """Measures how far the process's resident memory rose above where it stood at the start
    (Linux: the kernel's peak counter is reset first, so earlier peaks do not count)."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        pytest.fail("peak memory cannot be reset on this system (needs Linux /proc/self/clear_refs)")
    measured = {"start_kb": _status_kb("VmRSS")}
    yield measured
    measured["peak_kb"] = _status_kb("VmHWM")


def peak_growth_mb(measured: dict[str, int]) -> int:
    return (measured["peak_kb"] - measured["start_kb"]) // 1024

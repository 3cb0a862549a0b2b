"""The photos of an album upload, from separate files or one zip, each accepted or refused on its own.

A zip is read member by member and never extracted by name: a member called ``../../etc/x.jpg``
is only ever shown as ``x.jpg``, and its bytes go to a random name in the uploads folder. The
member count and every member's size are checked against the zip's directory before anything is
decompressed, and each read is capped again in case the directory lies (a zip bomb).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from media.images import ImageRejected, sniff_format
from registry.errors import Invalid, TooLarge

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, OSError, ValueError)


@dataclass(frozen=True)
class IncomingPhoto:
    name: str
    data: bytes | None
    error: str | None


def display_name(name: str | None, fallback: str) -> str:
    """The file's own name without any folders, printable, at most 255 characters."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = _UNPRINTABLE.sub("", base).strip()
    return (base or fallback)[:255]


def check_photo(name: str, data: bytes, *, max_bytes: int) -> IncomingPhoto:
    if len(data) > max_bytes:
        return IncomingPhoto(name, None, f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    if not data:
        return IncomingPhoto(name, None, "The file is empty.")
    try:
        sniff_format(data)
    except ImageRejected as exc:
        return IncomingPhoto(name, None, exc.message)
    return IncomingPhoto(name, data, None)


def photos_in_zip(
    file: BinaryIO, *, max_members: int, max_member_bytes: int, max_total_bytes: int,
) -> Iterator[IncomingPhoto]:
    """Every file in the zip in order (folders and macOS '__MACOSX' / '._' leftovers skipped)."""
    try:
        archive = zipfile.ZipFile(file)
        members = [m for m in archive.infolist() if not m.is_dir() and not _leftover(m.filename)]
    except _ZIP_ERRORS as exc:
        raise Invalid("The zip file cannot be read (damaged or not a zip). Make it again and upload it.") from exc
    if len(members) > max_members:
        raise TooLarge(f"The zip holds {len(members)} files; an album takes at most {max_members}.")
    declared = sum(m.file_size for m in members if m.file_size <= max_member_bytes)
    if declared > max_total_bytes:
        raise TooLarge(f"The zip unpacks to {declared // 2**20} MB; an album takes at most "
                       f"{max_total_bytes // 2**20} MB. Split it into smaller albums.")
    with archive:
        for number, member in enumerate(members, 1):
            name = display_name(member.filename, f"file {number} in the zip")
            if member.file_size > max_member_bytes:
                yield IncomingPhoto(name, None, f"The file is larger than {max_member_bytes // 2**20} MB.")
                continue
            if member.flag_bits & 0x1:
                yield IncomingPhoto(name, None, "The file is encrypted in the zip; zip it without a password.")
                continue
            try:
                with archive.open(member) as handle:
                    data = handle.read(max_member_bytes + 1)
            except _ZIP_ERRORS:
                yield IncomingPhoto(name, None, "The file is damaged inside the zip.")
                continue
            yield check_photo(name, data, max_bytes=max_member_bytes)


def _leftover(path: str) -> bool:
    parts = PurePosixPath(path.replace("\\", "/")).parts
    return bool(parts) and (parts[0] == "__MACOSX" or parts[-1].startswith("._") or parts[-1] == ".DS_Store")

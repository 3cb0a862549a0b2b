"""The photos of an album upload, from separate files or one zip, each accepted or refused on its own.

A zip is read member by member and never extracted by name: a member called ``../../etc/x.jpg``
is only ever shown as ``x.jpg``, and its bytes go to a random key under ``uploads/`` in the store. The
member count and every member's size are checked against the zip's directory before anything is
decompressed, and each read is capped again in case the directory lies (a zip bomb).

Every photo is copied a megabyte at a time to a temporary file, which goes to the store (in parts, for
an object store) and is deleted; the photo is handed on by its stored name, never as bytes: an upload
holds a bounded buffer in memory however many photos, or how large, it carries.
"""

from __future__ import annotations

import re
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from media.images import ImageRejected, sniff_format
from registry.core.errors import Invalid, TooLarge
from registry.core.files import crash_here_if_testing
from registry.core.storage import Storage

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, OSError, ValueError)
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class IncomingPhoto:
    """A photo of an upload: kept in the store as ``uploads/<photo_file>``, or refused with ``error``."""

    name: str
    photo_file: str | None
    error: str | None


def display_name(name: str | None, fallback: str) -> str:
    """The file's own name without any folders, printable, at most 255 characters."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = _UNPRINTABLE.sub("", base).strip()
    return (base or fallback)[:255]


def keep_photo(name: str, source: IO[bytes], *, store: Storage, max_bytes: int) -> IncomingPhoto:
    """Copies one photo to the store in bounded chunks, or says why it is refused (nothing kept)."""
    stored = uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="registry-upload-") as work:
        copy = Path(work) / stored
        error = _copy_photo(source, copy, max_bytes=max_bytes)
        if error is not None:
            return IncomingPhoto(name, None, error)
        store.put_file(f"uploads/{stored}", copy)
    crash_here_if_testing("upload-written")  # the object exists; the row naming it is not committed yet
    return IncomingPhoto(name, stored, None)


def _copy_photo(source: IO[bytes], target: Path, *, max_bytes: int) -> str | None:
    head = source.read(CHUNK_BYTES)
    if not head:
        return "The file is empty."
    try:
        sniff_format(head)
    except ImageRejected as exc:
        return exc.message
    size = 0
    with target.open("wb") as out:
        chunk = head
        while chunk:
            size += len(chunk)
            if size > max_bytes:
                return f"The file is larger than {max_bytes // (1024 * 1024)} MB."
            out.write(chunk)
            chunk = source.read(CHUNK_BYTES)
    return None


def photos_in_zip(
    file: BinaryIO,
    *,
    store: Storage,
    max_members: int,
    max_member_bytes: int,
    max_total_bytes: int,
) -> Iterator[IncomingPhoto]:
    """Every file in the zip in order (folders and macOS '__MACOSX' / '._' leftovers skipped), each
    kept in the store before the next is read."""
    try:
        archive = zipfile.ZipFile(file)
        # Not ZipInfo.is_dir(): it fails on a member with an empty name.
        members = [m for m in archive.infolist() if not m.filename.endswith("/") and not _leftover(m.filename)]
    except _ZIP_ERRORS as exc:
        raise Invalid("The zip file cannot be read (damaged or not a zip). Make it again and upload it.") from exc
    if len(members) > max_members:
        raise TooLarge(f"The zip holds {len(members)} files; an album takes at most {max_members}.")
    declared = sum(m.file_size for m in members if m.file_size <= max_member_bytes)
    if declared > max_total_bytes:
        raise TooLarge(
            f"The zip unpacks to {declared // 2**20} MB; an album takes at most "
            f"{max_total_bytes // 2**20} MB. Split it into smaller albums."
        )
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
                    incoming = keep_photo(name, handle, store=store, max_bytes=max_member_bytes)
            except _ZIP_ERRORS:
                incoming = IncomingPhoto(name, None, "The file is damaged inside the zip.")
            yield incoming


def _leftover(path: str) -> bool:
    parts = PurePosixPath(path.replace("\\", "/")).parts
    return bool(parts) and (parts[0] == "__MACOSX" or parts[-1].startswith("._") or parts[-1] == ".DS_Store")

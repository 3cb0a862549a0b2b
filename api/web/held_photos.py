"""A photo, or an album's photos, kept for a few minutes after its form came back with a mistake, so that they
need not be chosen again.

The form page names them by a random token in a hidden field; only the account that sent them can use the token,
and only for ``HELD_MINUTES``. Nothing is checked or recorded until the form is sent again without mistakes;
then the held files are deleted, as they are when their sender says to forget them. Held files older than that
are deleted whenever others are held. An album is held only within the album upload's own limits (its count and
size are checked before it is held; a zip larger than an album may unpack to is not held).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from registry.core.settings import Settings

HELD_MINUTES = 30
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def _folder(settings: Settings) -> Path:
    return settings.held_photos_dir


def _path(settings: Settings, user_id: int, token: str) -> Path | None:
    if not _TOKEN.fullmatch(token):
        return None
    return _folder(settings) / f"{user_id}-{token}"


def hold_photo(settings: Settings, *, user_id: int, photo: bytes, file_name: str | None) -> str:
    """Keeps the photo for this account; the token names it in the form sent back."""
    folder = _folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    token = secrets.token_urlsafe(24)
    path = folder / f"{user_id}-{token}"
    partial = path.with_suffix(".partial")
    partial.write_bytes(photo)
    partial.replace(path)
    path.with_suffix(".name").write_text(file_name or "", encoding="utf-8")
    return token


def held_photo(settings: Settings, *, user_id: int, token: str | None) -> tuple[bytes, str | None] | None:
    """The photo and its name, if this account holds it under this token and it is not too old."""
    path = _path(settings, user_id, token or "")
    if path is None or not path.exists():
        return None
    if _too_old(path):
        _sweep(path.parent)
        return None
    name_file = path.with_suffix(".name")
    name = name_file.read_text(encoding="utf-8") if name_file.exists() else ""
    return path.read_bytes(), name or None


def forget_photo(settings: Settings, *, user_id: int, token: str | None) -> None:
    path = _path(settings, user_id, token or "")
    if path is not None:
        path.unlink(missing_ok=True)
        path.with_suffix(".name").unlink(missing_ok=True)


def _too_old(path: Path) -> bool:
    return time.time() - path.stat().st_mtime > HELD_MINUTES * 60


def _sweep(folder: Path) -> None:
    for path in folder.iterdir():
        try:
            if not _too_old(path):
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        except FileNotFoundError:  # another request swept it first
            continue


# An album's photos: a folder per album held, its files numbered, their names in a list beside them.
_LIST = "photos.json"
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class HeldAlbum:
    token: str
    photos: list[tuple[str, Path]]  # each chosen photo's name and its held file
    zip: tuple[str, Path] | None  # the zip file chosen, if one was

    def words(self) -> str:
        """What the page says is kept, e.g. "Your 12 photos are kept"."""
        count = len(self.photos)
        photos = f"Your {count} photos" if count > 1 else (f"Your photo “{self.photos[0][0]}”" if count else "")
        if self.zip is None:
            return f"{photos} {'are' if count > 1 else 'is'} kept"
        archive = f"your zip file “{self.zip[0]}”" if count else f"Your zip file “{self.zip[0]}”"
        return f"{photos} and {archive} are kept" if count else f"{archive} is kept"


def _album_path(settings: Settings, user_id: int, token: str) -> Path | None:
    if not _TOKEN.fullmatch(token):
        return None
    return _folder(settings) / f"{user_id}-{token}.album"


def _copy(source: BinaryIO, target: Path, room: int) -> int | None:
    """Copies at most ``room`` bytes; None (and nothing left behind) when the file is larger."""
    written = 0
    with target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > room:
                break
            out.write(chunk)
    if written > room:
        target.unlink(missing_ok=True)
        return None
    return written


def hold_album(
    settings: Settings,
    *,
    user_id: int,
    photos: list[tuple[str, BinaryIO]],
    zip_file: tuple[str, BinaryIO] | None,
    max_bytes: int,
) -> HeldAlbum | None:
    """Keeps an album's chosen photos (and zip) for this account, at most ``max_bytes`` together; None when they
    are more than that (nothing is kept then)."""
    folder = _folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    token = secrets.token_urlsafe(24)
    album = folder / f"{user_id}-{token}.album"
    album.mkdir()
    listed: list[dict[str, str | bool]] = []
    room = max_bytes
    for number, (name, source) in enumerate([*photos, *([zip_file] if zip_file else [])]):
        source.seek(0)
        written = _copy(source, album / f"{number:05d}", room)
        if written is None:
            shutil.rmtree(album, ignore_errors=True)
            return None
        room -= written
        listed.append({"name": name, "file": f"{number:05d}", "zip": zip_file is not None and number == len(photos)})
    (album / _LIST).write_text(json.dumps(listed), encoding="utf-8")
    return held_album(settings, user_id=user_id, token=token)


def held_album(settings: Settings, *, user_id: int, token: str | None) -> HeldAlbum | None:
    """The album's photos, if this account holds them under this token and they are not too old."""
    album = _album_path(settings, user_id, token or "")
    if album is None or not (album / _LIST).exists():
        return None
    if _too_old(album):
        _sweep(album.parent)
        return None
    listed = json.loads((album / _LIST).read_text(encoding="utf-8"))
    photos = [(str(item["name"]), album / str(item["file"])) for item in listed if not item["zip"]]
    archive = next(((str(item["name"]), album / str(item["file"])) for item in listed if item["zip"]), None)
    return HeldAlbum(token or "", photos, archive)


def forget_album(settings: Settings, *, user_id: int, token: str | None) -> None:
    album = _album_path(settings, user_id, token or "")
    if album is not None:
        shutil.rmtree(album, ignore_errors=True)

"""A photo, or an album's photos, kept for a few minutes after its form came back with a mistake, so that they
need not be chosen again.

The form page names them by a random token in a hidden field; only the account that sent them can use the token,
and only for ``HELD_MINUTES``. Nothing is checked or recorded until the form is sent again without mistakes;
then the held files are deleted, as they are when their sender says to forget them. Held files older than that
are deleted whenever others are held. An album is held only within the album upload's own limits (its count and
size are checked before it is held; a zip larger than an album may unpack to is not held).

They are kept in the store, so the form may come back to any of the service's hosts: a photo as
``held-photos/<account>-<token>`` (its file name beside it as ``….name``), an album's photos as
``held-photos/<account>-<token>-album/<number>`` with their names in ``…/photos.json``.
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from registry.core.settings import Settings
from registry.core.storage import NotStored, Storage, storage_for

HELD_MINUTES = 30
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
_PREFIX = "held-photos/"


def _key(user_id: int, token: str) -> str | None:
    if not _TOKEN.fullmatch(token):
        return None
    return f"{_PREFIX}{user_id}-{token}"


def hold_photo(settings: Settings, *, user_id: int, photo: bytes, file_name: str | None) -> str:
    """Keeps the photo for this account; the token names it in the form sent back."""
    store = storage_for(settings)
    _sweep(store)
    token = secrets.token_urlsafe(24)
    key = f"{_PREFIX}{user_id}-{token}"
    store.put(f"{key}.name", (file_name or "").encode())
    store.put(key, photo)
    return token


def held_photo(settings: Settings, *, user_id: int, token: str | None) -> tuple[bytes, str | None] | None:
    """The photo and its name, if this account holds it under this token and it is not too old."""
    key = _key(user_id, token or "")
    if key is None:
        return None
    store = storage_for(settings)
    kept = next((entry for entry in store.entries(key) if entry.key == key), None)
    if kept is None:
        return None
    if _too_old(kept.modified):
        _sweep(store)
        return None
    try:
        photo = store.get(key)
        name = store.get(f"{key}.name").decode("utf-8", "replace")
    except NotStored:  # forgotten meanwhile (the form sent twice)
        return None
    return photo, name or None


def forget_photo(settings: Settings, *, user_id: int, token: str | None) -> None:
    key = _key(user_id, token or "")
    if key is not None:
        store = storage_for(settings)
        store.delete(key)
        store.delete(f"{key}.name")


def _too_old(modified: float) -> bool:
    return time.time() - modified > HELD_MINUTES * 60


def _sweep(store: Storage) -> None:
    for entry in list(store.entries(_PREFIX)):
        if _too_old(entry.modified):
            store.delete(entry.key)


_LIST = "photos.json"
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class HeldAlbum:
    token: str
    photos: list[tuple[str, str]]  # each chosen photo's name and its key in the store
    zip: tuple[str, str] | None  # the zip file chosen, if one was

    def words(self) -> str:
        """What the page says is kept, e.g. "Your 12 photos are kept"."""
        count = len(self.photos)
        photos = f"Your {count} photos" if count > 1 else (f"Your photo “{self.photos[0][0]}”" if count else "")
        if self.zip is None:
            return f"{photos} {'are' if count > 1 else 'is'} kept"
        archive = f"your zip file “{self.zip[0]}”" if count else f"Your zip file “{self.zip[0]}”"
        return f"{photos} and {archive} are kept" if count else f"{archive} is kept"


def _album_prefix(user_id: int, token: str) -> str | None:
    if not _TOKEN.fullmatch(token):
        return None
    return f"{_PREFIX}{user_id}-{token}-album/"


def _copy(source: BinaryIO, target: Path, room: int) -> int | None:
    """Copies at most ``room`` bytes; None when the file is larger."""
    written = 0
    with target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > room:
                return None
            out.write(chunk)
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
    are more than that (nothing is kept then). Each file goes to the store through a temporary file, a chunk at
    a time."""
    store = storage_for(settings)
    _sweep(store)
    token = secrets.token_urlsafe(24)
    prefix = f"{_PREFIX}{user_id}-{token}-album/"
    listed: list[dict[str, str | bool]] = []
    room = max_bytes
    with tempfile.TemporaryDirectory(prefix="held-album-") as folder:
        for number, (name, source) in enumerate([*photos, *([zip_file] if zip_file else [])]):
            source.seek(0)
            local = Path(folder) / f"{number:05d}"
            written = _copy(source, local, room)
            if written is None:
                forget_album(settings, user_id=user_id, token=token)
                return None
            room -= written
            store.put_file(f"{prefix}{number:05d}", local)
            local.unlink()
            listed.append(
                {"name": name, "file": f"{number:05d}", "zip": zip_file is not None and number == len(photos)}
            )
    store.put(f"{prefix}{_LIST}", json.dumps(listed).encode())
    return held_album(settings, user_id=user_id, token=token)


def held_album(settings: Settings, *, user_id: int, token: str | None) -> HeldAlbum | None:
    """The album's photos, if this account holds them under this token and they are not too old."""
    prefix = _album_prefix(user_id, token or "")
    if prefix is None:
        return None
    store = storage_for(settings)
    listing = next((entry for entry in store.entries(prefix) if entry.key == f"{prefix}{_LIST}"), None)
    if listing is None:
        return None
    if _too_old(listing.modified):
        _sweep(store)
        return None
    try:
        listed = json.loads(store.get(listing.key).decode("utf-8"))
    except NotStored:  # forgotten meanwhile (the form sent twice)
        return None
    photos = [(str(item["name"]), f"{prefix}{item['file']}") for item in listed if not item["zip"]]
    archive = next(((str(item["name"]), f"{prefix}{item['file']}") for item in listed if item["zip"]), None)
    return HeldAlbum(token or "", photos, archive)


def forget_album(settings: Settings, *, user_id: int, token: str | None) -> None:
    prefix = _album_prefix(user_id, token or "")
    if prefix is not None:
        store = storage_for(settings)
        for key in list(store.keys(prefix)):
            store.delete(key)

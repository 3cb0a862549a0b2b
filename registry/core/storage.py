"""Where everything the service keeps lives: one interface, whatever holds the bytes.

A stored object is named by a key of ``/``-separated parts, the first naming what it is:
``uploads/<name>`` (photos to clear and album photos), ``evidence/<sha256>`` (consent form scans),
``held-photos/<name>``, ``enrol-previews/<name>``. ``REGISTRY_STORAGE_URL`` says what holds them:
``file://<folder>`` (the default: the data folder, each key a file under it).

Writes are whole: an object is either there with all its bytes or not there at all.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from registry.core.settings import Settings

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class StorageError(Exception):
    """The store could not be reached or refused the request."""


class NotStored(StorageError, KeyError):
    """No object has this key."""


def checked_key(key: str) -> str:
    """``key`` if it is a plain key (no ``..``, no leading ``/``, no empty part); ValueError otherwise."""
    if not _KEY.match(key) or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Storage(Protocol):
    @property
    def url(self) -> str:
        """What holds the objects, without secrets."""
        ...

    def put(self, key: str, data: bytes) -> None: ...

    def put_file(self, key: str, path: Path) -> None:
        """The file's bytes under ``key``, read a chunk at a time."""
        ...

    def get(self, key: str) -> bytes:
        """The object's bytes; NotStored if there is none."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Removes the object; nothing happens if there is none."""
        ...

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key that starts with ``prefix`` (a folder-like prefix ends with ``/``)."""
        ...


@dataclass(frozen=True)
class FileStorage:
    """Each key a file under ``root``; a write goes to a ``.partial`` file renamed into place."""

    root: Path

    @property
    def url(self) -> str:
        return self.root.resolve().as_uri()

    def path(self, key: str) -> Path:
        return self.root / checked_key(key)

    def put(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{uuid.uuid4().hex}.partial")
        try:
            with partial.open("wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)

    def put_file(self, key: str, path: Path) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{uuid.uuid4().hex}.partial")
        try:
            with path.open("rb") as source, partial.open("wb") as out:
                while chunk := source.read(1024 * 1024):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise NotStored(key) from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self, prefix: str) -> Iterator[str]:
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or path.name.endswith(".partial"):
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix) and _KEY.match(key):
                yield key


def storage_at(url: str) -> Storage:
    """The store ``url`` names: ``file:///folder`` (or a plain folder path)."""
    parts = urlsplit(url)
    if parts.scheme in ("", "file"):
        return FileStorage(Path(unquote(parts.path) if parts.scheme else url))
    raise ValueError(f"REGISTRY_STORAGE_URL must start with file://, not {parts.scheme}://")


def storage_for(settings: Settings) -> Storage:
    """The service's store: the data folder (``settings.data_dir``), each key a file under it."""
    return FileStorage(settings.data_dir)

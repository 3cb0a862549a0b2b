"""Where everything the service keeps lives: one interface, whatever holds the bytes.

A stored object is named by a key of ``/``-separated parts, the first naming what it is:
``uploads/<name>`` (photos to clear and album photos), ``evidence/<sha256>`` (consent form scans),
``held-photos/<name>``, ``enrol-previews/<name>``, ``analysis/<token>.*`` (a photo handed to the face-reading
workers and their answer, registry/analysis/exchange.py). ``REGISTRY_STORAGE_URL`` says what holds them:
``file://<folder>`` (the default: the data folder, each key a file under it) or ``s3://bucket/prefix``
(any S3 API; registry/core/storage_s3.py).

Writes are whole: an object is either there with all its bytes or not there at all.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

from registry.core.storage_keys import CHUNK_BYTES, KEY_PATTERN, NotStored, StorageError, Stored, checked_key

if TYPE_CHECKING:
    from registry.core.settings import Settings

__all__ = [
    "CHUNK_BYTES",
    "FileStorage",
    "NotStored",
    "Storage",
    "StorageError",
    "Stored",
    "checked_key",
    "storage_at",
    "storage_for",
]


class Storage(Protocol):
    @property
    def url(self) -> str:
        """What holds the objects, without secrets."""
        ...

    def check(self) -> None:
        """StorageError, in words an administrator acts on, if the store cannot be read and written."""
        ...

    def put(self, key: str, data: bytes) -> None: ...

    def put_file(self, key: str, path: Path) -> None:
        """The file's bytes under ``key``, read a chunk at a time."""
        ...

    def get(self, key: str) -> bytes:
        """The object's bytes; NotStored if there is none."""
        ...

    def get_file(self, key: str, path: Path) -> None:
        """Writes the object to the file ``path`` a chunk at a time; NotStored if there is none."""
        ...

    def exists(self, key: str) -> bool: ...

    def sha256(self, key: str) -> str:
        """The hex SHA-256 of the object's bytes, read a chunk at a time; NotStored if there is none."""
        ...

    def delete(self, key: str) -> None:
        """Removes the object; nothing happens if there is none."""
        ...

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key that starts with ``prefix`` (a folder-like prefix ends with ``/``)."""
        ...

    def entries(self, prefix: str) -> Iterator[Stored]:
        """Every object whose key starts with ``prefix``, with its size and age, in key order."""
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

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"The folder {self.root} cannot be made: {exc.strerror}.") from exc
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageError(f"The folder {self.root} cannot be written by this account.")

    def put(self, key: str, data: bytes) -> None:
        self._write(key, lambda out: out.write(data))

    def put_file(self, key: str, path: Path) -> None:
        def copy(out: BinaryIO) -> None:
            with path.open("rb") as source:
                while chunk := source.read(CHUNK_BYTES):
                    out.write(chunk)

        self._write(key, copy)

    def _write(self, key: str, fill: Callable[[BinaryIO], object]) -> None:
        """Writes a ``.partial`` file beside the object, synced, then renamed into place: whole or not there."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{uuid.uuid4().hex}.partial")
        try:
            with partial.open("wb") as out:
                fill(out)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotStored(key) from None

    def get_file(self, key: str, path: Path) -> None:
        try:
            with self.path(key).open("rb") as source, path.open("wb") as out:
                while chunk := source.read(CHUNK_BYTES):
                    out.write(chunk)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotStored(key) from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def sha256(self, key: str) -> str:
        try:
            with self.path(key).open("rb") as source:
                return hashlib.file_digest(source, "sha256").hexdigest()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotStored(key) from None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self, prefix: str) -> Iterator[str]:
        for entry in self.entries(prefix):
            yield entry.key

    def entries(self, prefix: str) -> Iterator[Stored]:
        # Only the folder the prefix names is walked: the data folder also holds the database.
        start = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not start.is_dir():
            return
        for path in sorted(start.rglob("*")):
            if path.name.endswith(".partial"):
                continue
            key = path.relative_to(self.root).as_posix()
            # A file at the top is the database's or the secret key's: every object has a kind folder.
            if "/" not in key or not key.startswith(prefix) or not KEY_PATTERN.match(key):
                continue
            try:
                status = path.stat()
            except FileNotFoundError:  # deleted since the listing
                continue
            if path.is_file():
                yield Stored(key, status.st_size, status.st_mtime)

    def partial_files(self, prefix: str, *, older_than: float) -> list[Path]:
        """Half-written files a crash left (a whole write renames its ``.partial`` file at the end)."""
        start = self.root / prefix.rstrip("/")
        if not start.is_dir():
            return []
        return [p for p in start.rglob("*.partial") if p.is_file() and p.stat().st_mtime <= older_than]


def storage_at(url: str) -> Storage:
    """The store ``url`` names: ``file:///folder`` (or a plain folder path) or ``s3://bucket/prefix``."""
    parts = urlsplit(url)
    if parts.scheme in ("", "file"):
        return FileStorage(Path(unquote(parts.path) if parts.scheme else url))
    if parts.scheme == "s3":
        from registry.core.storage_s3 import s3_storage

        return s3_storage(url)
    raise ValueError(f"REGISTRY_STORAGE_URL must start with file:// or s3://, not {parts.scheme}://")


def storage_for(settings: Settings) -> Storage:
    """The service's store: ``settings.storage_url``, or the data folder (each key a file under it)."""
    if settings.storage_url:
        return storage_at(settings.storage_url)
    return FileStorage(settings.data_dir)

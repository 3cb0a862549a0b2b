"""What every store shares: its keys, its errors, and how a listing names an object (registry/core/storage.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
CHUNK_BYTES = 1024 * 1024


class StorageError(Exception):
    """The store could not be reached or refused the request."""


class NotStored(StorageError, KeyError):
    """No object has this key."""

    def __str__(self) -> str:
        return f"nothing is stored under {self.args[0]!r}" if self.args else "nothing is stored"


@dataclass(frozen=True)
class Stored:
    """One object as a listing shows it: its key, its size, when it was last written (seconds since 1970)."""

    key: str
    size: int
    modified: float


def checked_key(key: str) -> str:
    """``key`` if it is a plain key (no ``..``, no leading ``/``, no empty part); ValueError otherwise."""
    if not KEY_PATTERN.match(key) or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"not a storage key: {key!r}")
    return key

"""A photo kept for a few minutes after its form came back with a mistake, so that it need not be chosen again.

The form page names it by a random token in a hidden field; only the account that sent it can use the token,
and only for ``HELD_MINUTES``. Nothing is checked or recorded until the form is sent again without mistakes;
then the held file is deleted. Held files older than that are deleted whenever another is held.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

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
            if _too_old(path):
                path.unlink(missing_ok=True)
        except FileNotFoundError:  # another request swept it first
            continue

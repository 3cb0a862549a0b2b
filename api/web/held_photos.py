"""A photo kept for a few minutes after its form came back with a mistake, so that it need not be chosen again.

The form page names it by a random token in a hidden field; only the account that sent it can use the token,
and only for ``HELD_MINUTES``. Nothing is checked or recorded until the form is sent again without mistakes;
then the held photo is deleted. Held photos older than that are deleted whenever another is held.
It is kept in the store (``held-photos/<account>-<token>``, its file name beside it as ``….name``), so the
form may come back to any of the service's hosts.
"""

from __future__ import annotations

import re
import secrets
import time

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

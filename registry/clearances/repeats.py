"""The same upload asked twice: a second tap, a retried request, a blurred copy asked for again.

The same photo (its SHA-256) from the same account for the same question (destination, event or occasion,
tags, caption) within ``Settings.repeat_upload_minutes`` answers with the clearance already made: one
photo is one item for a reviewer, however often it was sent. While the first is being checked, the
same upload waits for it (in this service process, and on PostgreSQL on any host: registry/core/leases.py)
and then answers with it. Anything written since that
could decide the photo differently (a consent, a face, a person, an event: the audit log says) makes the
photo sent again a new check.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TypeVar

from sqlmodel import Session, col, select

from registry.clearances.caption import caption_tags
from registry.clearances.check import Clearing, PhotoCheck
from registry.clearances.reviews import redacted_copy
from registry.clearances.service import clear_photo, resolve_check
from registry.core.db import end_before_slow_work, keep_for_a_repeat
from registry.core.leases import one_at_a_time_everywhere
from registry.models.accounts import User
from registry.models.audit import AuditEntry
from registry.models.base import as_utc, id_of, utcnow
from registry.models.clearances import Clearance

T = TypeVar("T")


class _InHand:
    """The uploads being checked in this process: one at a time per key, the others wait their turn."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[Hashable, tuple[threading.Lock, int]] = {}

    @contextmanager
    def one_at_a_time(self, key: Hashable) -> Iterator[None]:
        with self._guard:
            lock, waiting = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, waiting + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, waiting = self._locks[key]
                if waiting == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, waiting - 1)


IN_HAND = _InHand()


def once(
    session: Session, key: Hashable, *, using: Clearing, earlier: Callable[[], T | None], make: Callable[[], T]
) -> T:
    """``earlier()`` if it finds what this upload already made, else ``make()``, committed before the next
    request with the same key may look. No transaction is held while waiting (on SQLite it holds the write lock)."""
    if using.hold_no_transaction:
        end_before_slow_work(session)
    with IN_HAND.one_at_a_time(key), one_at_a_time_everywhere(session, key):
        found = earlier()
        if found is not None:
            return found
        made = make()
        if using.hold_no_transaction:
            keep_for_a_repeat(session)
        return made


def clear_photo_once(session: Session, check: PhotoCheck, photo: bytes, *, using: Clearing) -> Clearance:
    """``clear_photo``, except that the same upload within the last minutes answers with its clearance."""
    minutes = using.settings.repeat_upload_minutes
    if minutes == 0 or check.redacted_of is not None:
        return clear_photo(session, check, photo, using=using)
    sha256 = hashlib.sha256(photo).hexdigest()
    key = ("photo", id_of(check.uploader), sha256, check.destination, check.event_id, check.context_kind)
    return once(
        session,
        key,
        using=using,
        earlier=lambda: earlier_clearance(session, check, sha256=sha256, minutes=minutes, using=using),
        make=lambda: clear_photo(session, check, photo, using=using),
    )


def earlier_clearance(
    session: Session, check: PhotoCheck, *, sha256: str, minutes: int, using: Clearing
) -> Clearance | None:
    """The clearance of the same photo asked the same question by the same account in the last ``minutes``."""
    context = resolve_check(session, check, pack=using.pack)  # the question as it would be recorded
    tags = sorted(set(check.tags) | caption_tags(session, check.caption, using.pack))
    since = utcnow() - timedelta(minutes=minutes)
    rows = session.exec(
        select(Clearance)
        .where(
            Clearance.uploader_id == id_of(check.uploader),
            Clearance.photo_sha256 == sha256,
            Clearance.destination == check.destination,
            col(Clearance.redacted_of_id).is_(None),
            Clearance.pack_id == using.pack.id,
            Clearance.pack_version == using.pack.version,
            Clearance.match_threshold == using.settings.match_threshold,  # read as it would be read now
            Clearance.review_threshold == using.settings.review_threshold,
            Clearance.min_margin == using.settings.min_margin,
            Clearance.min_face_px == using.settings.min_face_px,
            Clearance.recognisable_face_px == using.settings.recognisable_face_px,
            col(Clearance.created_at) >= since,
        )
        .order_by(col(Clearance.id).desc())
    ).all()
    for row in rows:
        same_place = (
            row.event_id == (context.event.id if context.event else None)
            and row.context_kind == context.kind
            and row.context_public == context.public
        )
        if same_place and sorted(row.tags) == tags and row.caption == check.caption and as_utc(row.created_at) >= since:
            return None if changed_since(session, row) else row
    return None


# What can decide a photo differently: consents, faces, people, events, groups, an account's link to its person.
DECIDING_TABLES = (
    "consents",
    "consent_revocations",
    "consent_evidence",
    "face_templates",
    "people",
    "guardians",
    "events",
    "groups",
    "group_members",
    "group_leaders",
    "users",
)


def changed_since(session: Session, clearance: Clearance) -> bool:
    """Whether anything that could decide the photo differently was written since it was cleared (the audit
    log records every write): then the same photo sent again is checked anew, never answered with an older
    decision (a form recorded meanwhile may allow it, a refusal block it)."""
    written = session.exec(
        select(AuditEntry.table_name, AuditEntry.changes).where(
            col(AuditEntry.at) >= as_utc(clearance.created_at), col(AuditEntry.table_name).in_(DECIDING_TABLES)
        )
    ).all()
    return any(table != "users" or "person_id" in (changes or {}) for table, changes in written)


def redacted_copy_once(
    session: Session, *, clearance: Clearance, user: User, using: Clearing
) -> tuple[bytes, Clearance]:
    """The blurred copy (``reviews.redacted_copy``), made once however often it is asked for at the same time:
    a second click waits for the first copy and is given it."""
    return once(
        session,
        ("blurred", id_of(clearance), id_of(user)),
        using=using,
        earlier=lambda: None,  # redacted_copy gives the copy already made itself
        make=lambda: redacted_copy(session, clearance=clearance, user=user, using=using),
    )

"""An upload being checked, claimed in the database: one check however many service processes receive it.

The request that checks an upload first inserts a row under the upload's key (the account, the photo, the
question, the pack and the thresholds) and commits it before the slow reading of faces; the same upload arriving
meanwhile at any worker on any host finds the row and waits, polling, until the first request's clearance is
recorded (the row is deleted in the same commit). A request that fails deletes its claim, so that the next one
checks the photo itself. A claim older than ``Settings.repeat_upload_wait_seconds`` belongs to a process that
died (or one far slower than any check): it is taken over, so nothing waits for ever; a claim of a process of
this host that runs no more (the service crashed or was restarted) is taken over at once.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from registry.core.db import claim_in_the_open, discard, end_before_slow_work, keep_for_a_repeat
from registry.core.leases import gone_from_this_host, holder_name
from registry.models.base import as_utc, utcnow
from registry.models.state import UploadClaim

T = TypeVar("T")
POLL_SECONDS = 0.25


@dataclass(frozen=True)
class Claim:
    key: str
    holder: str


def claim_key(*parts: Any) -> str:
    """The upload's key: the SHA-256 of its parts written as canonical JSON (no part is stored as it is)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def try_claim(session: Session, key: str, *, stale_after: timedelta) -> Claim | None:
    """This request's claim on ``key``, committed; None while another request, alive, holds it."""
    now = utcnow()
    holder = holder_name()
    held = session.execute(
        select(col(UploadClaim.holder), col(UploadClaim.claimed_at)).where(col(UploadClaim.key) == key)
    ).first()
    if held is None:
        session.execute(delete(UploadClaim).where(col(UploadClaim.claimed_at) < now - stale_after))  # the dead
        try:
            with session.begin_nested():
                session.execute(insert(UploadClaim).values(key=key, holder=holder, claimed_at=now))
        except IntegrityError:  # another request claimed it between the look and the insert
            claim_in_the_open(session)
            return None
    elif as_utc(held.claimed_at) > now - stale_after and not gone_from_this_host(held.holder):
        return None
    else:  # its process died (long ago, or on this host): taken over, by one request only
        taken = session.execute(
            update(UploadClaim)
            .where(col(UploadClaim.key) == key, col(UploadClaim.holder) == held.holder)
            .values(holder=holder, claimed_at=now)
        )
        if getattr(taken, "rowcount", 0) != 1:
            claim_in_the_open(session)
            return None
    claim_in_the_open(session)
    return Claim(key, holder)


def _let_go(session: Session, claim: Claim) -> None:
    session.execute(
        delete(UploadClaim).where(col(UploadClaim.key) == claim.key, col(UploadClaim.holder) == claim.holder)
    )


def once_anywhere(
    session: Session,
    key: str,
    *,
    stale_after: timedelta,
    earlier: Callable[[], T | None],
    make: Callable[[], T],
) -> T:
    """``earlier()`` if it finds what the same upload made already (or made while this one waited), else
    ``make()`` under this request's claim, committed with the claim let go. No transaction is held while waiting
    (on SQLite it holds the write lock)."""
    end_before_slow_work(session)
    while True:
        found = earlier()
        if found is not None:
            return found
        claim = try_claim(session, key, stale_after=stale_after)
        if claim is not None:
            break
        end_before_slow_work(session)
        time.sleep(POLL_SECONDS)
    found = earlier()  # made and let go between this request's first look and its claim
    if found is not None:
        _let_go(session, claim)
        claim_in_the_open(session)
        return found
    try:
        made = make()
    except BaseException:
        discard(session)
        _let_go(session, claim)
        claim_in_the_open(session)
        raise
    _let_go(session, claim)
    keep_for_a_repeat(session)
    return made

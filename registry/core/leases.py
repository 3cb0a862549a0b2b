"""Leases: work that one host at a time may do, and that another takes over when its holder goes quiet.

A lease is a row naming its holder and when it ends. Taking it is one statement (an upsert whose update
applies only when the lease has ended or is the taker's own), so of two hosts asking at the same moment
exactly one gets it. A holder that dies keeps nobody waiting for longer than the lease: once it ends, the
next host to ask takes it over.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from registry.models.base import as_utc, utcnow
from registry.models.shared import Lease

_TABLE = Lease.__table__  # type: ignore[attr-defined]


def holder_name() -> str:
    """Names this process among every host's: host name, process id, and a random part for restarts."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def take_lease(
    session: Session, *, name: str, holder: str, length: timedelta, now: datetime | None = None
) -> datetime | None:
    """Takes (or renews) the lease `name` for `length`: None when this holder has it now, else when the other
    holder's lease ends. The caller commits, at once: the lease is only seen by others once committed."""
    now = now or utcnow()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(_TABLE)
        .values(name=name, holder=holder, expires_at=now + length)
        .on_conflict_do_update(
            index_elements=[_TABLE.c.name],
            set_={"holder": holder, "expires_at": now + length},
            where=(_TABLE.c.expires_at <= now) | (_TABLE.c.holder == holder),
        )
        .returning(_TABLE.c.name)
    )
    if session.execute(statement).first() is not None:
        return None
    until = session.exec(select(Lease.expires_at).where(Lease.name == name)).first()
    return as_utc(until) if until is not None else now


def release_lease(session: Session, *, name: str, holder: str) -> None:
    """Gives the lease up before it ends (nothing happens when another holder has taken it over meanwhile)."""
    session.execute(delete(Lease).where(col(Lease.name) == name, col(Lease.holder) == holder))

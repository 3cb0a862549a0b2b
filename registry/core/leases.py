"""Leases: work that one host at a time may do, and that another takes over when its holder goes quiet.

For work of a few seconds that must not run twice at once, `one_at_a_time_everywhere` waits on a PostgreSQL
advisory lock instead (SQLite is one host's database: the process's own locks suffice there).

A lease is a row naming its holder and when it ends. Taking it is one statement (an upsert whose update
applies only when the lease has ended or is the taker's own), so of two hosts asking at the same moment
exactly one gets it. A holder that dies keeps nobody waiting for longer than the lease: once it ends, the
next host to ask takes it over.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
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


@contextmanager
def one_at_a_time_everywhere(session: Session, key: Hashable) -> Iterator[None]:
    """Waits until no other host holds `key`, and holds it for the block. On PostgreSQL a session-level advisory
    lock on a connection of its own, outside any transaction (held across seconds of work, it must keep no
    transaction open); elsewhere, or on a test's shared connection, nothing. `key` must read alike everywhere
    (its repr is hashed): strings, numbers, None."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or not isinstance(bind, Engine):
        yield
        return
    lock = int.from_bytes(hashlib.sha256(repr(key).encode()).digest()[:8], "big", signed=True)
    with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SELECT pg_advisory_lock(:lock)"), {"lock": lock})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:lock)"), {"lock": lock})

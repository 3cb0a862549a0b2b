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
    """Names this process among every host's: host name, process id, when the process started (a process id
    is used again after a restart), and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{_started(os.getpid())}:{uuid.uuid4().hex[:8]}"


def _started(pid: int) -> str:
    """When the process started, in clock ticks since the machine started ("" where /proc cannot say)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def gone_from_this_host(holder: str) -> bool:
    """True when ``holder`` (``holder_name``) is a process of this host that runs no more: a service that
    crashed or was restarted here need not wait out its own claims and leases. Another host's holder is never
    known to be gone (its claim or lease ends on its own clock)."""
    host, _, rest = holder.partition(":")
    pid, _, rest = rest.partition(":")
    started = rest.partition(":")[0]
    if host != socket.gethostname()[:40] or not pid.isdigit() or not started:
        return False
    return _started(int(pid)) != started


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
    held = session.exec(select(Lease.holder, Lease.expires_at).where(Lease.name == name)).first()
    if held is None:
        return now
    if gone_from_this_host(held[0]):  # its holder crashed or was restarted on this very host: taken over now
        taken = session.execute(
            _TABLE.update()
            .where(_TABLE.c.name == name, _TABLE.c.holder == held[0])
            .values(holder=holder, expires_at=now + length)
        )
        if getattr(taken, "rowcount", 0) == 1:
            return None
    return as_utc(held[1])


def release_lease(session: Session, *, name: str, holder: str) -> None:
    """Gives the lease up before it ends (nothing happens when another holder has taken it over meanwhile)."""
    session.execute(delete(Lease).where(col(Lease.name) == name, col(Lease.holder) == holder))

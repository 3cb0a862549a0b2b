"""Engines, the registry's session, and every commit and rollback.

The registry's session class carries the hooks every write depends on: the audit log's entries
(registry/core/audit.py) and the files deleted only once their rows commit (registry/core/files.py).
They are attached here, to `RegistrySession`, so a process that imports this module and a service
writes audited, whatever else it imports. Plain SQLModel sessions are not used anywhere.

Services never commit. A request's session commits when the request ends (api/deps.py uses
`committed`), a command's in `unit_of_work`; the few moments a transaction must end early are the
named helpers at the end of this module, each saying why.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from registry.core import audit, files

# One writer at a time on SQLite: under a burst (50 requests at once on 2 busy cores) the last in the
# queue waits well over 30 s; it should wait, not fail with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 180_000
# Sized for a worker's 40 request threads: a burst of slow requests must make the others wait for a
# connection, not fail after the default 30 s.
POOL = {"pool_size": 10, "max_overflow": 30, "pool_timeout": 180}
# A PostgreSQL connection whose server went away while the link was down (a host cut off, a failover) is noticed
# within about a minute, instead of a read waiting for an answer that will never come. Values given in
# DATABASE_URL win.
POSTGRES_LINK = {
    "keepalives": "1",
    "keepalives_idle": "30",
    "keepalives_interval": "10",
    "keepalives_count": "3",
    "tcp_user_timeout": "60000",  # milliseconds: data sent and not acknowledged for a minute ends the connection
}


def postgres_link_options(url: str) -> dict[str, str]:
    """The connection options of ``POSTGRES_LINK`` that ``url`` (a PostgreSQL URL) does not set itself."""
    given = conninfo_to_dict("postgresql://" + url.split("://", 1)[1])
    return {key: value for key, value in POSTGRES_LINK.items() if key not in given}


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        if ":memory:" not in url:
            kwargs = {**POOL, **kwargs}
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args=postgres_link_options(url), **{**POOL, **kwargs})


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see _begin_immediate) instead of pysqlite's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN: a deferred transaction that reads and later writes fails with
    # "database is locked" instead of waiting when another writer got there first.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class RegistrySession(Session):
    """A SQLModel session whose writes are audited and whose file deletions wait for the commit."""


event.listen(RegistrySession, "before_flush", audit.before_flush)
event.listen(RegistrySession, "after_flush", audit.after_flush)
event.listen(RegistrySession, "do_orm_execute", audit.bulk_write)
event.listen(RegistrySession, "after_commit", files.delete_files)
event.listen(RegistrySession, "after_rollback", files.keep_files)


def new_session(bind: Any, **kwargs: Any) -> RegistrySession:
    """A registry session on an engine or a connection; nothing is committed unless asked."""
    return RegistrySession(bind, **kwargs)


@contextmanager
def committed(session: Session, *, actor: str) -> Iterator[Session]:
    """Commits the session's work when the block ends normally, rolls it back otherwise.

    `actor` is who the audit log names for the writes (e.g. "cli:import-roster", "user:3").
    """
    with session:
        session.info["actor"] = actor
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def unit_of_work(engine: Engine, *, actor: str = "system") -> AbstractContextManager[Session]:
    """A command's transaction."""
    return committed(new_session(engine, expire_on_commit=False), actor=actor)


# The moments a transaction ends before its request or command does, each for its reason.


def end_before_slow_work(session: Session) -> None:
    """Commits what is done so far before work that takes seconds without the database (reading a
    photo's faces) or before the request waits for another request: on SQLite every transaction holds
    the write lock (BEGIN IMMEDIATE), so holding one across the wait would stall every other request."""
    session.commit()


def keep_despite_refusal(session: Session) -> None:
    """Commits a record that must outlive the refusal the request ends in: a wrong password is
    counted even though the sign-in (or the password change) fails; a blurred copy that is not
    offered stays recorded, so that the refusal names it and asking again refuses the same copy."""
    session.commit()


def hand_over(session: Session) -> None:
    """Commits before answering, so that work in the background (the album runner) sees the rows."""
    session.commit()


def keep_for_a_repeat(session: Session) -> None:
    """Commits a photo's clearance before the request answers, so that the same upload sent again (a second
    tap, a retried request, waiting for this one) finds it and answers with it instead of a second clearance."""
    session.commit()


def claim_in_the_open(session: Session) -> None:
    """Commits a change to an upload's claim at once (registry/clearances/upload_claims.py): the same upload sent
    to any service process must see at once that it is being checked, or that it no longer is."""
    session.commit()


def checkpoint(session: Session) -> None:
    """Commits a long job's finished part, so that no lock is held for the whole job (a roster import
    commits each batch)."""
    session.commit()


def discard(session: Session) -> None:
    """Rolls back everything the request did: nothing of a refused photo or a failed form is kept,
    and a photo to be searched again holds no transaction meanwhile."""
    session.rollback()


@contextmanager
def trial(session: Session) -> Iterator[Session]:
    """A savepoint that is always rolled back: what writing would decide, with nothing kept."""
    with session.begin_nested() as savepoint:
        yield session
        savepoint.rollback()

"""Engine and sessions. One place commits: the request's session dependency or a command's unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

# One writer at a time on SQLite: under a burst (50 requests at once on 2 busy cores) the last in the
# queue waits well over 30 s; it should wait, not fail with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 180_000
# Sized for a worker's 40 request threads: a burst of slow requests must make the others wait for a
# connection, not fail after the default 30 s.
POOL = {"pool_size": 10, "max_overflow": 30, "pool_timeout": 180}


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
    return create_engine(url, pool_pre_ping=True, **{**POOL, **kwargs})


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
    return committed(Session(engine, expire_on_commit=False), actor=actor)

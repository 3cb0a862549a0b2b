"""Database tables. API schemas live in registry/core/schemas.py; nothing here is sent as is."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import SQLModel


def utcnow() -> datetime:
    """Every stored timestamp is an aware UTC time; event times alone are the district's wall clock."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC time; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def id_of(row: SQLModel) -> int:
    """The primary key of a row that has been flushed."""
    value = getattr(row, "id", None)
    if value is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet; flush the session first")
    return int(value)

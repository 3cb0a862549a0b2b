"""Table: the hash-chained audit log. Written only by registry/core/audit.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

GENESIS_HASH = "0" * 64  # the "previous hash" of the very first entry


class AuditEntry(SQLModel, table=True):
    """One write, chained to the one before it: hash = SHA-256(prev_hash + canonical JSON of the entry).

    Ids are handed out by the chain itself (the last id + 1, under the chain's lock), not by the
    database, so they are consecutive: a missing id is a deleted entry.
    """

    __tablename__ = "audit_entries"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime
    actor: str = Field(max_length=100, index=True)
    table_name: str = Field(max_length=60, index=True)
    row_id: str = Field(max_length=100, index=True)
    action: str = Field(max_length=10)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)

"""The audit log's table and what the API shows of it. Written only by registry/audit.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
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


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    table_name: str
    row_id: str
    action: str
    changes: dict[str, Any]
    prev_hash: str
    hash: str


class AuditHead(BaseModel):
    """The newest entry: keep it somewhere else, and a later verification catches a cut-off tail."""

    last_id: int
    hash: str
    entries: int


class AuditVerification(BaseModel):
    ok: bool
    entries_checked: int
    first_broken_id: int | None = None
    problem: str | None = None
    table_name: str | None = None  # with row_id: a table row that disagrees with the log's last word on it
    row_id: str | None = None
    head: AuditHead

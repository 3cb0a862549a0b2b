"""The audit log's table and what the API shows of it. Written only by registry/core/audit.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


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

"""Tables: the registry's own state (template version, daily re-check claims) and uploads being checked."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class RegistryState(SQLModel, table=True):
    """Counters the workers compare to know their in-memory copies are current."""

    __tablename__ = "registry_state"
    key: str = Field(primary_key=True, max_length=40)
    value: int = 0


class UploadClaim(SQLModel, table=True):
    """An upload being checked now, claimed by the request checking it: the same upload sent meanwhile to any
    service process (another worker, another host) finds the claim and waits for its clearance
    (registry/clearances/upload_claims.py). Bookkeeping, not a record: not audited, swept when old."""

    __tablename__ = "upload_claims"
    key: str = Field(primary_key=True, max_length=64)  # SHA-256 of the account, the photo and the question
    holder: str = Field(max_length=100)  # the claiming process (registry/core/leases.py holder_name)
    claimed_at: datetime = Field(index=True)
    finished_at: datetime | None = None

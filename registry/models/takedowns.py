"""Table: takedown requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.models.base import utcnow


class Takedown(SQLModel, table=True):
    """A request to an uploader to take a posted photo down: decided again, it is no longer allowed."""

    __tablename__ = "takedowns"
    __table_args__ = (UniqueConstraint("clearance_id", "consent_id", name="uq_takedown_clearance_consent"),)
    id: int | None = Field(default=None, primary_key=True)
    clearance_id: int = Field(foreign_key="clearances.id", index=True)
    consent_id: int | None = Field(default=None, foreign_key="consents.id")  # the act that decided, if any
    person_id: int | None = Field(default=None, foreign_key="people.id")  # whose standing stops it
    uploader_id: int = Field(foreign_key="users.id", index=True)
    cause: str = Field(max_length=20)  # revoked, refused, corrected, expired, departed, reviewed, account_link
    reason: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    confirmed_by_id: int | None = Field(default=None, foreign_key="users.id")

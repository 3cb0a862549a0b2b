"""Table: district events."""

from __future__ import annotations

from datetime import datetime

from pydantic import NaiveDatetime
from sqlmodel import Field, SQLModel

from registry.models.base import utcnow


class Event(SQLModel, table=True):
    __tablename__ = "events"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=30)
    public: bool
    starts_at: NaiveDatetime
    ends_at: NaiveDatetime
    location: str | None = Field(default=None, max_length=200)
    school: str | None = Field(default=None, max_length=120)
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)

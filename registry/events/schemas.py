"""API schemas for events."""

from __future__ import annotations

from datetime import datetime

from pydantic import (
    BaseModel,
    Field,
    model_validator,
)

from registry.core.schemas import LocalDateTime, Request
from registry.policy.vocabulary import ContextKind


class EventCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    kind: ContextKind
    public: bool
    starts_at: datetime
    ends_at: datetime
    location: str | None = Field(None, max_length=200)
    school: str | None = Field(None, max_length=120)

    @model_validator(mode="after")
    def _ends_after_start(self) -> EventCreate:
        if (self.ends_at.tzinfo is None) == (self.starts_at.tzinfo is None) and self.ends_at < self.starts_at:
            raise ValueError(f"ends_at ({self.ends_at}) is before starts_at ({self.starts_at}).")
        return self


class EventPublic(BaseModel):
    id: int
    name: str
    kind: ContextKind
    public: bool
    starts_at: LocalDateTime
    ends_at: LocalDateTime
    location: str | None
    school: str | None
    created_at: datetime

"""API schemas: what a request may carry and what a response shows. Requests forbid unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

# A photo's standing now: as decided, or to be taken down (or taken down) since. Albums and clearances.
PhotoStanding = Literal["allowed", "take_down", "taken_down", "blocked", "needs_review"]

T = TypeVar("T")

# A wall-clock time at the school, as a camera or a timetable gives it: no offset, so not an
# RFC 3339 "date-time". The document says so, so that clients do not expect one.
LocalDateTime = Annotated[
    datetime,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$",
            "description": "local time at the school, without a UTC offset",
            "examples": ["2026-05-04T09:30:00"],
        }
    ),
]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: object) -> object:
        # PostgreSQL cannot store them and SQLite would; refused alike on both.
        if any(isinstance(v, str) and "\x00" in v for v in (value if isinstance(value, list) else [value])):
            raise ValueError("text may not contain NUL (\\x00) characters")
        return value


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# --- accounts -------------------------------------------------------------------------------


# Exactly as typed: never stripped (a password with spaces at its ends is refused, with the reason).
Password = Annotated[str, StringConstraints(strip_whitespace=False)]


# --- people ---------------------------------------------------------------------------------


# --- consents -------------------------------------------------------------------------------


# --- events ---------------------------------------------------------------------------------


# --- roster ---------------------------------------------------------------------------------


# --- faces and clearances -------------------------------------------------------------------

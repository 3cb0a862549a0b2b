"""API schemas for takedown requests."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import (
    BaseModel,
    Field,
)


class TakedownPublic(BaseModel):
    id: int
    clearance_id: int
    consent_id: int | None = Field(description="the form that stops the photo now, if one does")
    person_id: int | None = Field(description="whose standing stops the photo now")
    person_name: str
    uploader_id: int
    cause: Literal[
        "revoked", "refused", "corrected", "new_form", "expired", "departed", "changed", "reviewed", "account_link"
    ] = Field(
        description="the act that set off the re-check: a revocation, a refusal, a correction, another new form, "
        "the daily re-check (forms that ran out), a departure, a change to the person's record, a reviewer, a change "
        "of the person's record an account is linked to"
    )
    reason: str
    created_at: datetime
    confirmed_at: datetime | None
    age_days: int = Field(description="days open (or days it took, once confirmed)")
    thumbnail_url: str | None = Field(description="a small copy of the photo, to find the post")
    file_name: str | None = Field(None, description="the photo's file name as uploaded, to find the post")
    caption: str | None = Field(None, description="the caption the photo was checked with")
    destination: str | None = Field(None, description="where the photo was to be posted")

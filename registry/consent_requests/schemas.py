"""API schemas for consent requests: who is asked, and each student's request with its private link."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from registry.core.schemas import Request

RequestKind = Literal["image_release", "biometric"]
Language = Literal["en", "es"]
RequestStatus = Literal["pending", "opened", "signed", "declined", "withdrawn", "expired"]
REQUEST_STATUSES: tuple[str, ...] = ("pending", "opened", "signed", "declined", "withdrawn", "expired")


class ConsentRequestCreate(Request):
    person_id: int | None = Field(None, description="one student")
    group_id: int | None = Field(None, description="every student in a group")
    school: str | None = Field(None, max_length=120, description="every student of a school (with grade: of a grade)")
    grade: str | None = Field(None, max_length=20)
    kind: RequestKind
    language: Language = Field("en", description="the family's language: the letter, the e-mail and the page")
    send_email: bool = Field(False, description="e-mail each link to the guardians on record at once")

    @model_validator(mode="after")
    def _one_target(self) -> ConsentRequestCreate:
        chosen = [self.person_id is not None, self.group_id is not None, self.school is not None]
        if sum(chosen) != 1:
            raise ValueError("Name exactly one of person_id, group_id or school (with grade, if you wish).")
        if self.grade is not None and self.school is None:
            raise ValueError("A grade is asked for within a school: give school as well.")
        return self


class RenewalCreate(Request):
    kind: RequestKind
    school_year: int | None = Field(
        None,
        ge=2000,
        le=2200,
        description="the year the renewed school year ends in; by default the coming one (from January to June, "
        "the next school year; from July, this one). Forms ending on the 30 June before it are renewed.",
    )
    language: Language = "en"
    send_email: bool = False


class CampaignRowPublic(BaseModel):
    school: str
    group: str = Field(description="empty for the school as a whole")
    requested: int
    opened: int
    signed_yes: int
    signed_no: int
    withdrawn: int
    no_answer: int


class ConsentRequestPublic(BaseModel):
    id: int
    person_id: int
    person_name: str
    kind: RequestKind
    school_year: int = Field(description="the year the school year ends in (30 June)")
    language: Language
    status: RequestStatus
    url: str = Field(description="the family's private link: give it to the family only")
    short_code: str = Field(description="the code printed on the letter, typed at /f when the link cannot be")
    expires_at: datetime
    created_at: datetime
    opened_at: datetime | None
    answered_at: datetime | None
    emailed_at: datetime | None
    reminders: int
    consent_id: int | None = Field(description="the last consent the family signed through this link")


class Skipped(BaseModel):
    person_id: int
    person_name: str
    reason: str


class ConsentRequestsMade(BaseModel):
    items: list[ConsentRequestPublic]
    skipped: list[Skipped] = Field(default_factory=list, description="students who could not be asked, and why")
    emailed: int = 0


class RemindersSend(Request):
    school_year: int | None = Field(None, description="the year the school year ends in; by default this one")
    group_id: int | None = Field(None, description="only the students of this group")


class Reminders(BaseModel):
    sent: int
    without_email: int

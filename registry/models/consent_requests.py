"""Table: consent requests sent to families (a private link per student and kind of consent)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from registry.models.base import utcnow


class ConsentRequest(SQLModel, table=True):
    """One student's request for one kind of consent. The link's token is never stored: only its hash, and the
    salt from which the service (holding the secret key) derives it again for a letter or an e-mail."""

    __tablename__ = "consent_requests"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    kind: str = Field(max_length=20)
    school_year: int = Field(index=True)  # the calendar year the school year ends in (30 June)
    language: str = Field(default="en", max_length=5)
    token_salt: str = Field(max_length=64)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    code_hash: str = Field(max_length=64, unique=True, index=True)
    status: str = Field(default="pending", max_length=10)  # pending, opened, signed, declined, withdrawn
    group_id: int | None = Field(default=None, foreign_key="groups.id")
    consent_id: int | None = Field(default=None, foreign_key="consents.id")  # the last form signed online
    requested_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    opened_at: datetime | None = None
    answered_at: datetime | None = None
    emailed_at: datetime | None = None
    reminders: int = Field(default=0)
    birth_date_failures: int = Field(default=0)
    locked_until: datetime | None = None

"""Tables: consent forms, their revocations and their scans."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from registry.models.base import utcnow


class Consent(SQLModel, table=True):
    """A signed form as recorded. Never edited: revocations and evidence are rows of their own."""

    __tablename__ = "consents"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    kind: str = Field(max_length=20)
    status: str = Field(max_length=10)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    signer_name: str = Field(max_length=200)
    signer_relationship: str = Field(max_length=20)
    signed_on: date
    valid_from: date
    valid_until: date | None = None  # None only for a refusal: the calendar never lifts it
    note: str | None = Field(default=None, max_length=1000)
    corrects_id: int | None = Field(default=None, foreign_key="consents.id")
    # A biometric consent's terms, as the signed form states them (none for other kinds).
    notice_version: str | None = Field(default=None, max_length=40)  # the version of the notice they read
    purpose: str | None = Field(default=None, max_length=300)
    retention_years: int | None = None  # how long a template may be kept after the last interaction
    entered_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)


class ConsentRevocation(SQLModel, table=True):
    __tablename__ = "consent_revocations"
    id: int | None = Field(default=None, primary_key=True)
    consent_id: int = Field(foreign_key="consents.id", unique=True)
    reason: str = Field(max_length=1000)
    revoked_by_id: int = Field(foreign_key="users.id")
    revoked_at: datetime = Field(default_factory=utcnow)


class ConsentEvidence(SQLModel, table=True):
    __tablename__ = "consent_evidence"
    id: int | None = Field(default=None, primary_key=True)
    consent_id: int = Field(foreign_key="consents.id", index=True)
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=40)
    size_bytes: int
    filename: str = Field(max_length=255)
    uploaded_by_id: int = Field(foreign_key="users.id")
    uploaded_at: datetime = Field(default_factory=utcnow)

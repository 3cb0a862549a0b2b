"""Database tables. API schemas live in registry/schemas.py; nothing here is sent as is."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Every stored timestamp is an aware UTC time; event times alone are the district's wall clock."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC time; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def id_of(row: SQLModel) -> int:
    """The primary key of a row that has been flushed."""
    value = getattr(row, "id", None)
    if value is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet; flush the session first")
    return int(value)


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=200)
    person_id: int | None = Field(default=None, foreign_key="people.id")
    active: bool = True
    # Raised to end every session and access token of the account (sign-out, new password, deactivation).
    session_version: int = 0
    must_change_password: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class Person(SQLModel, table=True):
    __tablename__ = "people"
    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=64, unique=True, index=True)
    kind: str = Field(max_length=20, index=True)
    name: str = Field(max_length=200, index=True)
    school: str | None = Field(default=None, max_length=120, index=True)
    grade: str | None = Field(default=None, max_length=20)
    birth_date: date | None = None  # from the roster: whether a student signs their own forms
    status: str = Field(default="active", max_length=10)
    departed_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Guardian(SQLModel, table=True):
    __tablename__ = "guardians"
    __table_args__ = (UniqueConstraint("student_id", "name", name="uq_guardian_student_name"),)
    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="people.id", index=True)
    name: str = Field(max_length=200)
    relationship: str = Field(max_length=20)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)


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


class FaceTemplate(SQLModel, table=True):
    __tablename__ = "face_templates"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    encoding: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    model: str = Field(max_length=60)
    box_top: int
    box_right: int
    box_bottom: int
    box_left: int
    source_width: int
    source_height: int
    thumbnail: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)


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


class RegistryState(SQLModel, table=True):
    """Counters the workers compare to know their in-memory copies are current."""

    __tablename__ = "registry_state"
    key: str = Field(primary_key=True, max_length=40)
    value: int = 0


class Clearance(SQLModel, table=True):
    """One uploaded photo's request and the decision on it, with everything needed to explain it."""

    __tablename__ = "clearances"
    id: int | None = Field(default=None, primary_key=True)
    uploader_id: int = Field(foreign_key="users.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="events.id")
    context_kind: str = Field(max_length=30)
    context_public: bool
    destination: str = Field(max_length=30)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    caption: str | None = Field(default=None, max_length=2000)
    decision: str = Field(max_length=20, index=True)
    reasons: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    review_reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    context_confirmed: bool = False
    # How the context was checked: event_time (camera time within the event), no_camera_time
    # (names an event, unverified), outside_event_time (sent to review), declared (no event named).
    context_check: str = Field(default="declared", max_length=20)
    redaction_offered: bool = False
    redacted_of_id: int | None = Field(default=None, foreign_key="clearances.id")
    pack_id: str = Field(max_length=60)
    pack_version: str = Field(max_length=30)
    engine: str = Field(max_length=60)
    detector: str = Field(max_length=20)
    detect_max_side: int
    # Every face search that ran, in order: the first, reduced one, and the closer look's if it ran.
    searches: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    match_threshold: float
    review_threshold: float
    min_margin: float
    min_face_px: int
    photo_sha256: str = Field(max_length=64)
    photo_file: str | None = Field(default=None, max_length=80)
    photo_width: int
    photo_height: int
    # A 240-px copy kept with the decision after the original's retention ends, so that a
    # takedown request can show the uploader which photo to take down.
    thumbnail: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    taken_at: NaiveDatetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime = Field(default_factory=utcnow)


class ClearanceFace(SQLModel, table=True):
    __tablename__ = "clearance_faces"
    __table_args__ = (UniqueConstraint("clearance_id", "index", name="uq_clearance_face_index"),)
    id: int | None = Field(default=None, primary_key=True)
    clearance_id: int = Field(foreign_key="clearances.id", index=True)
    index: int
    box_top: int
    box_right: int
    box_bottom: int
    box_left: int
    band: str = Field(max_length=20)
    person_id: int | None = Field(default=None, foreign_key="people.id")
    distance: float | None = None
    margin: float | None = None
    candidates: list[list[float]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    match_reason: str = Field(default="", max_length=300)
    verdict: str = Field(max_length=20)
    rule: str = Field(max_length=80)
    clause: str = Field(max_length=200)
    message: str = Field(max_length=1000)
    consent_id: int | None = Field(default=None, foreign_key="consents.id")
    redactable: bool = False
    blurred: bool = False  # in a region the service blurred itself (the face of a redacted copy)


class ClearanceConsent(SQLModel, table=True):
    """A consent a clearance relied on: revoking it turns the clearance into a takedown request."""

    __tablename__ = "clearance_consents"
    clearance_id: int = Field(foreign_key="clearances.id", primary_key=True)
    consent_id: int = Field(foreign_key="consents.id", primary_key=True, index=True)


class ClearanceReview(SQLModel, table=True):
    """A reviewer's resolution of one face (or of the photo's context), as a recorded act."""

    __tablename__ = "clearance_reviews"
    id: int | None = Field(default=None, primary_key=True)
    clearance_id: int = Field(foreign_key="clearances.id", index=True)
    face_index: int | None = None
    resolution: str = Field(max_length=20)
    person_id: int | None = Field(default=None, foreign_key="people.id")
    note: str | None = Field(default=None, max_length=1000)
    reviewer_id: int = Field(foreign_key="users.id")
    decision_before: str = Field(max_length=20)
    decision_after: str = Field(max_length=20)
    reviewed_at: datetime = Field(default_factory=utcnow)


class Takedown(SQLModel, table=True):
    """A request to an uploader to take a posted photo down: decided again, it is no longer allowed."""

    __tablename__ = "takedowns"
    __table_args__ = (UniqueConstraint("clearance_id", "consent_id", name="uq_takedown_clearance_consent"),)
    id: int | None = Field(default=None, primary_key=True)
    clearance_id: int = Field(foreign_key="clearances.id", index=True)
    consent_id: int | None = Field(default=None, foreign_key="consents.id")  # the act that decided, if any
    person_id: int | None = Field(default=None, foreign_key="people.id")  # whose standing stops it
    uploader_id: int = Field(foreign_key="users.id", index=True)
    cause: str = Field(max_length=20)  # revoked, refused, corrected, expired, departed, reviewed
    reason: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    confirmed_by_id: int | None = Field(default=None, foreign_key="users.id")

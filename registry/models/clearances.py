"""Tables: clearances, their faces, the consents they relied on, and reviews."""

from __future__ import annotations

from datetime import datetime

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.models.base import utcnow


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
    file_name: str | None = Field(default=None, max_length=255)  # as the uploader's device named it
    decision: str = Field(max_length=20, index=True)
    reasons: list[dict[str, str | int]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
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
    # A face under this size that matches nobody is "too small to recognise", not an unknown person.
    recognisable_face_px: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Whom the faces were compared with (registry/clearances/gallery.py), in words; "" before it was recorded.
    matched_against: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
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
    reviewed_at: datetime = Field(default_factory=utcnow)  # one value for every row of one act
    undoes_id: int | None = Field(
        default=None, foreign_key="clearance_reviews.id"
    )  # an undo names the row it takes back

"""API schemas: what a request may carry and what a response shows. Requests forbid unknown fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

Role = Literal["employee", "office_staff", "reviewer", "admin"]
PersonKind = Literal["student", "employee", "community_member"]
PersonStatus = Literal["active", "departed"]
ConsentKind = Literal["image_release", "biometric", "logo_use"]
ConsentStatus = Literal["granted", "refused"]
Relationship = Literal["parent", "guardian", "self"]
GuardianRelationship = Literal["parent", "guardian"]
Destination = Literal["personal_social_media", "district_social_media", "district_website", "print"]
EventKind = Literal["sporting_event", "fine_arts_performance", "classroom", "field_trip", "assembly", "other"]

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


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    must_change_password: bool = Field(False, description="true: only POST /auth/password works until it is done")


# Exactly as typed: never stripped (a password with spaces at its ends is refused, with the reason).
Password = Annotated[str, StringConstraints(strip_whitespace=False)]


class UserCreate(Request):
    email: EmailStr
    full_name: str = Field(min_length=1, max_length=200)
    role: Role
    password: Password = Field(min_length=10, max_length=200)
    person_id: int | None = None


class UserUpdate(Request):
    role: Role | None = None
    active: bool | None = Field(None, description="false deactivates the account (ending its sessions)")
    person_id: int | None = Field(None, description="the person's record this account is; null unlinks it")

    @model_validator(mode="after")
    def _no_empty_role_or_state(self) -> UserUpdate:
        for name in ("role", "active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null: leave it out to keep it as it is")
        return self


class UserPublic(BaseModel):
    id: int
    email: str
    full_name: str
    role: Role
    person_id: int | None
    active: bool
    must_change_password: bool
    locked_until: datetime | None = Field(None, description="some address must wait until then to sign in")
    created_at: datetime


class PasswordChange(Request):
    current_password: Password = Field(min_length=1, max_length=200)
    new_password: Password = Field(min_length=1, max_length=200)


class TemporaryPassword(Request):
    password: Password | None = Field(None, max_length=200, description="leave out to have one made")


class TemporaryPasswordSet(BaseModel):
    user: UserPublic
    password: str | None = Field(description="the password made for the account (shown once); null if given")


class ApiTokenCreate(Request):
    name: str = Field(min_length=1, max_length=100)
    user_id: int | None = Field(None, description="the account the token acts as; yours by default")
    expires_at: datetime | None = None


class ApiTokenPublic(BaseModel):
    id: int
    name: str
    user_id: int
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiTokenCreated(ApiTokenPublic):
    token: str = Field(description="shown once: store it now, it cannot be read again")


# --- people ---------------------------------------------------------------------------------


class GuardianIn(Request):
    name: str = Field(min_length=1, max_length=200)
    relationship: GuardianRelationship = "parent"
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40)


class GuardianPublic(BaseModel):
    id: int
    name: str
    relationship: str
    email: str | None
    phone: str | None


class PersonCreate(Request):
    external_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-]+$")
    kind: PersonKind
    name: str = Field(min_length=1, max_length=200)
    school: str | None = Field(None, max_length=120)
    grade: str | None = Field(None, max_length=20)
    birth_date: date | None = Field(None, description="decides whether a student aged 18 or more signs their own forms")
    guardians: list[GuardianIn] = Field(default_factory=list, max_length=6)

    @model_validator(mode="after")
    def _guardians_only_for_students(self) -> PersonCreate:
        if self.guardians and self.kind != "student":
            raise ValueError("Only students have guardians.")
        return self


class PersonUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=200)
    school: str | None = Field(None, max_length=120)
    grade: str | None = Field(None, max_length=20)
    birth_date: date | None = None
    status: PersonStatus | None = None
    departed_on: date | None = None

    @field_validator("name", "status")
    @classmethod
    def _kept_if_null(cls, value: str | None) -> str | None:
        # Validators run only on values sent: a null here would blank a field every person must have.
        if value is None:
            raise ValueError("cannot be null; leave it out to keep it as it is")
        return value


class PersonPublic(BaseModel):
    id: int
    external_id: str
    kind: PersonKind
    name: str
    school: str | None
    grade: str | None
    birth_date: date | None = None
    status: PersonStatus
    departed_on: date | None
    created_at: datetime
    updated_at: datetime
    guardians: list[GuardianPublic] = Field(default_factory=list)
    face_templates: int = 0


# --- consents -------------------------------------------------------------------------------


class ConsentCreate(Request):
    person_id: int
    kind: ConsentKind
    status: ConsentStatus
    scopes: list[Destination] = Field(
        default_factory=list,
        description="a grant: the destinations photos may go to (required for image_release); "
        "a refusal: the destinations refused, or none to refuse every destination",
    )
    signer_name: str = Field(min_length=1, max_length=200)
    signer_relationship: Relationship
    signed_on: date
    valid_from: date | None = Field(None, description="defaults to the signing date")
    valid_until: date | None = Field(
        None, description="defaults to the end of the school year of the signing date (30 June); a refusal has none"
    )
    note: str | None = Field(None, max_length=1000)
    corrects_id: int | None = Field(None, description="the consent this form corrects, if any")

    @field_validator("scopes")
    @classmethod
    def _no_repeated_scopes(cls, scopes: list[str]) -> list[str]:
        return sorted(set(scopes))

    @model_validator(mode="after")
    def _dates_in_order(self) -> ConsentCreate:
        valid_from = self.valid_from or self.signed_on
        if self.valid_until is not None and self.valid_until < valid_from:
            raise ValueError(
                f"valid_until ({self.valid_until}) is before valid_from ({valid_from}): "
                "a consent must end after it starts."
            )
        if self.kind == "image_release" and self.status == "granted" and not self.scopes:
            raise ValueError("An image release must name at least one destination in scopes.")
        if self.status == "refused" and (self.valid_until is not None or self.valid_from not in (None, self.signed_on)):
            raise ValueError(
                "A refusal has no start or end date: it holds from its signing date until a newer signed "
                "form grants consent. Leave valid_from and valid_until out."
            )
        return self


class ConsentRevoke(Request):
    reason: str = Field(min_length=3, max_length=1000)


class EvidencePublic(BaseModel):
    id: int
    sha256: str
    content_type: str
    size_bytes: int
    filename: str
    uploaded_at: datetime


class RevocationPublic(BaseModel):
    reason: str
    revoked_at: datetime
    revoked_by_id: int


class ConsentPublic(BaseModel):
    id: int
    person_id: int
    kind: ConsentKind
    status: ConsentStatus
    scopes: list[str]
    signer_name: str
    signer_relationship: Relationship
    signed_on: date
    valid_from: date
    valid_until: date | None
    note: str | None
    corrects_id: int | None
    entered_by_id: int
    created_at: datetime
    state: Literal[
        "active",
        "refused",
        "revoked",
        "expired",
        "not_yet_valid",
        "superseded",
        "corrected",
        "departed",
        "wrong_signer",
    ] = Field(description="what this form means now; 'superseded': a newer form decides, 'corrected': replaced")
    revocation: RevocationPublic | None = None
    evidence: list[EvidencePublic] = Field(default_factory=list)


# --- events ---------------------------------------------------------------------------------


class EventCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    kind: EventKind
    public: bool
    starts_at: datetime
    ends_at: datetime
    location: str | None = Field(None, max_length=200)
    school: str | None = Field(None, max_length=120)

    @model_validator(mode="after")
    def _ends_after_start(self) -> EventCreate:
        if self.ends_at < self.starts_at:
            raise ValueError(f"ends_at ({self.ends_at}) is before starts_at ({self.starts_at}).")
        return self


class EventPublic(BaseModel):
    id: int
    name: str
    kind: EventKind
    public: bool
    starts_at: LocalDateTime
    ends_at: LocalDateTime
    location: str | None
    school: str | None
    created_at: datetime


# --- roster ---------------------------------------------------------------------------------


class RosterRowProblem(BaseModel):
    line: int
    external_id: str | None
    problem: str


class RosterReport(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: list[RosterRowProblem]


# --- faces and clearances -------------------------------------------------------------------


class BoxPublic(BaseModel):
    top: int
    right: int
    bottom: int
    left: int


class FaceTemplatePublic(BaseModel):
    """An enrolled face, described; the encoding itself never leaves the server."""

    id: int
    person_id: int
    model: str
    box: BoxPublic
    source_width: int
    source_height: int
    created_at: datetime


class CandidatePublic(BaseModel):
    person_id: int
    name: str | None
    distance: float


class FaceReviewPublic(BaseModel):
    resolution: Literal["person", "nobody", "reject", "approve"]
    person_id: int | None
    reviewer_id: int
    reviewed_at: datetime
    note: str | None


class ClearanceFacePublic(BaseModel):
    index: int
    box: BoxPublic
    band: Literal["identified", "possible", "unknown"]
    person_id: int | None
    person_name: str | None
    distance: float | None
    margin: float | None
    candidates: list[CandidatePublic]
    match_reason: str
    verdict: Literal["allowed", "blocked", "needs_review"]
    rule: str
    clause: str
    message: str
    consent_id: int | None
    redactable: bool
    review: FaceReviewPublic | None = None


class ReasonPublic(BaseModel):
    rule: str
    clause: str
    message: str
    verdict: Literal["allowed", "blocked", "needs_review"]


class EngineUsed(BaseModel):
    model: str
    detector: str
    detect_max_side: int
    searches: list[str] = Field(description="each face search that ran: detector@copy size, the turns searched")
    match_threshold: float
    review_threshold: float
    min_margin: float
    min_face_px: int


class ClearancePublic(BaseModel):
    id: int
    decision: Literal["allowed", "blocked", "needs_review"]
    reasons: list[ReasonPublic]
    faces: list[ClearanceFacePublic]
    uploader_id: int
    event_id: int | None
    context_kind: EventKind
    context_public: bool
    destination: Destination
    tags: list[str]
    caption: str | None
    review_reasons: list[str]
    context_confirmed: bool
    redaction_offered: bool
    redacted_of_id: int | None
    pack_id: str
    pack_version: str
    engine: EngineUsed
    consents_relied_on: list[int]
    photo_width: int
    photo_height: int
    photo_sha256: str
    photo_kept: bool
    taken_at: LocalDateTime | None
    context_check: Literal["event_time", "no_camera_time", "outside_event_time", "declared"] = Field(
        description="how the context was checked: the camera time within the named event, no camera time "
        "(unverified), outside the event (sent to review), or declared without an event"
    )
    created_at: datetime
    decided_at: datetime
    standing: Literal["allowed", "take_down", "taken_down", "blocked", "needs_review"] = Field(
        description="the photo now: its decision when checked, or take_down (no longer allowed since: see "
        "standing_reason) and taken_down (the uploader confirmed)"
    )
    standing_reason: str | None = None


class ClearanceSummary(BaseModel):
    id: int
    decision: Literal["allowed", "blocked", "needs_review"]
    uploader_id: int
    context_kind: EventKind
    context_public: bool
    destination: Destination
    faces: int
    caption: str | None
    created_at: datetime
    standing: Literal["allowed", "take_down", "taken_down", "blocked", "needs_review"] = Field(
        description="the photo now: its decision when checked, or take_down (no longer allowed since: see "
        "standing_reason) and taken_down (the uploader confirmed)"
    )
    standing_reason: str | None = None


class FaceResolution(Request):
    index: int = Field(ge=0)
    resolution: Literal["person", "nobody", "reject", "approve"] = Field(
        description="person: it is person_id; nobody: nobody enrolled; reject: may not be posted; "
        "approve: the identified person may be posted (settles a policy's review only)"
    )
    person_id: int | None = Field(None, description="who the face is, when the resolution is 'person'")

    @model_validator(mode="after")
    def _person_only_with_person(self) -> FaceResolution:
        if (self.resolution == "person") != (self.person_id is not None):
            raise ValueError("Give person_id exactly when the resolution is 'person'.")
        return self


class ClearanceReviewRequest(Request):
    faces: list[FaceResolution] = Field(default_factory=list, max_length=200)
    context_confirmed: bool = Field(False, description="the reviewer checked the photo belongs to the event")
    tags_approved: bool = Field(
        False,
        description="the reviewer approves what the tags show (e.g. a floor plan "
        "on the district website); a tag that blocks stays blocked",
    )
    note: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _something_to_do(self) -> ClearanceReviewRequest:
        if not self.faces and not self.context_confirmed and not self.tags_approved:
            raise ValueError("Resolve at least one face, approve the tags, or confirm the context.")
        if len({f.index for f in self.faces}) != len(self.faces):
            raise ValueError("Each face may be resolved once per review.")
        return self


class TakedownPublic(BaseModel):
    id: int
    clearance_id: int
    consent_id: int | None = Field(description="the form that stops the photo now, if one does")
    person_id: int | None = Field(description="whose standing stops the photo now")
    person_name: str
    uploader_id: int
    cause: Literal["revoked", "refused", "corrected", "new_form", "expired", "departed", "changed", "reviewed"] = Field(
        description="the act that set off the re-check: a revocation, a refusal, a correction, another new form, "
        "the daily re-check (forms that ran out), a departure, a change to the person's record, a reviewer"
    )
    reason: str
    created_at: datetime
    confirmed_at: datetime | None
    age_days: int = Field(description="days open (or days it took, once confirmed)")
    thumbnail_url: str | None = Field(description="a small copy of the photo, to find the post")

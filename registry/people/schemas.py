"""API schemas for people, guardians and the roster import."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import (
    BaseModel,
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

from registry.core.schemas import Request
from registry.policy.vocabulary import Destination, PersonKind, PersonStatus

GuardianRelationship = Literal["parent", "guardian"]


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
    external_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-]+$")
    name: str | None = Field(None, min_length=1, max_length=200)
    school: str | None = Field(None, max_length=120)
    grade: str | None = Field(None, max_length=20)
    birth_date: date | None = None
    status: PersonStatus | None = None
    departed_on: date | None = None
    guardians: list[GuardianIn] | None = Field(
        None, max_length=6, description="students only: replaces every recorded guardian; [] removes them all"
    )

    @field_validator("external_id", "name", "status", "guardians")
    @classmethod
    def _kept_if_null(cls, value: object) -> object:
        # Validators run only on values sent: a null here would blank a field every person must have.
        if value is None:
            raise ValueError("cannot be null; leave it out to keep it as it is")
        return value


Release = Literal["release_on_file", "refused", "no_release"]


class ReleasePublic(BaseModel):
    """The person's image release today, read as every decision reads it, with no destination named."""

    release: Release = Field(
        description="release_on_file: a grant in force; refused: a refusal or a withdrawal; no_release: anything else"
    )
    standing: str = Field(description="the reading: granted, refused, withdrawn, expired, not_yet_valid, none, ...")
    destinations: list[Destination] = Field(description="where a release lets photos go, or what a refusal refuses")
    words: str = Field(description="the deciding form in plain words")


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
    enrolled: bool = Field(description="reference faces are enrolled, so photos can recognise them")
    image_release: ReleasePublic


class RosterRowProblem(BaseModel):
    line: int
    external_id: str | None
    problem: str


class RosterAdded(BaseModel):
    id: int
    external_id: str
    name: str


ROSTER_ADDED_LISTED = 200  # the people an import added that its report names (a whole district is not listed)


class RosterReport(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: list[RosterRowProblem]
    groups_created: list[str] = Field(default_factory=list, description="groups the file named that were made")
    added: list[RosterAdded] = Field(
        default_factory=list, description=f"the people added, in the file's order (the first {ROSTER_ADDED_LISTED})"
    )
    summary: str = Field("", description="what the import did, in a sentence; it says so when nothing changed")

"""API schemas for clearances and reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import (
    BaseModel,
    Field,
    model_validator,
)

from registry.core.schemas import LocalDateTime, PhotoStanding, Request
from registry.faces.schemas import BoxPublic
from registry.policy.vocabulary import ContextKind, Destination, MatchBand, Verdict

# What a reviewer says of one face.
Resolution = Literal["person", "nobody", "reject", "approve", "no_one"]
# What is recorded of a face: a reviewer's word, or the uploader's naming of a face in their own photo.
RecordedResolution = Literal["person", "nobody", "reject", "approve", "no_one", "named", "named_nobody"]


class CandidatePublic(BaseModel):
    person_id: int
    name: str | None
    distance: float


class FaceReviewPublic(BaseModel):
    resolution: RecordedResolution
    person_id: int | None
    reviewer_id: int
    reviewed_at: datetime
    note: str | None


class ClearanceFacePublic(BaseModel):
    index: int
    box: BoxPublic
    band: MatchBand
    person_id: int | None
    person_name: str | None
    distance: float | None
    margin: float | None
    candidates: list[CandidatePublic]
    match_reason: str
    verdict: Verdict
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
    verdict: Verdict
    person_id: int | None = Field(None, description="the person this reason names, for those who may know them")


class EngineUsed(BaseModel):
    model: str
    detector: str
    detect_max_side: int
    searches: list[str] = Field(
        description="each face search that ran, in order: detector@copy size, the turns searched, its milliseconds"
    )
    match_threshold: float
    review_threshold: float
    min_margin: float
    min_face_px: int
    recognisable_face_px: int = Field(
        description="a face under this size that matches nobody is 'too small to recognise' (review), not unknown"
    )
    matched_against: str = Field(
        "", description="whom the faces were compared with: the people who could be there, and who else was searched"
    )


class ClearancePublic(BaseModel):
    id: int
    decision: Verdict
    reasons: list[ReasonPublic]
    faces: list[ClearanceFacePublic]
    uploader_id: int
    event_id: int | None
    context_kind: ContextKind
    context_public: bool
    destination: Destination
    tags: list[str]
    caption: str | None
    file_name: str | None = Field(None, description="the photo's file name as uploaded")
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
    standing: PhotoStanding = Field(
        description="the photo now: its decision when checked, or take_down (no longer allowed since: see "
        "standing_reason) and taken_down (the uploader confirmed)"
    )
    standing_reason: str | None = None


class ClearanceSummary(BaseModel):
    id: int
    decision: Verdict
    uploader_id: int
    context_kind: ContextKind
    context_public: bool
    destination: Destination
    faces: int
    caption: str | None
    file_name: str | None = Field(None, description="the photo's file name as uploaded")
    created_at: datetime
    standing: PhotoStanding = Field(
        description="the photo now: its decision when checked, or take_down (no longer allowed since: see "
        "standing_reason) and taken_down (the uploader confirmed)"
    )
    standing_reason: str | None = None


class FaceResolution(Request):
    index: int = Field(ge=0)
    resolution: Resolution = Field(
        description="person: it is person_id; nobody: nobody enrolled; reject: may not be posted; "
        "approve: the identified person may be posted (settles a policy's review only); no_one: nobody is "
        "there (only for a person whose face could not be checked: the search's find was wrong)"
    )
    person_id: int | None = Field(None, description="who the face is, when the resolution is 'person'")

    @model_validator(mode="after")
    def _person_only_with_person(self) -> FaceResolution:
        if (self.resolution == "person") != (self.person_id is not None):
            raise ValueError("Give person_id exactly when the resolution is 'person'.")
        return self


class FaceIdentification(Request):
    """Who one face is, said by the uploader (themself or a member of a group they lead) or a reviewer."""

    person_id: int | None = Field(None, description="who the face is")
    nobody_enrolled: bool = Field(False, description="the face is nobody on any roster (a visitor, a passer-by)")

    @model_validator(mode="after")
    def _one_answer(self) -> FaceIdentification:
        if (self.person_id is None) != self.nobody_enrolled:
            raise ValueError("Give person_id, or nobody_enrolled: true, not both.")
        return self


class ClearanceReviewRequest(Request):
    faces: list[FaceResolution] = Field(default_factory=list, max_length=200)
    context_confirmed: bool = Field(False, description="the reviewer checked the photo belongs to the event")
    not_at_event: bool = Field(
        False,
        description="the reviewer found the photo was not taken at the event it names: it is decided "
        "without that event, as taken somewhere not open to the public",
    )
    tags_approved: bool = Field(
        False,
        description="the reviewer approves what the tags show (e.g. a floor plan "
        "on the district website); a tag that blocks stays blocked",
    )
    note: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _something_to_do(self) -> ClearanceReviewRequest:
        if not self.faces and not self.context_confirmed and not self.tags_approved and not self.not_at_event:
            raise ValueError("Resolve at least one face, approve the tags, or confirm or deny the context.")
        if self.context_confirmed and self.not_at_event:
            raise ValueError("Say either that the photo was taken at its event or that it was not, not both.")
        if len({f.index for f in self.faces}) != len(self.faces):
            raise ValueError("Each face may be resolved once per review.")
        return self

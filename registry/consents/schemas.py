"""API schemas for consents, revocations and scans."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

from pydantic import (
    BaseModel,
    Field,
    field_validator,
    model_validator,
)

from registry.core.schemas import Request
from registry.policy.vocabulary import ConsentKind, ConsentStatus, Destination, SignerRelationship


class SignedPaper(Request):
    """What a signed paper form gives whatever it answers: whose it is, who signed it and when, its dates."""

    person_id: int
    signer_name: str = Field(min_length=1, max_length=200)
    signer_relationship: SignerRelationship
    signed_on: date
    valid_from: date | None = Field(None, description="defaults to the signing date")
    valid_until: date | None = Field(
        None, description="defaults to the end of the school year of the signing date (30 June); a refusal has none"
    )
    note: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _dates_in_order(self) -> SignedPaper:
        valid_from = self.valid_from or self.signed_on
        if self.valid_until is not None and self.valid_until < valid_from:
            raise ValueError(
                f"valid_until ({self.valid_until}) is before valid_from ({valid_from}): "
                "a consent must end after it starts."
            )
        return self

    def _refusal_dated(self) -> None:
        if self.valid_until is not None or self.valid_from not in (None, self.signed_on):
            raise ValueError(
                "A refusal has no start or end date: it holds from its signing date until a newer signed "
                "form grants consent. Leave valid_from and valid_until out."
            )


def _release_names_a_place(kind: str, status: str, scopes: Sequence[str]) -> None:
    if kind == "image_release" and status == "granted" and not scopes:
        raise ValueError("An image release must name at least one destination in scopes.")


class ConsentCreate(SignedPaper):
    kind: ConsentKind
    status: ConsentStatus
    scopes: list[Destination] = Field(
        default_factory=list,
        description="a grant: the destinations photos may go to (required for image_release); "
        "a refusal: the destinations refused, or none to refuse every destination",
    )
    corrects_id: int | None = Field(None, description="the consent this form corrects, if any")
    notice_version: str | None = Field(
        None, min_length=1, max_length=40, description="biometric only: the version of the notice the signer read"
    )
    purpose: str | None = Field(
        None, min_length=3, max_length=300, description="biometric only: the purpose the form states"
    )
    retention_years: int | None = Field(
        None,
        ge=1,
        le=3,
        description="biometric only: how long the form lets a template be kept after the person's last interaction "
        "(the district's own limit applies when it is shorter)",
    )

    @field_validator("scopes")
    @classmethod
    def _no_repeated_scopes(cls, scopes: list[str]) -> list[str]:
        return sorted(set(scopes))

    @model_validator(mode="after")
    def _answer_fits(self) -> ConsentCreate:
        _release_names_a_place(self.kind, self.status, self.scopes)
        terms = (self.notice_version, self.purpose, self.retention_years)
        if self.kind != "biometric" and any(t is not None for t in terms):
            raise ValueError("notice_version, purpose and retention_years belong to a biometric consent only.")
        if self.status == "refused":
            self._refusal_dated()
        return self


class FormAnswer(Request):
    """What one paper form answers about one kind of consent."""

    kind: ConsentKind
    status: ConsentStatus
    scopes: list[Destination] = Field(default_factory=list, description="as in a consent: the places it covers")

    @model_validator(mode="after")
    def _names_a_place(self) -> FormAnswer:
        _release_names_a_place(self.kind, self.status, self.scopes)
        return self


class PaperFormCreate(SignedPaper):
    """One signed paper that answers several questions (a photo release and face enrolment, say): one entry,
    one consent record per answer, each read on its own in the ledger. Signer, dates and note are the paper's."""

    answers: list[FormAnswer] = Field(min_length=1, max_length=3, description="one answer per kind of consent")
    notice_version: str | None = Field(None, min_length=1, max_length=40, description="as in a biometric consent")
    purpose: str | None = Field(None, min_length=3, max_length=300, description="as in a biometric consent")
    retention_years: int | None = Field(None, ge=1, le=3, description="as in a biometric consent")

    @model_validator(mode="after")
    def _one_answer_per_kind(self) -> PaperFormCreate:
        kinds = [answer.kind for answer in self.answers]
        if len(set(kinds)) != len(kinds):
            raise ValueError("A paper form answers each kind of consent once: answers repeat a kind.")
        if all(answer.status == "refused" for answer in self.answers):
            self._refusal_dated()
        terms = (self.notice_version, self.purpose, self.retention_years)
        if any(t is not None for t in terms) and "biometric" not in kinds:
            raise ValueError("notice_version, purpose and retention_years belong to a biometric answer only.")
        return self

    def consents(self) -> list[ConsentCreate]:
        """One consent per answer; the paper's dates apply to its grants (a refusal has none)."""
        return [
            ConsentCreate(
                person_id=self.person_id,
                kind=answer.kind,
                status=answer.status,
                scopes=answer.scopes,
                signer_name=self.signer_name,
                signer_relationship=self.signer_relationship,
                signed_on=self.signed_on,
                valid_from=self.valid_from if answer.status == "granted" else None,
                valid_until=self.valid_until if answer.status == "granted" else None,
                note=self.note,
                **(
                    {
                        "notice_version": self.notice_version,
                        "purpose": self.purpose,
                        "retention_years": self.retention_years,
                    }
                    if answer.kind == "biometric"
                    else {}
                ),
            )
            for answer in self.answers
        ]


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
    signer_relationship: SignerRelationship
    signed_on: date
    valid_from: date
    valid_until: date | None
    note: str | None
    corrects_id: int | None
    notice_version: str | None = None
    purpose: str | None = None
    retention_years: int | None = None
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
    signer_listed: bool | None = Field(
        None,
        description="a parent's or guardian's signature: whether the signer is among the student's guardians on "
        "the roster (false: signed by someone not on the roster); null when there is nothing to check",
    )
    revocation: RevocationPublic | None = None
    evidence: list[EvidencePublic] = Field(default_factory=list)

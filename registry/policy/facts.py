"""What the engine is told (people, consents, faces, context) and which consents are in force.

Plain frozen dataclasses: no framework, no database, no images. The words in the string
fields are those of `vocabulary.py`; `check_request` refuses any other before deciding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from registry.policy import vocabulary as v


class ClearanceRequestError(ValueError):
    """The request uses a word the vocabulary or the pack does not know: nothing is decided."""


@dataclass(frozen=True)
class PersonFacts:
    id: int
    kind: str
    name: str
    active: bool = True


@dataclass(frozen=True)
class ConsentFacts:
    id: int
    person_id: int
    kind: str
    status: str
    scopes: frozenset[str]  # the destinations the act covers
    signer_relationship: str
    signed_on: date
    valid_from: date
    valid_until: date
    revoked_at: datetime | None = None  # in force only if not yet revoked at the moment asked


@dataclass(frozen=True)
class FaceInput:
    index: int
    band: str
    person: PersonFacts | None  # the identified person, or the best candidate for "possible"
    candidates: tuple[PersonFacts, ...] = ()
    distance: float | None = None
    margin: float | None = None
    reason: str = ""  # from the matcher, e.g. "too small to identify"
    rejected_by_reviewer: bool = False  # a reviewer looked and said this face may not be posted
    approved_by_reviewer: bool = False  # settles a pack's needs_review for an identified face only
    blurred: bool = False  # lies in a region the service itself blurred (a redacted copy)


@dataclass(frozen=True)
class Context:
    kind: str
    public: bool


@dataclass(frozen=True)
class ClearanceRequest:
    faces: tuple[FaceInput, ...]
    context: Context
    destination: str
    tags: frozenset[str]
    uploader_person_id: int | None
    consents: tuple[ConsentFacts, ...]  # of the face people and the uploader; all acts, any state
    at: datetime
    extra_review_reasons: tuple[str, ...] = ()  # from the caller: at least needs_review
    approved_tags: frozenset[str] = frozenset()  # a reviewer settled these tags' needs_review


def in_force(consent: ConsentFacts, at: datetime) -> bool:
    not_revoked = consent.revoked_at is None or consent.revoked_at > at
    return not_revoked and consent.valid_from <= at.date() <= consent.valid_until


def deciding_act(
    consents: Iterable[ConsentFacts],
    *,
    person_id: int,
    kind: str,
    destination: str,
    at: datetime,
    signers: frozenset[str] | None,
) -> ConsentFacts | None:
    """The latest act in force of this kind covering the destination, or None.

    A grant counts only when signed by one of `signers` (None: anyone); a refusal counts
    whoever signed it, since honouring it can only close. The most recently signed act
    decides, and a refusal beats a grant signed the same day.
    """
    acts = [
        c
        for c in consents
        if c.person_id == person_id
        and c.kind == kind
        and destination in c.scopes
        and in_force(c, at)
        and (c.status == v.REFUSED or signers is None or c.signer_relationship in signers)
    ]
    return max(acts, key=lambda c: (c.signed_on, c.status == v.REFUSED, c.id), default=None)


def why_no_grant(
    consents: Iterable[ConsentFacts], *, person: PersonFacts, destination: str, at: datetime
) -> str:
    """Why the person's latest image-release grant does not count, in plain words."""
    grants = [
        c
        for c in consents
        if c.person_id == person.id and c.kind == "image_release" and c.status == v.GRANTED
    ]
    if not grants:
        return "no image-release consent on record"
    latest = max(grants, key=lambda c: (c.signed_on, c.id))
    label = f"image-release consent #{latest.id}"
    if latest.revoked_at is not None and latest.revoked_at <= at:
        return f"{label} was revoked on {latest.revoked_at.date().isoformat()}"
    if latest.valid_until < at.date():
        return f"{label} expired on {latest.valid_until.isoformat()}"
    if latest.valid_from > at.date():
        return f"{label} is valid only from {latest.valid_from.isoformat()}"
    if destination not in latest.scopes:
        return f"{label} does not cover {v.DESTINATION_LABELS[destination]}"
    if latest.signer_relationship not in v.SIGNERS_FOR[person.kind]:
        needed = " or ".join(sorted(v.SIGNERS_FOR[person.kind]))
        return f"{label} was signed by '{latest.signer_relationship}', not by a {needed}"
    return f"{label} is not in force"


def check_request(request: ClearanceRequest, tag_names: frozenset[str]) -> None:
    """Refuse any word outside the vocabulary (or the pack's tags) before deciding anything."""
    _known("destination", {request.destination}, v.DESTINATIONS)
    _known("context kind", {request.context.kind}, v.CONTEXT_KINDS)
    _known("tag", request.tags, tag_names)
    indexes = [face.index for face in request.faces]
    if len(set(indexes)) != len(indexes):
        raise ClearanceRequestError(f"face indexes repeat: {indexes}")
    for face in request.faces:
        _known("match band", {face.band}, v.MATCH_BANDS)
        if face.band != "unknown" and face.person is None:
            raise ClearanceRequestError(f"face {face.index} is {face.band} but names nobody")
        people = ([face.person] if face.person else []) + list(face.candidates)
        _known("person kind", {person.kind for person in people}, v.PERSON_KINDS)
    for consent in request.consents:
        _known("consent kind", {consent.kind}, v.CONSENT_KINDS)
        _known("consent status", {consent.status}, v.CONSENT_STATUSES)
        _known("signer relationship", {consent.signer_relationship}, v.SIGNER_RELATIONSHIPS)
        _known("consent scope", consent.scopes, v.DESTINATIONS)
        revoked = consent.revoked_at
        if revoked is not None and (revoked.tzinfo is None) != (request.at.tzinfo is None):
            raise ClearanceRequestError(
                f"consent {consent.id}: revoked_at and the decision time must both carry "
                "a time zone, or neither"
            )


def _known(what: str, words: Iterable[str], known: frozenset[str]) -> None:
    if unknown := sorted(set(words) - known):
        named = ", ".join(repr(word) for word in unknown)
        raise ClearanceRequestError(f"unknown {what} {named}; known: {', '.join(sorted(known))}")

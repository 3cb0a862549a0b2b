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
    birth_date: date | None = None  # decides whether a student signs their own forms (pack setting)
    departed_on: date | None = None
    left_on: date | None = None  # the last day they left the district, kept after a return


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
    valid_until: date | None  # None: no end date (a refusal never expires by the calendar)
    revoked_at: datetime | None = None  # withdrawn from this moment on
    corrects_id: int | None = None  # the form this one replaces
    signer_name: str = ""
    signer_listed: bool | None = None  # a parent's or guardian's signature: is the signer on the roster?


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
    unchecked: bool = False  # a person the search saw but could not check, whom no reviewer has named yet
    no_one_there: bool = False  # a reviewer found nobody where the search saw an unchecked person
    to_be_named: bool = False  # the district does not recognise this face, and nobody has named it yet


@dataclass(frozen=True)
class Context:
    kind: str
    public: bool
    event_named: bool = True  # False: declared by the uploader without naming a district event


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
    time_zone: str = "UTC"  # the district's: "today" is its calendar day at `at`
    uploader: PersonFacts | None = None  # the uploader's own record, for their logo-use consent
    context_notes: tuple[str, ...] = ()  # said with the decision, changing nothing (e.g. no camera time)
    # People who may be here (the event's school, the uploader's groups) whom the service cannot
    # recognise (no enrolled face) and who refused: their consents are among `consents`.
    refused_not_enrolled: tuple[PersonFacts, ...] = ()


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
        if face.band not in ("unknown", "unrecognisable") and face.person is None:
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
                f"consent {consent.id}: revoked_at and the decision time must both carry a time zone, or neither"
            )


def _known(what: str, words: Iterable[str], known: frozenset[str]) -> None:
    if unknown := sorted(set(words) - known):
        named = ", ".join(repr(word) for word in unknown)
        raise ClearanceRequestError(f"unknown {what} {named}; known: {', '.join(sorted(known))}")

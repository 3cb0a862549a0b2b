"""Small builders for clearance requests: people, consents, faces, contexts."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from registry.policy import (
    ClearanceRequest,
    ConsentFacts,
    Context,
    Decision,
    FaceInput,
    FaceVerdict,
    PersonFacts,
)

AT = datetime(2026, 1, 15, 14, 30, tzinfo=UTC)
TODAY = AT.date()
YESTERDAY = TODAY - timedelta(days=1)
SCHOOL_YEAR_START = date(2025, 9, 2)
SCHOOL_YEAR_END = date(2026, 6, 30)

OBAMA_STUDENT = PersonFacts(1, "student", "Barack Obama")
BIDEN = PersonFacts(2, "employee", "Joe Biden")
OBAMA_TEACHER = PersonFacts(3, "employee", "Barack Obama")
ROSE_PARENT = PersonFacts(4, "community_member", "Rose Leslie")
KIT_UPLOADER = PersonFacts(5, "employee", "Kit Harington")
LIN_STUDENT = PersonFacts(6, "student", "Lin-Manuel Miranda")

CLASSROOM = Context("classroom", public=False)
PUBLIC_GAME = Context("sporting_event", public=True)
PRIVATE_GAME = Context("sporting_event", public=False)
PUBLIC_CONCERT = Context("fine_arts_performance", public=True)
PUBLIC_ASSEMBLY = Context("assembly", public=True)

PERSONAL = "personal_social_media"

_ids = itertools.count(100)


def consent(
    person: PersonFacts,
    *,
    kind: str = "image_release",
    status: str = "granted",
    scopes: tuple[str, ...] = (PERSONAL,),
    signer: str | None = None,
    signed_on: date = SCHOOL_YEAR_START,
    valid_from: date | None = None,
    valid_until: date = SCHOOL_YEAR_END,
    revoked_at: datetime | None = None,
) -> ConsentFacts:
    """A consent act; by default a granted image release, properly signed, for this year."""
    return ConsentFacts(
        id=next(_ids),
        person_id=person.id,
        kind=kind,
        status=status,
        scopes=frozenset(scopes),
        signer_relationship=signer or ("parent" if person.kind == "student" else "self"),
        signed_on=signed_on,
        valid_from=valid_from or signed_on,
        valid_until=valid_until,
        revoked_at=revoked_at,
    )


def identified(person: PersonFacts) -> FaceInput:
    return FaceInput(index=-1, band="identified", person=person, distance=0.38, margin=0.2)


def possible(person: PersonFacts, *others: PersonFacts) -> FaceInput:
    return FaceInput(-1, "possible", person, candidates=others, distance=0.55, margin=0.03)


def unknown(reason: str = "") -> FaceInput:
    return FaceInput(index=-1, band="unknown", person=None, reason=reason)


def request(
    *faces: FaceInput,
    context: Context = CLASSROOM,
    destination: str = PERSONAL,
    tags: tuple[str, ...] = (),
    uploader: PersonFacts | None = None,
    consents: tuple[ConsentFacts, ...] = (),
    extra_review_reasons: tuple[str, ...] = (),
    at: datetime = AT,
) -> ClearanceRequest:
    """A request whose faces are numbered in the order given."""
    return ClearanceRequest(
        faces=tuple(replace(face, index=n) for n, face in enumerate(faces)),
        context=context,
        destination=destination,
        tags=frozenset(tags),
        uploader_person_id=uploader.id if uploader else None,
        consents=consents,
        at=at,
        extra_review_reasons=extra_review_reasons,
    )


def face(decision: Decision, index: int) -> FaceVerdict:
    return next(f for f in decision.faces if f.index == index)

"""Clearing a photo: find and identify the faces, decide under the pack, record why."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from media.analysis import AnalysisSettings, PhotoAnalysis
from media.faces import DETECTOR, ENGINE, Box
from media.finding import Unrecognisable
from registry.accounts.permissions import Permission, may
from registry.clearances.caption import caption_tags
from registry.clearances.check import Clearing, PhotoCheck, PhotoContext
from registry.clearances.expected import unrecognisable_refusals
from registry.clearances.facts import consent_facts, person_facts
from registry.clearances.gallery import gallery_for
from registry.core.db import discard, end_before_slow_work, trial
from registry.core.errors import Invalid, NotFound
from registry.core.files import crash_here_if_testing
from registry.core.settings import Settings
from registry.core.storage import NotStored, Storage, storage_for
from registry.events.service import get_event
from registry.faces.analysis_pool import analysis_settings, search_limits
from registry.faces.recognition import TO_BE_NAMED, match_in_mode, must_look_closer
from registry.models.accounts import User
from registry.models.base import id_of, utcnow
from registry.models.clearances import Clearance, ClearanceConsent, ClearanceFace, ClearanceReview
from registry.models.events import Event
from registry.policy import (
    ClearanceRequest,
    ConsentFacts,
    Context,
    Decision,
    FaceInput,
    PersonFacts,
    PolicyPack,
    decide,
)
from registry.policy.ledger import District, district_today
from registry.policy.vocabulary import CONTEXT_KINDS, DESTINATIONS


def resolve_context(
    session: Session,
    *,
    event_id: int | None,
    context_kind: str | None,
    context_public: bool | None,
) -> PhotoContext:
    if event_id is not None:
        event = get_event(session, event_id)
        if context_kind is not None and context_kind != event.kind:
            raise Invalid(f"Event {event_id} is a {event.kind}; leave context_kind out or make it match.")
        return PhotoContext(event.kind, event.public, event)
    if context_kind is None or context_public is None:
        raise Invalid(
            "Say where the photo was taken: choose an event, or give context_kind and "
            "context_public (was the event open to the public?)."
        )
    if context_kind not in CONTEXT_KINDS:
        raise Invalid(f"context_kind must be one of {', '.join(sorted(CONTEXT_KINDS))}.")
    return PhotoContext(context_kind, context_public, None)


def check_request_words(*, destination: str, tags: Sequence[str], pack: PolicyPack) -> None:
    if destination not in DESTINATIONS:
        raise Invalid(f"destination must be one of {', '.join(sorted(DESTINATIONS))}.")
    unknown = sorted(set(tags) - pack.tag_names)
    if unknown:
        raise Invalid(
            f"Unknown tag(s) {', '.join(unknown)}; this district's tags are {', '.join(sorted(pack.tag_names))}."
        )


def context_review_reasons(event: Event | None, taken_at: datetime | None, margin_minutes: int) -> list[str]:
    """A photo whose camera clock puts it outside the event it names needs a person to check."""
    if event is None or taken_at is None:
        return []
    margin = timedelta(minutes=margin_minutes)
    if event.starts_at - margin <= taken_at <= event.ends_at + margin:
        return []
    return [
        f"the photo's camera time ({taken_at:%Y-%m-%d %H:%M}) is outside the event "
        f"'{event.name}' ({event.starts_at:%Y-%m-%d %H:%M}–{event.ends_at:%H:%M}) by more than "
        f"{margin_minutes} minutes: check that it was taken there"
    ]


def context_check(event: Event | None, taken_at: datetime | None, margin_minutes: int) -> str:
    """How far the photo's own data supports the context it claims (see Clearance.context_check)."""
    if event is None:
        return "declared"
    if taken_at is None:
        return "no_camera_time"
    return "outside_event_time" if context_review_reasons(event, taken_at, margin_minutes) else "event_time"


def clear_photo(
    session: Session, check: PhotoCheck, photo: bytes, *, using: Clearing, photo_file: str | None = None
) -> Clearance:
    """Clears one photo, the one way every interface does: check the question, read the faces,
    search harder where a face the first search missed could change the answer, decide, record.

    The photo is kept in the uploads folder (``photo_file``, when the caller kept it already) and
    the clearance recorded in the session's transaction; the caller's commit makes both count.
    """
    resolve_check(session, check, pack=using.pack)
    analysis = _read_faces(session, photo, analysis_settings(using.settings), using=using)
    outcome = record_or_search_again(session, check, analysis, using=using, photo_file=photo_file)
    while not isinstance(outcome, Clearance):  # once at most: the closer look's result is recorded
        if using.hold_no_transaction:
            discard(session)  # nothing was recorded; no transaction during the second search
        analysis = _read_faces(session, photo, outcome, using=using)
        outcome = record_or_search_again(session, check, analysis, using=using, photo_file=photo_file)
    if photo_file is None:
        outcome.photo_file = store_upload(storage_for(using.settings), photo)
        session.add(outcome)
        session.flush()
    return outcome


def resolve_check(session: Session, check: PhotoCheck, *, pack: PolicyPack) -> PhotoContext:
    """The question's words and context, checked before any face is read."""
    context = resolve_context(
        session, event_id=check.event_id, context_kind=check.context_kind, context_public=check.context_public
    )
    check_request_words(destination=check.destination, tags=check.tags, pack=pack)
    return context


def _read_faces(session: Session, photo: bytes, how: AnalysisSettings, *, using: Clearing) -> PhotoAnalysis:
    if using.hold_no_transaction:
        end_before_slow_work(session)
    return using.analyse(photo, how)


def record_or_search_again(
    session: Session,
    check: PhotoCheck,
    analysis: PhotoAnalysis,
    *,
    using: Clearing,
    photo_file: str | None = None,
) -> Clearance | AnalysisSettings:
    """The recorded clearance; or, when a face the search missed could change an "allowed", nothing
    recorded and how to search again (the caller reads the faces again and comes back here)."""
    context = resolve_check(session, check, pack=using.pack)
    if must_look_closer(using.settings, searched_harder=analysis.searched_harder) or needs_closer_look(
        session, check, analysis, context=context, using=using
    ):
        return closer_look_settings(using.settings, analysis)
    return record_clearance(session, check, analysis, context=context, using=using, photo_file=photo_file)


def record_clearance(
    session: Session,
    check: PhotoCheck,
    analysis: PhotoAnalysis,
    *,
    context: PhotoContext,
    using: Clearing,
    photo_file: str | None = None,
) -> Clearance:
    """The cheap half: match the analysed faces against the templates in force now, decide, record."""
    clearance = _add_clearance(session, check, analysis, context=context, using=using, photo_file=photo_file)
    district = District(using.pack, using.settings.time_zone)
    decide_again(session, clearance=clearance, district=district, uploader=check.uploader)
    return clearance


def _add_clearance(
    session: Session,
    check: PhotoCheck,
    analysis: PhotoAnalysis,
    *,
    context: PhotoContext,
    using: Clearing,
    photo_file: str | None = None,
) -> Clearance:
    """The clearance and its matched faces, not yet decided."""
    settings, pack, blurred_boxes = using.settings, using.pack, check.blurred_boxes
    faces = analysis.faces
    gallery = gallery_for(
        session,
        event_id=context.event.id if context.event else None,
        uploader=check.uploader,
        today=district_today(utcnow(), settings.time_zone),
    )
    matches = match_in_mode(
        session,
        faces,
        settings=settings,
        templates=using.templates,
        within=gallery.people,
        watched=gallery.watched,
    )
    clearance = Clearance(
        uploader_id=id_of(check.uploader),
        event_id=context.event.id if context.event else None,
        context_kind=context.kind,
        context_public=context.public,
        destination=check.destination,
        tags=sorted(set(check.tags) | caption_tags(session, check.caption, pack)),
        caption=check.caption,
        file_name=check.file_name,
        decision="needs_review",
        review_reasons=context_review_reasons(context.event, analysis.taken_at, settings.event_time_margin_minutes)
        + search_review_reasons(analysis, blurred_boxes=blurred_boxes, as_unknown=pack.block_unchecked_person),
        context_check=context_check(context.event, analysis.taken_at, settings.event_time_margin_minutes),
        redacted_of_id=check.redacted_of.id if check.redacted_of else None,
        pack_id=pack.id,
        pack_version=pack.version,
        engine=ENGINE,
        detector=DETECTOR,
        detect_max_side=analysis.detect_max_side,
        searches=list(analysis.searches),
        matched_against=gallery.described[:300],
        match_threshold=settings.match_threshold,
        review_threshold=settings.review_threshold,
        min_margin=settings.min_margin,
        min_face_px=settings.min_face_px,
        recognisable_face_px=settings.recognisable_face_px,
        photo_sha256=analysis.sha256,
        photo_file=photo_file,
        photo_width=analysis.width,
        photo_height=analysis.height,
        taken_at=analysis.taken_at,
        thumbnail=analysis.thumbnail,
    )
    session.add(clearance)
    session.flush()
    for index, (face, match) in enumerate(zip(faces, matches, strict=True)):
        session.add(
            ClearanceFace(
                clearance_id=id_of(clearance),
                index=index,
                box_top=face.box.top,
                box_right=face.box.right,
                box_bottom=face.box.bottom,
                box_left=face.box.left,
                band=match.band,
                person_id=match.person_id,
                distance=match.distance,
                margin=match.margin,
                candidates=[[float(p), float(d)] for p, d in match.candidates],
                match_reason=match.reason[:300],
                verdict="needs_review",
                rule="",
                clause="",
                message="",
                blurred=any(_inside(face.box, b) for b in blurred_boxes),
            )
        )
    # a face of its own: settled by a reviewer's face act, or blocked where the pack says so
    for index, found in enumerate(_unblurred(analysis, blurred_boxes), start=len(faces)):
        session.add(
            ClearanceFace(
                clearance_id=id_of(clearance),
                index=index,
                box_top=found.box.top,
                box_right=found.box.right,
                box_bottom=found.box.bottom,
                box_left=found.box.left,
                band="unrecognisable",
                person_id=None,
                distance=None,
                margin=None,
                candidates=[],
                match_reason=f"{UNCHECKED_PERSON}: {found.why}",
                verdict="needs_review",
                rule="",
                clause="",
                message="",
                blurred=False,
            )
        )
    session.flush()
    return clearance


UNCHECKED_PERSON = "a person whose face could not be checked"


def _unblurred(analysis: PhotoAnalysis, blurred_boxes: Sequence[Box]) -> list[Unrecognisable]:
    """A face the service blurred is no one. A person whose face it blurred is that face, already decided:
    the person detector's box may hold the whole body or start at the shoulders, so the blurred face may be
    in it or just above it."""
    return [
        found
        for found in analysis.unrecognisable
        if not any(_inside(found.box, b) or _inside(b, _with_head_room(found.box)) for b in blurred_boxes)
    ]


def _with_head_room(person: Box) -> Box:
    """A person's box grown upward by half its height: where their head is when the box starts below it."""
    return Box(
        top=person.top - (person.bottom - person.top) // 2, right=person.right, bottom=person.bottom, left=person.left
    )


def search_review_reasons(
    analysis: PhotoAnalysis, *, blurred_boxes: Sequence[Box] = (), as_unknown: bool = False
) -> list[str]:
    """What the closer look saw but could not compare with anyone: never allowed on the service's say-so.

    Such a face or person goes to review, in words that say why and what to do, unless the pack decides
    them as an unknown face (``as_unknown``)."""
    reasons = []
    if not as_unknown and (found := _unblurred(analysis, blurred_boxes)):
        counts: dict[str, int] = {}
        for item in found:
            counts[item.why] = counts.get(item.why, 0) + 1
        seen = " and ".join(why if n == 1 else f"{n} times {why}" for why, n in counts.items())
        reasons.append(
            f"{UNCHECKED_PERSON}: the search found {seen}; upload a closer or clearer photo, or a reviewer will decide"
        )
    if analysis.unfinished:
        reasons.append(f"this photo could not be searched for faces completely: {analysis.unfinished}")
    return reasons


def needs_closer_look(
    session: Session, check: PhotoCheck, analysis: PhotoAnalysis, *, context: PhotoContext, using: Clearing
) -> bool:
    """Whether a photo must be searched harder before it may be allowed.

    The first search (YuNet upright, each face checked by HOG: ``media/finding.py`` ``look_upright``)
    misses faces that are not upright: a photo turned without an orientation tag, a head rolled far,
    lying down or upside down; and people whose face cannot be seen at all. Such a face,
    were it there, would be an unknown face. So when the photo would be allowed, but would not be
    with one unknown face more, it is searched again (``closer_look_settings``): a missed face must
    never be what allows a photo. Photos that are blocked or need review already, or are allowed
    whatever an unknown face would do, never pay for it. Decided in a trial that is rolled back;
    nothing is recorded.
    """
    if analysis.searched_harder:
        return False  # this is the closer look's own result
    with trial(session):
        clearance = _add_clearance(session, check, analysis, context=context, using=using)
        request = _request(
            session, clearance=clearance, uploader=check.uploader, at=None, time_zone=using.settings.time_zone
        )
    unseen = FaceInput(
        index=len(request.faces),
        band="unknown",
        person=None,
        reason="a face the first search could not find (too small, turned, covered)",
    )
    return (
        decide(request, using.pack).decision == "allowed"
        and decide(replace(request, faces=(*request.faces, unseen)), using.pack).decision != "allowed"
    )


def closer_look_settings(settings: Settings, first: PhotoAnalysis) -> AnalysisSettings:
    """A second search for everyone the first one missed: small, turned, covered or cut-off faces, and
    people whose face cannot be seen (``media/finding.py``). The faces the first search found are handed
    over, so that they are neither searched for nor encoded again."""
    return AnalysisSettings(
        first_faces=first.faces,
        first_unrecognisable=first.unrecognisable,
        first_candidates=first.candidates,
        first_searches=first.searches,
        detect_max_side=settings.detect_max_side,
        max_pixels=settings.max_pixels,
        max_decode_bytes=settings.max_decode_bytes,
        search_harder=True,
        encode=settings.face_recognition != "off",
        harder=search_limits(settings),
    )


def decide_again(
    session: Session,
    *,
    clearance: Clearance,
    district: District,
    uploader: User | None = None,
    at: datetime | None = None,
) -> Decision:
    """Decide from the recorded faces, the reviewers' resolutions and the consents in force now."""
    faces = faces_of(session, id_of(clearance))
    request = _request(
        session,
        clearance=clearance,
        uploader=uploader,
        at=at or district.now(),
        faces=faces,
        time_zone=district.time_zone,
    )
    decision = decide_clearance(request, district.pack)
    _record(session, clearance=clearance, faces=faces, decision=decision)
    return decision


PLACE_UNKNOWN = (
    "A reviewer found that the photo was not taken at the event it names: it is decided as taken "
    "somewhere not open to the public, under the strictest of the district's rules for such places."
)
STRICTNESS = {"allowed": 0, "needs_review": 1, "blocked": 2}


def decide_clearance(request: ClearanceRequest, pack: PolicyPack) -> Decision:
    """The engine's decision; for a photo a reviewer says was not taken where it claims, the strictest
    decision over every kind of place not open to the public (where it was taken is not known)."""
    if PLACE_UNKNOWN not in request.context_notes:
        return decide(request, pack)
    declared = request.context.kind
    kinds = [declared, *sorted(CONTEXT_KINDS - {declared})]
    decisions = [decide(replace(request, context=Context(kind, False, event_named=False)), pack) for kind in kinds]
    return max(decisions, key=lambda d: STRICTNESS.get(d.decision, 2))  # the first of the strictest: the declared kind


def _request(
    session: Session,
    *,
    clearance: Clearance,
    uploader: User | None,
    at: datetime | None,
    faces: list[ClearanceFace] | None = None,
    time_zone: str = "UTC",
) -> ClearanceRequest:
    """What the engine decides on: the recorded faces as reviewed, the people, their consents now."""
    uploader = uploader or session.get(User, clearance.uploader_id)
    faces = faces_of(session, id_of(clearance)) if faces is None else faces
    acts = reviews_of(session, id_of(clearance))
    ids = people_shown(faces, acts) | ({uploader.person_id} if uploader and uploader.person_id else set())
    refused_not_enrolled = unrecognisable_refusals(session, event_id=clearance.event_id, uploader=uploader)
    people = person_facts(session, ids | refused_not_enrolled)
    return build_request(
        clearance,
        faces=faces,
        reviews=acts,
        known=Known(
            people=people,
            consents=consent_facts(session, people.keys(), lock=True),
            uploader_person_id=uploader.person_id if uploader else None,
            refused_not_enrolled=tuple(sorted(refused_not_enrolled)),
        ),
        at=at or utcnow(),
        time_zone=time_zone,
    )


def people_shown(faces: Sequence[ClearanceFace], reviews: Sequence[ClearanceReview]) -> set[int]:
    """Everyone a clearance's faces name or could name: matches, candidates, reviewers' choices."""
    return (
        {f.person_id for f in faces if f.person_id}
        | {int(c[0]) for f in faces for c in f.candidates}
        | {r.person_id for r in reviews if r.person_id}
    )


@dataclass(frozen=True)
class Known:
    """What the registry knows for one decision: the people a clearance shows (and its uploader's
    person), and their consent acts."""

    people: dict[int, PersonFacts]
    consents: tuple[ConsentFacts, ...]
    uploader_person_id: int | None
    refused_not_enrolled: tuple[int, ...] = ()  # who may be in it, refused, and has no enrolled face (expected.py)


def build_request(
    clearance: Clearance,
    *,
    faces: Sequence[ClearanceFace],
    reviews: Sequence[ClearanceReview],
    known: Known,
    at: datetime,
    time_zone: str,
) -> ClearanceRequest:
    """The engine's request from a clearance's recorded rows (loaded one by one or in bulk)."""
    people, consents, uploader_person_id = known.people, known.consents, known.uploader_person_id
    reviews = effective(reviews)
    inputs = [reviewed(face, [a for a in reviews if a.face_index == face.index]) for face in faces]
    place_unknown = place_in_doubt(reviews) == "not_at_event"
    context_confirmed = not place_unknown and clearance.context_confirmed
    # A named event the photo's own data cannot place it at (no camera time) is the uploader's word, as
    # a declared one is: where its public arena is what would allow the photo, a reviewer confirms it.
    unverified = clearance.context_check == "no_camera_time" and not context_confirmed
    return ClearanceRequest(
        faces=tuple(
            FaceInput(
                index=face.index,
                band=r.band,
                person=people.get(r.person_id) if r.person_id else None,
                candidates=tuple(people[int(c[0])] for c in face.candidates if int(c[0]) in people),
                distance=face.distance,
                margin=face.margin,
                reason=face.match_reason,
                rejected_by_reviewer=r.rejected,
                approved_by_reviewer=r.approved,
                blurred=face.blurred,
                unchecked=face.match_reason.startswith(UNCHECKED_PERSON) and not r.looked_at,
                no_one_there=r.no_one,
                to_be_named=waits_for_name(face, r),
            )
            for face, r in zip(faces, inputs, strict=True)
        ),
        context=Context(clearance.context_kind, False, event_named=False)
        if place_unknown
        else Context(
            clearance.context_kind,
            clearance.context_public,
            event_named=(clearance.event_id is not None and not unverified) or context_confirmed,
        ),
        destination=clearance.destination,
        tags=frozenset(clearance.tags),
        uploader_person_id=uploader_person_id,
        uploader=people.get(uploader_person_id) if uploader_person_id else None,
        consents=consents,
        at=at,
        time_zone=time_zone,
        extra_review_reasons=open_reasons(clearance, faces, place_settled=context_confirmed or place_unknown)
        + waiting_for_names(faces, inputs),
        approved_tags=frozenset(clearance.tags)
        if any(a.resolution == "tags_approved" for a in reviews)
        else frozenset(),
        context_notes=(PLACE_UNKNOWN,) if place_unknown else CONTEXT_NOTES.get(clearance.context_check, ()),
        refused_not_enrolled=tuple(people[p] for p in known.refused_not_enrolled if p in people),
    )


WAITING_FOR_NAMES = "waiting for faces to be named"


def waits_for_name(face: ClearanceFace, reviewed_face: ReviewedFace) -> bool:
    """A face the district does not recognise, not yet named, and not blurred away by the service."""
    return face.match_reason.startswith(TO_BE_NAMED) and not reviewed_face.looked_at and not face.blurred


def waiting_for_names(faces: Sequence[ClearanceFace], inputs: Sequence[ReviewedFace]) -> tuple[str, ...]:
    """While a face the district does not recognise is unnamed, the photo waits (never allowed before)."""
    waiting = [f.index + 1 for f, r in zip(faces, inputs, strict=True) if waits_for_name(f, r)]
    if not waiting:
        return ()
    return (f"{WAITING_FOR_NAMES}: face {', '.join(str(n) for n in waiting)} (the uploader or a reviewer names them)",)


PLACE_ACTS = ("context_confirmed", "not_at_event")
PLACE_REASON = "the photo's camera time"  # how context_review_reasons begin: the only reasons a place act settles


def place_reasons(review_reasons: Sequence[str]) -> list[str]:
    """The reasons a question about the place settles (the camera time against the event)."""
    return [r for r in review_reasons if r.startswith(PLACE_REASON)]


def open_reasons(clearance: Clearance, faces: Sequence[ClearanceFace], *, place_settled: bool) -> tuple[str, ...]:
    """The recorded review reasons still open: a place act settles only the place's; a person whose face
    could not be checked is a face of the clearance (settled by a face act there), unless recorded before
    such people were faces (then nothing a reviewer says of the place settles it: fail closed)."""
    unchecked_faces = any(f.match_reason.startswith(UNCHECKED_PERSON) for f in faces)
    return tuple(
        r
        for r in clearance.review_reasons
        if not (place_settled and r.startswith(PLACE_REASON))
        and not (unchecked_faces and r.startswith(UNCHECKED_PERSON))
    )


def place_in_doubt(acts: Sequence[ClearanceReview]) -> str | None:
    """The reviewers' latest word on where the photo was taken (of the acts in force), if any."""
    return next((a.resolution for a in reversed(acts) if a.resolution in PLACE_ACTS), None)


def effective(acts: Sequence[ClearanceReview]) -> list[ClearanceReview]:
    """The acts in force: neither an undo nor undone by one (in the order given)."""
    undone = {a.undoes_id for a in acts if a.undoes_id is not None}
    return [a for a in acts if a.undoes_id is None and a.id not in undone]


CONTEXT_NOTES: dict[str, tuple[str, ...]] = {
    "no_camera_time": (
        "The photo carries no camera time, so the event it names could not be checked: recorded as unverified "
        "(where the event's public arena is what would allow it, a reviewer confirms where it was taken).",
    ),
}


def _record(session: Session, *, clearance: Clearance, faces: list[ClearanceFace], decision: Decision) -> None:
    verdicts = {v.index: v for v in decision.faces}
    for face in faces:
        verdict = verdicts[face.index]
        face.verdict, face.rule, face.clause = verdict.verdict, verdict.rule, verdict.clause
        face.message, face.consent_id, face.redactable = verdict.message, verdict.consent_id, verdict.redactable
        session.add(face)
    clearance.decision = decision.decision
    clearance.reasons = [
        {"rule": r.rule, "clause": r.clause, "message": r.message, "verdict": r.verdict}
        | ({"person_id": r.person_id} if r.person_id is not None else {})
        for r in decision.reasons
    ]
    clearance.redaction_offered = decision.redaction_offered
    clearance.pack_id, clearance.pack_version = decision.pack_id, decision.pack_version
    clearance.decided_at = utcnow()
    session.add(clearance)
    # Row by row, not by one DELETE: the audit log then names each consent the photo stops relying on,
    # and audit verification can tell a row deleted behind the log's back (registry/trust/audit_tables.py).
    kept = session.exec(select(ClearanceConsent).where(col(ClearanceConsent.clearance_id) == clearance.id)).all()
    for link in kept:
        if link.consent_id not in decision.consents_relied_on:
            session.delete(link)
    linked = {link.consent_id for link in kept}
    for consent_id in dict.fromkeys(c for c in decision.consents_relied_on if c not in linked):
        session.add(ClearanceConsent(clearance_id=id_of(clearance), consent_id=consent_id))
    session.flush()


def faces_of(session: Session, clearance_id: int) -> list[ClearanceFace]:
    return list(
        session.exec(
            select(ClearanceFace).where(ClearanceFace.clearance_id == clearance_id).order_by(col(ClearanceFace.index))
        )
    )


@dataclass(frozen=True)
class ReviewedFace:
    band: str
    person_id: int | None
    rejected: bool
    approved: bool
    no_one: bool = False  # a reviewer found nobody where the search saw an unchecked person
    looked_at: bool = False  # a reviewer has acted on this face


def reviewed(face: ClearanceFace, acts: list[ClearanceReview]) -> ReviewedFace:
    """The face as the reviewers' acts, in order, leave it: naming someone anew clears any verdict."""
    state = ReviewedFace(face.band, face.person_id, False, False)
    for act in acts:
        if act.resolution in ("person", "named"):  # named: by the uploader (registry/clearances/naming.py)
            state = ReviewedFace("identified", act.person_id, False, False, looked_at=True)
        elif act.resolution in ("nobody", "named_nobody"):
            state = ReviewedFace("unknown", None, False, False, looked_at=True)
        elif act.resolution == "no_one":
            state = ReviewedFace("unknown", None, False, False, no_one=True, looked_at=True)
        elif act.resolution in ("reject", "approve"):
            rejected, approved = act.resolution == "reject", act.resolution == "approve"
            state = ReviewedFace(
                state.band, state.person_id, rejected, approved, state.no_one, state.looked_at or rejected
            )
    return state


def reviews_of(session: Session, clearance_id: int) -> list[ClearanceReview]:
    """The reviewers' acts in force on a clearance, oldest first (undone ones and the undos left out)."""
    return effective(
        session.exec(
            select(ClearanceReview)
            .where(ClearanceReview.clearance_id == clearance_id)
            .order_by(col(ClearanceReview.id))
        ).all()
    )


def get_clearance_for(session: Session, clearance_id: int, user: User) -> Clearance:
    """The clearance, if this user may see it: employees see their own only (others look absent)."""
    clearance = session.get(Clearance, clearance_id)
    if clearance is None or (not may(user.role, Permission.SEE_EVERY_CLEARANCE) and clearance.uploader_id != user.id):
        raise NotFound(f"No clearance with id {clearance_id}.")
    return clearance


def list_clearances(
    session: Session,
    *,
    user: User,
    decision: str | None = None,
    mine: bool = False,
    originals: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Clearance], int]:
    """Newest first; ``originals``: without the blurred copies of photos listed (``blurred_copies`` lists those)."""
    statement = select(Clearance)
    if mine or not may(user.role, Permission.SEE_EVERY_CLEARANCE):
        statement = statement.where(Clearance.uploader_id == user.id)
    if originals:
        listed = select(Clearance.id).where(Clearance.uploader_id == user.id) if mine else select(Clearance.id)
        statement = statement.where(
            or_(col(Clearance.redacted_of_id).is_(None), col(Clearance.redacted_of_id).not_in(listed))
        )
    if decision:
        statement = statement.where(Clearance.decision == decision)
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(col(Clearance.id).desc()).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def blurred_copies(session: Session, originals: Sequence[Clearance], *, user: User) -> dict[int, list[Clearance]]:
    """The blurred copies this user was given of each of these photos, newest first, in one query."""
    ids = [id_of(c) for c in originals]
    copies: dict[int, list[Clearance]] = {i: [] for i in ids}
    if ids:
        for copy in session.exec(
            select(Clearance)
            .where(col(Clearance.redacted_of_id).in_(ids), Clearance.uploader_id == user.id)
            .order_by(col(Clearance.id).desc())
        ):
            copies[int(copy.redacted_of_id or 0)].append(copy)
    return copies


def store_upload(store: Storage, photo: bytes) -> str:
    """Keeps the original for reviewers and blurred copies until retention deletes it."""
    name = uuid.uuid4().hex
    store.put(f"uploads/{name}", photo)
    crash_here_if_testing("upload-written")  # the object exists; the row naming it is not committed yet
    return name


def read_upload(store: Storage, clearance: Clearance) -> bytes | None:
    if not clearance.photo_file:
        return None
    try:
        return store.get(f"uploads/{clearance.photo_file}")
    except NotStored:
        return None


def _inside(box: Box, area: Box) -> bool:
    middle_y, middle_x = (box.top + box.bottom) / 2, (box.left + box.right) / 2
    return area.top <= middle_y <= area.bottom and area.left <= middle_x <= area.right

"""Reviewers' resolutions, blurred copies, and the pictures a person needs to judge a clearance."""

from __future__ import annotations

from sqlmodel import Session, col, select

from media.faces import Box
from media.images import decode_photo, thumbnail_jpeg
from media.redact import face_thumbnail_jpeg, redact
from registry.clearances.check import Clearing, PhotoCheck
from registry.clearances.disclosure import Viewer, present_clearance, takedown_of, takedown_reason
from registry.clearances.facts import person_facts
from registry.clearances.schemas import (
    CandidatePublic,
    ClearanceFacePublic,
    ClearancePublic,
    ClearanceReviewRequest,
    ClearanceSummary,
    EngineUsed,
    FaceReviewPublic,
    ReasonPublic,
)
from registry.clearances.service import clear_photo, decide_again, faces_of, read_upload, reviewed, reviews_of
from registry.consents import standing
from registry.core.errors import Conflict, Invalid, NotFound
from registry.core.settings import Settings
from registry.faces.schemas import BoxPublic
from registry.models.accounts import User
from registry.models.base import as_utc, id_of
from registry.models.clearances import Clearance, ClearanceConsent, ClearanceReview
from registry.models.takedowns import Takedown
from registry.people.service import get_person
from registry.policy import PolicyPack
from registry.policy.ledger import District


def review_clearance(
    session: Session,
    *,
    clearance: Clearance,
    reviewer: User,
    data: ClearanceReviewRequest,
    district: District,
) -> Clearance:
    faces = {f.index: f for f in faces_of(session, id_of(clearance))}
    for resolution in data.faces:
        if resolution.index not in faces:
            raise Invalid(f"This photo has no face {resolution.index} (faces are numbered 0 to {len(faces) - 1}).")
        if resolution.person_id is not None:
            get_person(session, resolution.person_id)
    if data.context_confirmed and not clearance.review_reasons:
        raise Invalid("This photo's context was not in question; there is nothing to confirm.")
    if data.tags_approved and not clearance.tags:
        raise Invalid("This photo has no tags to approve.")
    before = clearance.decision
    acts = [
        ClearanceReview(
            clearance_id=id_of(clearance),
            face_index=r.index,
            resolution=r.resolution,
            person_id=r.person_id,
            note=data.note,
            reviewer_id=id_of(reviewer),
            decision_before=before,
            decision_after=before,
        )
        for r in data.faces
    ]
    if data.context_confirmed:
        clearance.context_confirmed = True
    for confirmed, what in ((data.context_confirmed, "context_confirmed"), (data.tags_approved, "tags_approved")):
        if confirmed:
            acts.append(
                ClearanceReview(
                    clearance_id=id_of(clearance),
                    face_index=None,
                    resolution=what,
                    note=data.note,
                    reviewer_id=id_of(reviewer),
                    decision_before=before,
                    decision_after=before,
                )
            )
    session.add_all(acts)
    session.flush()
    decision = decide_again(session, clearance=clearance, district=district)
    for act in acts:
        act.decision_after = decision.decision
    session.add_all(acts)
    session.flush()
    if before == "allowed" and decision.decision != "allowed":  # it may be posted already
        standing.request_takedown(session, clearance=clearance, decision=decision, cause="reviewed")
    return clearance


def redacted_copy(
    session: Session,
    *,
    clearance: Clearance,
    user: User,
    using: Clearing,
) -> tuple[bytes, Clearance]:
    """The photo with its blocking faces blurred and no metadata, itself cleared before it is given."""
    settings, pack = using.settings, using.pack
    if not clearance.redaction_offered:
        raise Conflict("No blurred copy is offered for this photo: " + _why_not_redactable(clearance))
    kept = _kept_copy(session, clearance=clearance, user=user, settings=settings, pack=pack)
    if kept is not None:
        return kept
    original = read_upload(settings.uploads_dir, clearance)
    if original is None:
        raise NotFound("The original photo is no longer kept (retention period over); upload it again.")
    decoded = decode_photo(original, max_pixels=settings.max_pixels)
    boxes = [_box(f) for f in faces_of(session, id_of(clearance)) if f.verdict == "blocked" and f.redactable]
    blurred = redact(decoded, boxes)
    check = PhotoCheck(
        uploader=user,
        destination=clearance.destination,
        event_id=clearance.event_id,
        context_kind=clearance.context_kind,
        context_public=clearance.context_public,
        tags=tuple(clearance.tags),
        caption=clearance.caption,
        redacted_of=clearance,
        blurred_boxes=tuple(b.padded(0.25, width=decoded.width, height=decoded.height) for b in boxes),
    )
    copy = clear_photo(session, check, blurred, using=using)
    if copy.decision != "allowed":
        raise Conflict(
            f"The blurred copy was checked too and is {copy.decision.replace('_', ' ')} "
            f"(clearance {copy.id}); it is not offered."
        )
    return blurred, copy


def _kept_copy(
    session: Session,
    *,
    clearance: Clearance,
    user: User,
    settings: Settings,
    pack: PolicyPack,
) -> tuple[bytes, Clearance] | None:
    """The blurred copy this user was already given, if it still stands: made after the photo's latest
    decision, under this pack, allowed, asked to be taken down by nobody, its file still kept.
    Downloading the copy again then records nothing new."""
    copies = session.exec(
        select(Clearance)
        .where(
            Clearance.redacted_of_id == clearance.id,
            Clearance.uploader_id == id_of(user),
            Clearance.decision == "allowed",
            Clearance.pack_id == pack.id,
            Clearance.pack_version == pack.version,
        )
        .order_by(col(Clearance.id).desc())
    ).all()
    for copy in copies:
        if as_utc(copy.created_at) < as_utc(clearance.decided_at):
            continue
        if session.exec(select(Takedown.id).where(Takedown.clearance_id == copy.id)).first() is not None:
            continue
        blurred = read_upload(settings.uploads_dir, copy)
        if blurred is not None:
            return blurred, copy
    return None


def _why_not_redactable(clearance: Clearance) -> str:
    if clearance.decision == "allowed":
        return "it may be posted as it is."
    if clearance.decision == "needs_review":
        return "a reviewer must look at it first."
    return "something other than a face blocks it (a tag or a face that may not be blurred)."


def photo_jpeg(settings: Settings, clearance: Clearance, *, max_side: int = 1600) -> bytes:
    original = read_upload(settings.uploads_dir, clearance)
    if original is None:
        raise NotFound("The original photo is no longer kept (retention period over).")
    return thumbnail_jpeg(decode_photo(original, max_pixels=settings.max_pixels).rgb, max_side=max_side)


def face_crop(session: Session, settings: Settings, clearance: Clearance, index: int) -> bytes:
    face = next((f for f in faces_of(session, id_of(clearance)) if f.index == index), None)
    if face is None:
        raise NotFound(f"Clearance {clearance.id} has no face {index}.")
    original = read_upload(settings.uploads_dir, clearance)
    if original is None:
        raise NotFound("The original photo is no longer kept (retention period over).")
    return face_thumbnail_jpeg(decode_photo(original, max_pixels=settings.max_pixels), _box(face))


def clearance_public(session: Session, clearance: Clearance, *, viewer: Viewer) -> ClearancePublic:
    """The clearance as this viewer may see it (registry/clearances/disclosure.py decides whose names they learn)."""
    faces = faces_of(session, id_of(clearance))
    acts = reviews_of(session, id_of(clearance))
    reviews = {int(a.face_index): a for a in acts if a.face_index is not None}  # the latest act per face
    identities = {f.index: reviewed(f, [a for a in acts if a.face_index == f.index]).person_id for f in faces}
    ids = {f.person_id for f in faces if f.person_id} | {int(c[0]) for f in faces for c in f.candidates}
    ids |= {p for p in identities.values() if p}
    names = {pid: p.name for pid, p in person_facts(session, ids).items()}
    relied = session.exec(
        select(ClearanceConsent.consent_id)
        .where(ClearanceConsent.clearance_id == clearance.id)
        .order_by(col(ClearanceConsent.consent_id))
    ).all()
    public_faces = []
    for face in faces:
        review = reviews.get(face.index)
        person_id = identities[face.index]
        public_faces.append(
            ClearanceFacePublic(
                index=face.index,
                box=BoxPublic(**_box(face).as_dict()),
                band=face.band,
                person_id=person_id,
                person_name=names.get(person_id) if person_id else None,
                distance=face.distance,
                margin=face.margin,
                candidates=[
                    CandidatePublic(person_id=int(c[0]), name=names.get(int(c[0])), distance=c[1])
                    for c in face.candidates
                ],
                match_reason=face.match_reason,
                verdict=face.verdict,
                rule=face.rule,
                clause=face.clause,
                message=face.message,
                consent_id=face.consent_id,
                redactable=face.redactable,
                review=FaceReviewPublic.model_validate(review.model_dump()) if review else None,
            )
        )
    public = ClearancePublic.model_validate(
        {
            **clearance.model_dump(),
            "reasons": [ReasonPublic.model_validate(r) for r in clearance.reasons],
            "faces": public_faces,
            "engine": EngineUsed(
                model=clearance.engine,
                detector=clearance.detector,
                detect_max_side=clearance.detect_max_side,
                searches=list(clearance.searches),
                match_threshold=clearance.match_threshold,
                review_threshold=clearance.review_threshold,
                min_margin=clearance.min_margin,
                min_face_px=clearance.min_face_px,
            ),
            "consents_relied_on": list(relied),
            "photo_kept": clearance.photo_file is not None,
            **standing.photo_standing(session, clearance).as_fields(),
        }
    )
    return present_clearance(session, public, viewer=viewer)


def clearance_summary(session: Session, clearance: Clearance, *, viewer: Viewer) -> ClearanceSummary:
    summary = ClearanceSummary.model_validate(
        {
            **clearance.model_dump(),
            "faces": len(faces_of(session, id_of(clearance))),
            **standing.photo_standing(session, clearance).as_fields(),
        }
    )
    takedown = takedown_of(session, clearance.id)
    if takedown is not None:
        summary.standing_reason = takedown_reason(session, takedown, viewer=viewer)
    return summary


def _box(face: object) -> Box:
    return Box(top=face.box_top, right=face.box_right, bottom=face.box_bottom, left=face.box_left)  # type: ignore[attr-defined]

"""Reviewers' resolutions, blurred copies, and the pictures a person needs to judge a clearance."""

from __future__ import annotations

from sqlmodel import Session, col, select

from media.faces import Box
from media.images import decode_photo, thumbnail_jpeg
from media.redact import face_thumbnail_jpeg, redact
from registry.clearances import (
    clear_photo,
    decide_again,
    faces_of,
    read_upload,
    reviewed,
    reviews_of,
)
from registry.errors import Conflict, Invalid, NotFound
from registry.facts import person_facts
from registry.models import Clearance, ClearanceConsent, ClearanceReview, User, id_of
from registry.people import get_person
from registry.policy import PolicyPack
from registry.schemas import (
    BoxPublic,
    CandidatePublic,
    ClearanceFacePublic,
    ClearancePublic,
    ClearanceReviewRequest,
    ClearanceSummary,
    EngineUsed,
    FaceReviewPublic,
    ReasonPublic,
)
from registry.settings import Settings
from registry.templates import TemplateCache


def review_clearance(
    session: Session, *, clearance: Clearance, reviewer: User, data: ClearanceReviewRequest, pack: PolicyPack,
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
        ClearanceReview(clearance_id=id_of(clearance), face_index=r.index, resolution=r.resolution,
                        person_id=r.person_id, note=data.note, reviewer_id=id_of(reviewer),
                        decision_before=before, decision_after=before)
        for r in data.faces
    ]
    if data.context_confirmed:
        clearance.context_confirmed = True
    for confirmed, what in ((data.context_confirmed, "context_confirmed"), (data.tags_approved, "tags_approved")):
        if confirmed:
            acts.append(ClearanceReview(
                clearance_id=id_of(clearance), face_index=None, resolution=what, note=data.note,
                reviewer_id=id_of(reviewer), decision_before=before, decision_after=before))
    session.add_all(acts)
    session.flush()
    decision = decide_again(session, clearance=clearance, pack=pack)
    for act in acts:
        act.decision_after = decision.decision
    session.add_all(acts)
    session.flush()
    return clearance


def redacted_copy(
    session: Session, *, clearance: Clearance, user: User, settings: Settings, pack: PolicyPack,
    templates: TemplateCache,
) -> tuple[bytes, Clearance]:
    """The photo with its blocking faces blurred and no metadata, itself cleared before it is given."""
    if not clearance.redaction_offered:
        raise Conflict("No blurred copy is offered for this photo: " + _why_not_redactable(clearance))
    original = read_upload(settings.uploads_dir, clearance)
    if original is None:
        raise NotFound("The original photo is no longer kept (retention period over); upload it again.")
    decoded = decode_photo(original, max_pixels=settings.max_pixels)
    boxes = [_box(f) for f in faces_of(session, id_of(clearance)) if f.verdict == "blocked" and f.redactable]
    blurred = redact(decoded, boxes)
    copy = clear_photo(
        session, photo=blurred, uploader=user, destination=clearance.destination, event_id=clearance.event_id,
        context_kind=clearance.context_kind, context_public=clearance.context_public, tags=clearance.tags,
        caption=clearance.caption, settings=settings, pack=pack, templates=templates,
        redacted_of=clearance, blurred_boxes=[b.padded(0.25, width=decoded.width, height=decoded.height)
                                              for b in boxes])
    if copy.decision != "allowed":
        raise Conflict(f"The blurred copy was checked too and is {copy.decision.replace('_', ' ')} "
                       f"(clearance {copy.id}); it is not offered.")
    return blurred, copy


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


def clearance_public(session: Session, clearance: Clearance) -> ClearancePublic:
    faces = faces_of(session, id_of(clearance))
    acts = reviews_of(session, id_of(clearance))
    reviews = {int(a.face_index): a for a in acts if a.face_index is not None}  # the latest act per face
    identities = {f.index: reviewed(f, [a for a in acts if a.face_index == f.index]).person_id for f in faces}
    ids = {f.person_id for f in faces if f.person_id} | {int(c[0]) for f in faces for c in f.candidates}
    ids |= {p for p in identities.values() if p}
    names = {pid: p.name for pid, p in person_facts(session, ids).items()}
    relied = session.exec(select(ClearanceConsent.consent_id).where(
        ClearanceConsent.clearance_id == clearance.id).order_by(col(ClearanceConsent.consent_id))).all()
    public_faces = []
    for face in faces:
        review = reviews.get(face.index)
        person_id = identities[face.index]
        public_faces.append(ClearanceFacePublic(
            index=face.index, box=BoxPublic(**_box(face).as_dict()), band=face.band,  # type: ignore[arg-type]
            person_id=person_id, person_name=names.get(person_id) if person_id else None,
            distance=face.distance, margin=face.margin,
            candidates=[CandidatePublic(person_id=int(c[0]), name=names.get(int(c[0])), distance=c[1])
                        for c in face.candidates],
            match_reason=face.match_reason, verdict=face.verdict, rule=face.rule,  # type: ignore[arg-type]
            clause=face.clause, message=face.message, consent_id=face.consent_id, redactable=face.redactable,
            review=FaceReviewPublic.model_validate(review.model_dump()) if review else None,
        ))
    return ClearancePublic.model_validate({
        **clearance.model_dump(),
        "reasons": [ReasonPublic.model_validate(r) for r in clearance.reasons],
        "faces": public_faces,
        "engine": EngineUsed(model=clearance.engine, detector=clearance.detector,
                             detect_max_side=clearance.detect_max_side, searches=list(clearance.searches),
                             match_threshold=clearance.match_threshold,
                             review_threshold=clearance.review_threshold, min_margin=clearance.min_margin,
                             min_face_px=clearance.min_face_px),
        "consents_relied_on": list(relied),
        "photo_kept": clearance.photo_file is not None,
    })


def clearance_summary(session: Session, clearance: Clearance) -> ClearanceSummary:
    return ClearanceSummary.model_validate({**clearance.model_dump(),
                                           "faces": len(faces_of(session, id_of(clearance)))})


def _box(face: object) -> Box:
    return Box(top=face.box_top, right=face.box_right, bottom=face.box_bottom, left=face.box_left)  # type: ignore[attr-defined]

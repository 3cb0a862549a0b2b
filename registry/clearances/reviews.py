"""Reviewers' resolutions, blurred copies, and the pictures a person needs to judge a clearance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import PurePath

from sqlalchemy import func
from sqlmodel import Session, col, select

from media.faces import Box
from media.images import decode_photo, thumbnail_jpeg
from media.redact import face_thumbnail_jpeg, redact
from registry.clearances.carried_names import carry_names_over
from registry.clearances.check import Clearing, PhotoCheck
from registry.clearances.disclosure import Viewer, present_clearance, present_takedown
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
from registry.clearances.service import (
    UNCHECKED_PERSON,
    clear_photo,
    decide_again,
    faces_of,
    place_in_doubt,
    place_reasons,
    read_upload,
    reviewed,
    reviews_of,
)
from registry.consents import standing
from registry.core import audit
from registry.core.db import keep_despite_refusal
from registry.core.errors import Conflict, Invalid, NotFound
from registry.core.settings import Settings
from registry.core.storage import storage_for
from registry.faces.schemas import BoxPublic
from registry.models.accounts import User
from registry.models.base import as_utc, id_of, utcnow
from registry.models.clearances import Clearance, ClearanceConsent, ClearanceFace, ClearanceReview
from registry.models.takedowns import Takedown
from registry.people.service import get_person
from registry.policy import Decision, PolicyPack
from registry.policy.engine import NOT_APPROVABLE
from registry.policy.ledger import District
from registry.takedowns.service import withdraw_raised_since


def review_clearance(
    session: Session,
    *,
    clearance: Clearance,
    reviewer: User,
    data: ClearanceReviewRequest,
    district: District,
) -> Clearance:
    """One reviewer's act: faces named (any person in the registry, not only the candidates), cleared
    or rejected, the place confirmed or denied, the tags approved; then the photo is decided again
    under the pack. The act only informs the decision: it is the pack that allows."""
    hold(session, clearance)
    faces = {f.index: f for f in faces_of(session, id_of(clearance))}
    for resolution in data.faces:
        if resolution.index not in faces:
            raise Invalid(f"This photo has no face {resolution.index} (faces are numbered 0 to {len(faces) - 1}).")
        if resolution.person_id is not None:
            get_person(session, resolution.person_id)
        _check_face_act(faces[resolution.index], resolution.resolution)
    if data.context_confirmed and place_question(clearance) is None:
        raise Invalid("This photo's context was not in question; there is nothing to confirm.")
    if data.not_at_event and place_in_doubt(reviews_of(session, id_of(clearance))) == "not_at_event":
        raise Invalid("A reviewer already said this photo was not taken at the event it names.")
    if data.tags_approved and not clearance.tags:
        raise Invalid("This photo has no tags to approve.")
    before = clearance.decision
    at = utcnow()  # every row of one act carries the same time: an undo takes back the act as a whole
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
            reviewed_at=at,
        )
        for r in data.faces
    ]
    if data.context_confirmed:
        clearance.context_confirmed = True
    if data.not_at_event:
        clearance.context_confirmed = False
    photo_acts = (
        (data.context_confirmed, "context_confirmed"),
        (data.not_at_event, "not_at_event"),
        (data.tags_approved, "tags_approved"),
    )
    for confirmed, what in photo_acts:
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
                    reviewed_at=at,
                )
            )
    session.add_all(acts)
    session.flush()
    decide_after_acts(session, clearance=clearance, acts=acts, before=before, district=district)
    return clearance


def _check_face_act(face: ClearanceFace, resolution: str) -> None:
    """Acts a face cannot take: allowing one of two faces matched to one person, or a person whose face
    could not be checked; finding nobody where the search found a face it could check."""
    number = face.index + 1
    if resolution == "approve" and face.rule in NOT_APPROVABLE:
        raise Invalid(
            f"Face {number} cannot be allowed as it is: "
            + (
                "it is matched to the same person as another face. Say who each face is, or reject one."
                if face.rule == "same-person-twice"
                else "nobody has said who it is. Say who it is, reject it, or say nobody is there."
            )
        )
    if resolution == "no_one" and not face.match_reason.startswith(UNCHECKED_PERSON):
        raise Invalid(
            f"Face {number} is a face the service found and checked: say who it is, that it is nobody "
            "enrolled, or reject it."
        )


def place_question(clearance: Clearance) -> str | None:
    """What a reviewer is asked about the place, if anything: whether the photo was taken at the event
    it names (its camera time is outside it), or whether it comes from the public event it claims (the
    public arena is what would allow it, and nothing shows it was taken there)."""
    if clearance.context_confirmed:
        return None
    if place_reasons(clearance.review_reasons):
        return "camera_time"
    if any(r.get("rule") == "unverified-public-arena" for r in clearance.reasons):
        return "public_arena"
    return None


def decide_after_acts(
    session: Session, *, clearance: Clearance, acts: list[ClearanceReview], before: str, district: District
) -> Decision:
    """The photo decided again after reviewers' rows; a photo that may have been posted and is no
    longer allowed becomes a takedown request."""
    decision = decide_again(session, clearance=clearance, district=district)
    for act in acts:
        act.decision_after = decision.decision
    session.add_all(acts)
    session.flush()
    if before == "allowed" and decision.decision != "allowed":  # it may be posted already
        standing.request_takedown(session, clearance=clearance, decision=decision, cause="reviewed")
    return decision


def last_act(session: Session, *, reviewer: User) -> list[ClearanceReview]:
    """The rows of this reviewer's latest act (an undo is an act too: there is one step of undo)."""
    latest = session.exec(
        select(ClearanceReview)
        .where(ClearanceReview.reviewer_id == id_of(reviewer))
        .order_by(col(ClearanceReview.id).desc())
        .limit(1)
    ).first()
    if latest is None or latest.undoes_id is not None:
        return []
    return list(
        session.exec(
            select(ClearanceReview)
            .where(
                ClearanceReview.clearance_id == latest.clearance_id,
                ClearanceReview.reviewer_id == id_of(reviewer),
                ClearanceReview.reviewed_at == latest.reviewed_at,
                col(ClearanceReview.undoes_id).is_(None),
            )
            .order_by(col(ClearanceReview.id))
        )
    )


def undo_last_act(
    session: Session,
    *,
    clearance: Clearance,
    reviewer: User,
    since: datetime | None,
    district: District,
) -> Clearance:
    """Takes back this reviewer's latest act, if it was on this photo, made in this sign-in (after
    ``since``) and nobody has acted on the photo after it. Recorded as new rows naming the rows they
    undo; the photo is decided again without them, as it was before the act unless the consents have
    changed meanwhile (then the decision of today stands, as after any act)."""
    hold(session, clearance)
    acts = last_act(session, reviewer=reviewer)
    if not acts or acts[0].clearance_id != clearance.id:
        raise Conflict("There is nothing of yours to undo on this photo: only your last act can be undone.")
    if since is not None and as_utc(acts[0].reviewed_at) < as_utc(since):
        raise Conflict("Your last act on this photo was made before you signed in; it can no longer be undone here.")
    later = session.exec(
        select(ClearanceReview.id).where(
            ClearanceReview.clearance_id == id_of(clearance), col(ClearanceReview.id) > acts[-1].id
        )
    ).first()
    if later is not None:
        raise Conflict("Another reviewer has acted on this photo since; your act can no longer be undone.")
    before = clearance.decision
    at = utcnow()
    undos = [
        ClearanceReview(
            clearance_id=id_of(clearance),
            face_index=act.face_index,
            resolution="undo",
            person_id=None,
            note=None,
            reviewer_id=id_of(reviewer),
            decision_before=before,
            decision_after=before,
            reviewed_at=at,
            undoes_id=act.id,
        )
        for act in acts
    ]
    session.add_all(undos)
    session.flush()
    clearance.context_confirmed = place_in_doubt(reviews_of(session, id_of(clearance))) == ("context_confirmed")
    session.add(clearance)
    decision = decide_after_acts(session, clearance=clearance, acts=undos, before=before, district=district)
    if acts[0].decision_before == "allowed":  # only an allowed photo may be posted: only then was one raised
        withdraw_raised_since(session, clearance=clearance, since=acts[0].reviewed_at, decision=decision)
    return clearance


def hold(session: Session, clearance: Clearance) -> None:
    """One reviewer's act or undo on a photo at a time: the audit chain's lock first, as every writer takes
    it, then the photo's row; what was read of the photo before is read again."""
    audit.lock_chain(session)
    session.exec(
        select(Clearance)
        .where(Clearance.id == id_of(clearance))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


ACT_WORDS = {
    "person": "named a face",
    "nobody": "said a face is nobody enrolled",
    "named": "named a face in their own photo",
    "named_nobody": "said a face in their own photo is nobody on any roster",
    "reject": "rejected a face",
    "approve": "allowed a face",
    "no_one": "found nobody where the search saw a person",
    "context_confirmed": "confirmed where the photo was taken",
    "not_at_event": "said the photo was not taken at its event",
    "tags_approved": "approved what the photo shows",
}


def act_words(acts: list[ClearanceReview]) -> str:
    """What an act did, in a few words (for the undo button)."""
    return " and ".join(dict.fromkeys(ACT_WORDS.get(a.resolution, a.resolution) for a in acts))


def review_queue(session: Session, *, limit: int) -> tuple[list[Clearance], int]:
    """The photos waiting for a reviewer, the one waiting longest first."""
    waiting = select(Clearance).where(Clearance.decision == "needs_review")
    total = session.exec(select(func.count()).select_from(waiting.subquery())).one()
    rows = session.exec(waiting.order_by(col(Clearance.created_at), col(Clearance.id)).limit(limit)).all()
    return list(rows), int(total)


def uploader_names(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.exec(select(User.id, User.full_name).where(col(User.id).in_(sorted(user_ids)))).all()
    return {int(i or 0): name for i, name in rows}


def decided_since_seen(session: Session, *, user: User) -> list[Clearance]:
    """This person's photos a reviewer has acted on since they last looked at their photos, now decided."""
    acted = select(ClearanceReview.clearance_id).where(ClearanceReview.reviewer_id != id_of(user))  # not their own
    if user.reviews_seen_at is not None:
        acted = acted.where(col(ClearanceReview.reviewed_at) > user.reviews_seen_at)
    return list(
        session.exec(
            select(Clearance)
            .where(
                Clearance.uploader_id == id_of(user),
                Clearance.decision != "needs_review",
                col(Clearance.id).in_(acted),
            )
            .order_by(col(Clearance.id))
        )
    )


def mark_reviews_seen(session: Session, *, user: User) -> None:
    """They have looked at their photos: the reviewers' decisions so far are no longer news (written only
    when there was news, so that looking is not an entry in the audit log each time)."""
    if decided_since_seen(session, user=user):
        user.reviews_seen_at = utcnow()
        session.add(user)
        session.flush()


def waiting_count(session: Session) -> int:
    return int(session.exec(select(func.count()).where(Clearance.decision == "needs_review")).one())


def why_review(public: ClearancePublic) -> list[str]:
    """Why a photo waits for a reviewer, in words (the reviewer may know every name)."""
    words = []
    for face in public.faces:
        if face.verdict != "needs_review":
            continue
        number = face.index + 1
        names = [c.name or f"person {c.person_id}" for c in face.candidates]
        if face.band == "possible" and names:
            words.append(f"Face {number}: not sure who it is — it may be {' or '.join(names)}.")
        elif face.rule == "unchecked-person":
            words.append(f"Face {number}: a person whose face the service could not check.")
        elif face.band == "unknown":
            words.append(f"Face {number}: someone the service could not identify or check.")
        else:  # identified, but the policy leaves it to a reviewer; the message names them and says why
            words.append(f"Face {number}: {face.message}")
    if not public.context_confirmed:
        words += [f"Where it was taken: {r[:1].upper()}{r[1:]}." for r in place_reasons(public.review_reasons)]
    already = ("Face ", "Review requested")  # the faces above; the camera time as "where it was taken"
    words += [
        r.message
        for r in public.reasons
        if r.verdict == "needs_review" and r.rule != "summary" and not r.message.startswith(already)
    ]
    return words or ["The policy asks a reviewer to decide this photo."]


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
    original = read_upload(storage_for(settings), clearance)
    if original is None:
        raise NotFound("The original photo is no longer kept (retention period over); upload it again.")
    decoded = decode_photo(original, max_pixels=settings.max_pixels, max_decode_bytes=settings.max_decode_bytes)
    boxes = [_box(f) for f in faces_of(session, id_of(clearance)) if f.verdict == "blocked" and f.redactable]
    blurred = redact(decoded, boxes)
    check = PhotoCheck.asked_again(
        clearance,
        uploader=user,
        redacted_of=clearance,
        blurred_boxes=tuple(b.padded(0.25, width=decoded.width, height=decoded.height) for b in boxes),
        file_name=blurred_file_name(clearance),
    )
    copy = clear_photo(session, check, blurred, using=using)
    if copy.decision == "needs_review":  # its faces may wait for the names given to the original's
        copy = carry_names_over(session, original=clearance, copy=copy, district=District(pack, settings.time_zone))
    if copy.decision != "allowed":
        # The copy stays recorded (and waits for its reviewer, if it needs one): asked again, it is refused as it is.
        keep_despite_refusal(session)
        _refuse(copy)
    return blurred, copy


def _refuse(copy: Clearance) -> None:
    if copy.decision == "needs_review":
        raise Conflict(
            f"The blurred copy was checked too and waits for a reviewer (clearance {copy.id}); "
            "it is offered once a reviewer allows it."
        )
    raise Conflict(f"The blurred copy was checked too and is blocked (clearance {copy.id}); it is not offered.")


def blurred_file_name(clearance: Clearance) -> str:
    """The blurred copy's name: the original's with "-blurred" ("game.jpg" gives "game-blurred.jpg")."""
    stem = PurePath(clearance.file_name).stem if clearance.file_name else ""
    return f"{stem or f'photo-{clearance.id}'}-blurred.jpg"


def _kept_copy(
    session: Session,
    *,
    clearance: Clearance,
    user: User,
    settings: Settings,
    pack: PolicyPack,
) -> tuple[bytes, Clearance] | None:
    """The blurred copy made for this user of the photo as decided now, under this pack, if it still
    stands: one copy per decision of the photo and pack, so asking again records nothing new. A copy that
    waits for a reviewer, or was blocked, is refused again as it is (no new copy, no new review); an
    allowed one is given while nobody asked to take it down and its file is kept."""
    copies = session.exec(
        select(Clearance)
        .where(
            Clearance.redacted_of_id == clearance.id,
            Clearance.uploader_id == id_of(user),
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
        if copy.decision != "allowed":
            _refuse(copy)
        blurred = read_upload(storage_for(settings), copy)
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
    original = read_upload(storage_for(settings), clearance)
    if original is None:
        raise NotFound("The original photo is no longer kept (retention period over).")
    return thumbnail_jpeg(
        decode_photo(original, max_pixels=settings.max_pixels, max_decode_bytes=settings.max_decode_bytes).rgb,
        max_side=max_side,
    )


def face_crop(session: Session, settings: Settings, clearance: Clearance, index: int) -> bytes:
    face = next((f for f in faces_of(session, id_of(clearance)) if f.index == index), None)
    if face is None:
        raise NotFound(f"Clearance {clearance.id} has no face {index}.")
    original = read_upload(storage_for(settings), clearance)
    if original is None:
        raise NotFound("The original photo is no longer kept (retention period over).")
    return face_thumbnail_jpeg(
        decode_photo(original, max_pixels=settings.max_pixels, max_decode_bytes=settings.max_decode_bytes), _box(face)
    )


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
                recognisable_face_px=clearance.recognisable_face_px,
                matched_against=clearance.matched_against,
            ),
            "consents_relied_on": list(relied),
            "photo_kept": clearance.photo_file is not None,
            **standing.photo_standing(session, clearance).as_fields(),
        }
    )
    return present_clearance(session, public, viewer=viewer)


def clearance_summary(session: Session, clearance: Clearance, *, viewer: Viewer) -> ClearanceSummary:
    return clearance_summaries(session, [clearance], viewer=viewer)[0]


def clearance_summaries(session: Session, clearances: Sequence[Clearance], *, viewer: Viewer) -> list[ClearanceSummary]:
    """Each photo's summary and standing now, with a fixed number of queries however many photos."""
    ids = [id_of(c) for c in clearances]
    faces: dict[int, int] = {}
    if ids:
        counted = session.exec(
            select(ClearanceFace.clearance_id, func.count())
            .where(col(ClearanceFace.clearance_id).in_(ids))
            .group_by(col(ClearanceFace.clearance_id))
        )
        faces = {int(clearance_id): int(count) for clearance_id, count in counted}
    takedowns = standing.first_takedowns(session, ids)
    summaries = []
    for clearance in clearances:
        takedown = takedowns.get(id_of(clearance))
        summary = ClearanceSummary.model_validate(
            {
                **clearance.model_dump(),
                "faces": faces.get(id_of(clearance), 0),
                **standing.standing_with(clearance, takedown).as_fields(),
            }
        )
        if takedown is not None:
            summary.standing_reason = present_takedown(session, takedown, viewer=viewer).reason
        summaries.append(summary)
    return summaries


def _box(face: object) -> Box:
    return Box(top=face.box_top, right=face.box_right, bottom=face.box_bottom, left=face.box_left)  # type: ignore[attr-defined]

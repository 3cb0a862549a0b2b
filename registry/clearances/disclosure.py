"""Who may learn who a face is: the one place every interface asks before it names a person.

A photo check must not become a way to find out who a child in an arbitrary photo is. Office
staff, reviewers and administrators may identify anyone (they keep the whole answer, as it was).
An employee is told the name only of their own face and of people in the groups they lead
(their team, choir or homeroom), and only for a face identified with confidence; every other face
is described in words that say what to do ("A student without a release for this destination:
blur or leave it out"). Candidates, distances and ids are for the roles that may identify anyone.
Each name told to an employee (other than their own) is an entry in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from registry.accounts.permissions import Permission, may
from registry.clearances.schemas import ClearanceFacePublic, ClearancePublic, ReasonPublic
from registry.core.audit import record_act
from registry.groups.service import people_led_by
from registry.models.accounts import User
from registry.models.base import id_of
from registry.models.consents import Consent, ConsentRevocation
from registry.models.people import Person
from registry.models.takedowns import Takedown
from registry.policy import vocabulary as v

WHO = {
    "student": "A student",
    "employee": "A co-worker",
    "community_member": "Someone from the community (a parent or a volunteer)",
}
SOMEONE = "Someone in the photo"
PERSON_WORDS = {"student": "a student", "employee": "a co-worker", "community_member": "a parent or volunteer"}


@dataclass(frozen=True)
class Viewer:
    """Who is looking, and whose identity they may learn."""

    user_id: int
    role: str
    person_id: int | None = None
    group_people: frozenset[int] = frozenset()

    @property
    def identifies_everyone(self) -> bool:
        return may(self.role, Permission.IDENTIFY_EVERYONE)

    def may_identify(self, person_id: int | None) -> bool:
        if person_id is None:
            return False
        return self.identifies_everyone or person_id == self.person_id or person_id in self.group_people


def viewer_of(session: Session, user: User) -> Viewer:
    groups = frozenset() if may(user.role, Permission.IDENTIFY_EVERYONE) else people_led_by(session, user)
    return Viewer(user_id=int(user.id or 0), role=user.role, person_id=user.person_id, group_people=groups)


ADMINISTRATOR = Viewer(user_id=0, role="admin")  # the command line: run by administrators


def present_clearance(session: Session, public: ClearancePublic, *, viewer: Viewer) -> ClearancePublic:
    """The clearance as this viewer may see it; names told to an employee are recorded."""
    if may(viewer.role, Permission.SEE_CANDIDATES):
        return public
    if viewer.identifies_everyone:
        return _without_candidates(public)
    kinds = _kinds(session, [f.person_id for f in public.faces if f.person_id])
    refusals = _refusals(session, [f.consent_id for f in public.faces if f.consent_id])
    faces, anonymous = [], {}
    for face in public.faces:
        # identified with confidence, or by a reviewer; a possible match is never named to an employee
        identified = face.band == "identified" or bool(face.review and face.review.resolution in ("person", "named"))
        named = identified and viewer.may_identify(face.person_id)
        if named:
            faces.append(
                face.model_copy(update={"distance": None, "margin": None, "candidates": [], "match_reason": ""})
            )
            if face.person_id != viewer.person_id:
                _record_disclosure(session, viewer, person_id=face.person_id, clearance_id=public.id, face=face.index)
            continue
        kind = kinds.get(face.person_id or 0) if identified else None
        words = face_words(face, kind=kind, refusal=refusals.get(face.consent_id or 0))
        anonymous[face.index] = words
        review = face.review.model_copy(update={"person_id": None, "note": None}) if face.review else None
        faces.append(
            face.model_copy(
                update={
                    "person_id": None,
                    "person_name": None,
                    "distance": None,
                    "margin": None,
                    "candidates": [],
                    "match_reason": "",
                    "message": words,
                    "consent_id": None,
                    "review": review,
                }
            )
        )
    reasons = _people_named(session, [_reason(r, anonymous) for r in public.reasons], viewer, clearance_id=public.id)
    relied = _relied_on_visible(session, public.consents_relied_on, viewer)
    takedown = takedown_of(session, public.id)
    standing_reason = present_takedown(session, takedown, viewer=viewer).reason if takedown else public.standing_reason
    return public.model_copy(
        update={"faces": faces, "reasons": reasons, "consents_relied_on": relied, "standing_reason": standing_reason}
    )


def face_words(face: ClearanceFacePublic, *, kind: str | None, refusal: str | None) -> str:
    """What an employee is told of a face they may not identify: who in general (``kind``, None when
    nobody was identified), and what to do."""
    act = "blur it or leave the photo out" if face.redactable else "do not post the photo"
    if face.rule == "blurred-face":
        return face.message
    if face.rule == "reviewer-rejected":
        return f"A reviewer decided this face may not be shown: {act}."
    if kind is None and face.band == "unrecognisable" and face.verdict != v.ALLOWED and not face.review:
        return "A face too small or unclear to recognise: upload a closer photo, or a reviewer will decide."
    if (
        kind is None
        and face.band == "possible"
        and not (face.review and face.review.resolution in ("nobody", "named_nobody"))
    ):
        return "Someone who may be enrolled: a reviewer must decide who it is before the photo is posted."
    if kind is None:
        if face.verdict == v.ALLOWED:
            return "Someone the service could not identify; the policy allows that here."
        if face.verdict == v.NEEDS_REVIEW:
            return "Someone the service could not identify: a reviewer must look at this face first."
        return f"Someone the service could not identify: {act}."
    who = WHO.get(kind, SOMEONE)
    if face.verdict == v.ALLOWED:
        return f"{who} who may be shown here."
    if face.verdict == v.NEEDS_REVIEW:
        return f"{who}: a reviewer must look at this face before the photo is posted."
    if refusal == "withdrawn":
        return f"{who} whose consent was withdrawn: {act}."
    if refusal == "refused":
        family = "whose parent or guardian refused" if kind == "student" else "who refused"
        return f"{who} {family}: {act}."
    release = "a release" if kind == "student" else "their consent"
    return f"{who} without {release} for this destination: {act}."


CAUSE_WORDS = {
    "revoked": "their consent was withdrawn",
    "refused": "a refusal is now on record",
    "corrected": "their form was corrected and no longer allows it",
    "new_form": "a newer form no longer allows it",
    "expired": "their release has run out",
    "departed": "they have left the district",
    "changed": "their record changed and no longer allows it",
    "reviewed": "a reviewer changed the decision",
    "account_link": "the uploader's account is no longer linked to them",
}


CAUSE_PLAIN = {
    "revoked": "a consent was withdrawn",
    "refused": "a refusal was recorded",
    "corrected": "a form was corrected",
    "new_form": "a newer form was recorded",
    "expired": "a form ran out",
    "departed": "someone in it left the district",
    "changed": "a person's record changed",
    "reviewed": "a reviewer changed the decision",
    "account_link": "the account's link to a person's record changed",
}


@dataclass(frozen=True)
class TakedownShown:
    """A takedown request as one viewer may read it."""

    person_id: int | None  # whose standing stops the photo, if the viewer may know
    person_name: str  # their name, or words that name nobody
    reason: str


def present_takedown(session: Session, takedown: Takedown, *, viewer: Viewer) -> TakedownShown:
    """The request as this viewer may read it, by the one rule: the stored reason names the person the
    takedown rests on (the decided identity), so it is shown whole only to someone who may identify that
    person; anyone else reads what happened in words that name nobody. A name told to an employee (other
    than their own) is an entry in the audit log."""
    person = session.get(Person, takedown.person_id) if takedown.person_id else None
    if viewer.identifies_everyone:
        return TakedownShown(takedown.person_id, person.name if person else "a person in the photo", takedown.reason)
    # The stored reason is the stopping face's sentence; a doubtful face's names its candidates.
    if person is not None and viewer.may_identify(person.id) and not takedown.reason.startswith("Possibly"):
        if person.id != viewer.person_id:
            _record_disclosure(
                session, viewer, person_id=id_of(person), clearance_id=takedown.clearance_id, takedown_id=takedown.id
            )
        return TakedownShown(person.id, person.name, takedown.reason)
    kind = person.kind if person is not None else None
    if kind is None or person is not None and person.id == viewer.person_id:
        reason = (
            f"This photo is no longer allowed ({CAUSE_PLAIN.get(takedown.cause, 'it was checked again')}): "
            "take it down."
        )
    else:
        reason = (
            f"{WHO.get(kind, SOMEONE)} in this photo: {CAUSE_WORDS.get(takedown.cause, 'it is no longer allowed')}. "
            "Take it down."
        )
    return TakedownShown(None, PERSON_WORDS.get(kind or "", "a person in the photo"), reason)


def _people_named(
    session: Session, reasons: list[ReasonPublic], viewer: Viewer, *, clearance_id: int
) -> list[ReasonPublic]:
    """Reasons that name a person (someone who may be in the photo and cannot be recognised): kept for
    the people this viewer may identify (recorded), and told as a count, in one reason, for the others."""
    told: list[ReasonPublic | None] = []
    hidden: list[ReasonPublic] = []
    for reason in reasons:
        if reason.person_id is None:
            told.append(reason)
        elif viewer.may_identify(reason.person_id):
            told.append(reason)
            if reason.person_id != viewer.person_id:
                _record_disclosure(session, viewer, person_id=reason.person_id, clearance_id=clearance_id, face=None)
        else:
            if not hidden:
                told.append(None)  # where the count goes
            hidden.append(reason)
    if not hidden:
        return [r for r in told if r is not None]
    n = len(hidden)
    who = "one person" if n == 1 else f"{n} people"
    count = hidden[0].model_copy(
        update={
            "message": (
                f"This photo may show {who} whose image may not be posted here (a refusal or a withdrawal "
                "on record) and whom the service cannot recognise (no enrolled face): check that no face "
                "it could not identify is theirs; a reviewer decides."
            ),
            "verdict": v.worst([r.verdict for r in hidden]),
            "person_id": None,
        }
    )
    return [count if r is None else r for r in told]


def _without_candidates(public: ClearancePublic) -> ClearancePublic:
    """Office staff: every identified face named, but no doubtful face's candidates, and no distances."""
    faces, doubtful = [], {}
    for face in public.faces:
        unsettled = face.band == "possible" and not (
            face.review and face.review.resolution in ("person", "nobody", "named", "named_nobody")
        )
        update: dict[str, object] = {"distance": None, "margin": None, "candidates": [], "match_reason": ""}
        if unsettled:
            doubtful[face.index] = words = face_words(face, kind=None, refusal=None)
            update |= {"person_id": None, "person_name": None, "message": words}
        faces.append(face.model_copy(update=update))
    return public.model_copy(update={"faces": faces, "reasons": [_reason(r, doubtful) for r in public.reasons]})


def _reason(reason: ReasonPublic, anonymous: dict[int, str]) -> ReasonPublic:
    for index, words in anonymous.items():
        if reason.message.startswith(f"Face {index}: "):
            return reason.model_copy(update={"message": f"Face {index}: {words}"})
    return reason


def _kinds(session: Session, person_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({p for p in person_ids if p})
    if not ids:
        return {}
    return {int(p or 0): k for p, k in session.exec(select(Person.id, Person.kind).where(col(Person.id).in_(ids)))}


def _refusals(session: Session, consent_ids: Iterable[int | None]) -> dict[int, str]:
    """For the forms that decided faces: refused, or withdrawn (a revoked grant)."""
    ids = sorted({c for c in consent_ids if c})
    if not ids:
        return {}
    rows = session.exec(
        select(Consent.id, Consent.status, ConsentRevocation.id)
        .join(ConsentRevocation, col(ConsentRevocation.consent_id) == col(Consent.id), isouter=True)
        .where(col(Consent.id).in_(ids))
    ).all()
    result: dict[int, str] = {}
    for consent_id, status, revocation in rows:
        if status == v.REFUSED:
            result[int(consent_id or 0)] = "refused"
        elif revocation is not None:
            result[int(consent_id or 0)] = "withdrawn"
    return result


def _relied_on_visible(session: Session, consent_ids: list[int], viewer: Viewer) -> list[int]:
    if not consent_ids:
        return []
    rows = session.exec(select(Consent.id, Consent.person_id).where(col(Consent.id).in_(consent_ids))).all()
    return sorted(int(c or 0) for c, p in rows if viewer.may_identify(p))


def takedown_of(session: Session, clearance_id: int | None) -> Takedown | None:
    """The takedown request of a clearance, if it has one."""
    return session.exec(
        select(Takedown).where(Takedown.clearance_id == clearance_id).order_by(col(Takedown.id))
    ).first()


def _record_disclosure(session: Session, viewer: Viewer, *, person_id: int | None, **where: int | None) -> None:
    """A name told to an employee, in a group they lead: who was told, and where (``clearance_id``, and the
    ``face`` or the ``takedown_id``)."""
    record_act(
        session,
        table_name="people",
        row_id=str(person_id),
        action="disclose",
        changes={"to_user_id": viewer.user_id, "role": viewer.role, "why": "in a group they lead", **where},
    )


def record_class_list(session: Session, viewer: Viewer, *, group_id: int, person_ids: Iterable[int]) -> None:
    """A class list shown to an employee names the students of a group they lead: recorded, one entry."""
    if viewer.identifies_everyone:
        return
    record_act(
        session,
        table_name="groups",
        row_id=str(group_id),
        action="disclose",
        changes={
            "to_user_id": viewer.user_id,
            "role": viewer.role,
            "why": "class list of a group they lead",
            "people": sorted(person_ids),
        },
    )

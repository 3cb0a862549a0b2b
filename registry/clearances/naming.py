"""People naming the faces the service does not recognise.

Where the district uses no face recognition (registry/faces/recognition.py), and in any district for a
face that matches nobody (a child whose family granted the image release but not the biometric consent),
the uploader or a reviewer says who the face is, or that it is nobody on any roster. The consent ledger
then decides exactly as for a recognised face.

- The uploader may name themself and the members of the groups they lead (`named`, `named_nobody`).
- Anyone else is a reviewer's to name (`person`, `nobody`, as on the review page): a reviewer may name anyone.

Each naming is a recorded act on the face (a `ClearanceReview` row: who named it, how, when, and a note
saying on what grounds), in the audit log like every write, and shown with the face.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from media.matching import IDENTIFIED, POSSIBLE
from registry.accounts.permissions import Permission, may
from registry.clearances.reviews import decide_after_acts, hold
from registry.clearances.service import faces_of, reviewed, reviews_of
from registry.core.errors import Conflict, Forbidden, Invalid, NotFound
from registry.faces.recognition import TO_BE_NAMED
from registry.models.accounts import User
from registry.models.base import id_of, utcnow
from registry.models.clearances import Clearance, ClearanceFace, ClearanceReview
from registry.models.groups import Group, GroupLeader, GroupMember
from registry.models.people import Person
from registry.people.service import get_person
from registry.policy.ledger import District

UPLOADER_ACTS = ("named", "named_nobody")
NAMING_ACTS = ("person", "nobody", *UPLOADER_ACTS)


@dataclass(frozen=True)
class Nameable:
    """Someone the uploader may name in their own photo: themself, or a member of a group they lead."""

    person_id: int
    name: str
    why: str  # "yourself", or the group's name


def people_they_may_name(session: Session, user: User) -> list[Nameable]:
    """Themself first, then the members of the groups they lead, by name (each once, with their first group)."""
    found: dict[int, Nameable] = {}
    if user.person_id is not None and (own := session.get(Person, user.person_id)) is not None:
        found[user.person_id] = Nameable(user.person_id, own.name, "yourself")
    rows = session.exec(
        select(Person.id, Person.name, Group.name)
        .join(GroupMember, col(GroupMember.person_id) == col(Person.id))
        .join(Group, col(Group.id) == col(GroupMember.group_id))
        .join(GroupLeader, col(GroupLeader.group_id) == col(Group.id))
        .where(GroupLeader.user_id == id_of(user))
        .order_by(col(Person.name), col(Group.name))
    ).all()
    for person_id, name, group in rows:
        found.setdefault(int(person_id or 0), Nameable(int(person_id or 0), name, group))
    return sorted(found.values(), key=lambda n: (n.why != "yourself", n.name))


def may_be_named(face: ClearanceFace) -> bool:
    """A face the service did not recognise: it matched nobody (or the district compares no faces).
    Doubtful matches and recognised faces are a reviewer's, on the review page."""
    return face.band not in (IDENTIFIED, POSSIBLE)


def name_face(
    session: Session,
    *,
    clearance: Clearance,
    index: int,
    person_id: int | None,
    nobody_enrolled: bool,
    by: User,
    district: District,
) -> Clearance:
    """Records who face ``index`` is (or that it is nobody on any roster), and decides the photo again."""
    if (person_id is None) == (not nobody_enrolled):
        raise Invalid("Say who the face is (person_id), or that it is nobody on any roster (nobody_enrolled).")
    hold(session, clearance)
    face = next((f for f in faces_of(session, id_of(clearance)) if f.index == index), None)
    if face is None:
        raise NotFound(f"This photo has no face {index}.")
    if not may_be_named(face):
        raise Invalid(
            f"Face {index + 1} was matched by the service: a reviewer settles it on the review page if it is wrong."
        )
    reviewer = may(by.role, Permission.REVIEW)
    if reviewer:
        resolution, note = ("nobody", "named by a reviewer") if nobody_enrolled else ("person", "named by a reviewer")
        if person_id is not None:
            get_person(session, person_id)
    elif clearance.uploader_id == id_of(by):
        _check_not_settled_by_reviewer(session, clearance, face, by)
        if person_id is None:
            resolution, note = "named_nobody", "the uploader says nobody on any roster"
        else:
            allowed = {n.person_id: n for n in people_they_may_name(session, by)}
            if person_id not in allowed:
                raise Forbidden(
                    "You may name yourself and the members of the groups you lead. Leave this face: "
                    "a reviewer names it (the photo waits for them)."
                )
            why = allowed[person_id].why
            resolution = "named"
            note = "the uploader named themself" if why == "yourself" else f"the uploader leads their group {why}"
    else:
        raise Forbidden("Only the photo's uploader or a reviewer may name its faces.")
    before = clearance.decision
    act = ClearanceReview(
        clearance_id=id_of(clearance),
        face_index=index,
        resolution=resolution,
        person_id=person_id,
        note=note,
        reviewer_id=id_of(by),
        decision_before=before,
        decision_after=before,
        reviewed_at=utcnow(),
    )
    session.add(act)
    session.flush()
    decide_after_acts(session, clearance=clearance, acts=[act], before=before, district=district)
    return clearance


def _check_not_settled_by_reviewer(session: Session, clearance: Clearance, face: ClearanceFace, by: User) -> None:
    acts = [a for a in reviews_of(session, id_of(clearance)) if a.face_index == face.index]
    if acts and acts[-1].reviewer_id != id_of(by):
        raise Conflict(f"A reviewer has settled face {face.index + 1} already: ask them if it is wrong.")


def faces_to_name(session: Session, clearance: Clearance) -> list[int]:
    """The indexes of the faces still waiting for a name (the district does not recognise them)."""
    acts = reviews_of(session, id_of(clearance))
    return [
        f.index
        for f in faces_of(session, id_of(clearance))
        if f.match_reason.startswith(TO_BE_NAMED)
        and not reviewed(f, [a for a in acts if a.face_index == f.index]).looked_at
    ]

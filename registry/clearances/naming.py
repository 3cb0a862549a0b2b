"""People naming the faces the service does not recognise.

Where the district uses no face recognition (registry/faces/recognition.py), and in any district for a
face that matches nobody (a child whose family granted the image release but not the biometric consent),
the uploader or a reviewer says who the face is, or that it is nobody on any roster. The consent ledger
then decides exactly as for a recognised face.

- The uploader may name themself and the members of the groups they lead (`named`, `named_nobody`), but
  not as someone whose face is enrolled: the service would have recognised them, so a face that matched
  nobody is taken not to be them unless a reviewer says so (an uploader cannot get a blocked face allowed
  by calling it their own, or a consented pupil's).
- Anyone else is a reviewer's to name (`person`, `nobody`, as on the review page): a reviewer may name anyone.

Each naming is a recorded act on the face (a `ClearanceReview` row: who named it, how, when, and a note
saying on what grounds), in the audit log like every write, and shown with the face.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from media.matching import IDENTIFIED, POSSIBLE
from registry.accounts.permissions import Permission, may
from registry.clearances.reviews import decide_after_acts, hold
from registry.clearances.service import faces_of, reviewed, reviews_of, waits_for_name
from registry.core.errors import Conflict, Forbidden, Invalid, NotFound
from registry.core.settings import Settings
from registry.faces.recognition import recognises
from registry.models.accounts import User
from registry.models.base import id_of, utcnow
from registry.models.clearances import Clearance, ClearanceFace, ClearanceReview
from registry.models.faces import FaceTemplate
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


@dataclass(frozen=True)
class FaceName:
    """Who one face is: ``person_id``, or None for nobody on any roster."""

    index: int
    person_id: int | None


def name_face(
    session: Session,
    *,
    clearance: Clearance,
    index: int,
    person_id: int | None,
    nobody_enrolled: bool,
    by: User,
    district: District,
    settings: Settings,
) -> Clearance:
    """Records who face ``index`` is (or that it is nobody on any roster), and decides the photo again."""
    if (person_id is None) == (not nobody_enrolled):
        raise Invalid("Say who the face is (person_id), or that it is nobody on any roster (nobody_enrolled).")
    return name_faces(
        session, clearance=clearance, names=[FaceName(index, person_id)], by=by, district=district, settings=settings
    )


def name_faces(
    session: Session,
    *,
    clearance: Clearance,
    names: Sequence[FaceName],
    by: User,
    district: District,
    settings: Settings,
) -> Clearance:
    """Records several faces' names as one act (all or none), then decides the photo again once."""
    hold(session, clearance)
    faces = {f.index: f for f in faces_of(session, id_of(clearance))}
    earlier = reviews_of(session, id_of(clearance))
    before, at = clearance.decision, utcnow()
    acts = []
    for name in names:
        face = faces.get(name.index)
        if face is None:
            raise NotFound(f"This photo has no face {name.index}.")
        resolution, note = _how_named(session, clearance, face, name, by=by, earlier=earlier, settings=settings)
        acts.append(
            ClearanceReview(
                clearance_id=id_of(clearance),
                face_index=name.index,
                resolution=resolution,
                person_id=name.person_id,
                note=note,
                reviewer_id=id_of(by),
                decision_before=before,
                decision_after=before,
                reviewed_at=at,
            )
        )
    session.add_all(acts)
    session.flush()
    decide_after_acts(session, clearance=clearance, acts=acts, before=before, district=district)
    return clearance


def recognised_here(session: Session, person_id: int, *, settings: Settings) -> bool:
    """Whether the service would have recognised this person: their face is enrolled, and the district's
    mode recognises people of their kind."""
    person = session.get(Person, person_id)
    if person is None or not recognises(settings, person.kind):
        return False
    return session.exec(select(FaceTemplate.id).where(FaceTemplate.person_id == person_id)).first() is not None


def _how_named(
    session: Session,
    clearance: Clearance,
    face: ClearanceFace,
    name: FaceName,
    *,
    by: User,
    earlier: Sequence[ClearanceReview],
    settings: Settings,
) -> tuple[str, str]:
    """The act's resolution and its grounds, if this person may name this face so; raises otherwise."""
    number = face.index + 1
    if not may_be_named(face):
        raise Invalid(
            f"Face {number} was matched by the service: a reviewer settles it on the review page if it is wrong."
        )
    if may(by.role, Permission.REVIEW):
        if name.person_id is not None:
            get_person(session, name.person_id)
        return ("person" if name.person_id is not None else "nobody"), "named by a reviewer"
    if clearance.uploader_id != id_of(by):
        raise Forbidden("Only the photo's uploader or a reviewer may name its faces.")
    on_face = [a for a in earlier if a.face_index == face.index]
    if on_face and on_face[-1].reviewer_id != id_of(by):
        raise Conflict(f"A reviewer has settled face {number} already: ask them if it is wrong.")
    if name.person_id is None:
        return "named_nobody", "the uploader says nobody on any roster"
    allowed = {n.person_id: n for n in people_they_may_name(session, by)}
    if name.person_id not in allowed:
        raise Forbidden(
            f"Face {number}: you may name yourself and the members of the groups you lead. Leave this face: "
            "a reviewer names it (the photo waits for them)."
        )
    if recognised_here(session, name.person_id, settings=settings):
        raise Forbidden(
            f"Face {number}: {allowed[name.person_id].name}'s face is enrolled, and the service did not find it "
            "here. Leave this face: a reviewer names it (the photo waits for them)."
        )
    why = allowed[name.person_id].why
    return "named", "the uploader named themself" if why == "yourself" else f"the uploader leads their group {why}"


def faces_to_name(session: Session, clearance: Clearance) -> list[int]:
    """The indexes of the faces still waiting for a name (the district does not recognise them)."""
    acts = reviews_of(session, id_of(clearance))
    return [
        f.index
        for f in faces_of(session, id_of(clearance))
        if waits_for_name(f, reviewed(f, [a for a in acts if a.face_index == f.index]))
    ]

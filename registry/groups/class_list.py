"""The class list: before taking photos, who here must not be posted for this destination?

Each person is read by the one reading of a consent record (registry/policy/ledger.py), the same
as every decision: a person is listed when their image release does not allow the destination
(no form, a refusal, a withdrawal, a form that ran out or does not name it, a wrong signer). A
group's list covers everyone in the group: its students, and the co-workers and parents or
volunteers in it (each marked as what they are). Refusals come first, apart from those with no release.
All the forms of the list are loaded in one query, not one per person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from registry.clearances.facts import consent_facts, facts_of_person
from registry.core.errors import Invalid, NotFound
from registry.models.base import id_of
from registry.models.faces import FaceTemplate
from registry.models.groups import Group, GroupMember
from registry.models.people import Person
from registry.policy import ConsentFacts
from registry.policy import vocabulary as v
from registry.policy.ledger import District, Standing, explain


@dataclass(frozen=True)
class ListedPerson:
    person_id: int
    name: str
    kind: str  # student, employee (a co-worker) or community_member (a parent or a volunteer)
    grade: str | None
    refused: bool  # a refusal or a withdrawal on record, rather than no release
    words: str  # why, in plain words (the same sentence a decision gives)
    has_thumbnail: bool


@dataclass(frozen=True)
class ClassList:
    title: str
    destination: str
    printed_on: date
    students: int  # how many students the list covers
    listed: tuple[ListedPerson, ...]
    others: int = 0  # how many co-workers, parents and volunteers it covers

    @property
    def refusals(self) -> tuple[ListedPerson, ...]:
        """Those whose family (or who themself) refused or withdrew: first on the list, never to be posted."""
        return tuple(p for p in self.listed if p.refused)

    @property
    def without_release(self) -> tuple[ListedPerson, ...]:
        """Those with no release for the destination (none on file, run out, not naming it), after the refusals."""
        return tuple(p for p in self.listed if not p.refused)


def people_of_group(session: Session, group: Group) -> list[Person]:
    """The active members of a group, of every kind: a co-worker or a parent in it is shown too."""
    return list(
        session.exec(
            select(Person)
            .join(GroupMember, col(GroupMember.person_id) == col(Person.id))
            .where(GroupMember.group_id == group.id, Person.status == "active")
            .order_by(col(Person.name), col(Person.id))
        )
    )


def students_of_school(session: Session, school: str, grade: str | None = None) -> list[Person]:
    statement = select(Person).where(Person.school == school, Person.kind == "student", Person.status == "active")
    if grade:
        statement = statement.where(Person.grade == grade)
    return list(session.exec(statement.order_by(col(Person.name), col(Person.id))))


def class_list(
    session: Session,
    *,
    title: str,
    students: list[Person],
    destination: str,
    district: District,
) -> ClassList:
    """The people of this list whose image may not go to this destination, with why."""
    if destination not in v.DESTINATIONS:
        raise Invalid(f"Choose a destination: {', '.join(sorted(v.DESTINATIONS))}.")
    ids = [id_of(p) for p in students]
    acts: dict[int, list[ConsentFacts]] = defaultdict(list)
    for act in consent_facts(session, ids):
        acts[act.person_id].append(act)
    enrolled = with_thumbnail(session, ids)
    now = district.now()
    listed = []
    for person in students:
        facts = facts_of_person(person)
        reading = district.read(
            acts[id_of(person)], person=facts, kind="image_release", destination=destination, at=now
        )
        if reading.standing is Standing.GRANTED:
            continue
        words = explain(reading, person=facts, kind="image_release", destination=destination)
        listed.append(
            ListedPerson(
                id_of(person),
                person.name,
                person.kind,
                person.grade,
                reading.standing.refuses,
                words,
                id_of(person) in enrolled,
            )
        )
    listed.sort(key=lambda p: not p.refused)  # refusals first; each part stays in the order of names
    n_students = sum(p.kind == "student" for p in students)
    return ClassList(
        title, destination, district.today(now), n_students, tuple(listed), others=len(students) - n_students
    )


def with_thumbnail(session: Session, person_ids: list[int]) -> set[int]:
    if not person_ids:
        return set()
    return set(
        session.exec(
            select(FaceTemplate.person_id).where(
                col(FaceTemplate.person_id).in_(person_ids), col(FaceTemplate.thumbnail).is_not(None)
            )
        ).all()
    )


def reference_thumbnail(session: Session, person_id: int) -> bytes:
    """The newest enrolled reference face of a person, as a small JPEG."""
    row = session.exec(
        select(FaceTemplate.thumbnail)
        .where(FaceTemplate.person_id == person_id, col(FaceTemplate.thumbnail).is_not(None))
        .order_by(col(FaceTemplate.id).desc())
    ).first()
    if row is None:
        raise NotFound("No reference photo is enrolled for this person.")
    return bytes(row)

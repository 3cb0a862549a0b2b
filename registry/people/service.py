"""People (students, employees, community members) and students' guardians: adding, changing, finding them."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, func
from sqlmodel import Session, col, select

from registry.consents import standing
from registry.core.errors import Conflict, Invalid, NotFound
from registry.models.base import id_of, utcnow
from registry.models.consents import Consent
from registry.models.faces import FaceTemplate
from registry.models.people import Guardian, Person
from registry.people.schemas import GuardianIn, PersonCreate, PersonPublic, PersonUpdate, ReleasePublic
from registry.policy.ledger import District

SEARCH_KEY_LENGTH = 2000  # Person.search_key
# Letters that Unicode does not split into a base letter and an accent.
_BASE_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"})
# ASCII text: casefolding is lowering, no letter decomposes, and these characters are the ones dropped.
_ASCII_DROPPED = str.maketrans({c: None for c in map(chr, range(128)) if not (c.isalnum() or c.isspace())})
STANDING_CHUNK = 500  # people read at a time when a list is filtered by their consent standing


def search_words(text: str) -> list[str]:
    """The words of a name or ID as searched: case, accents and punctuation ignored.

    "O'Brien" -> obrien, "José" -> jose, "S-1001" -> s1001. Done here, not in SQL, so that SQLite and
    PostgreSQL find exactly the same people.
    """
    if text.isascii():  # a roster's names and IDs, mostly: the same words, without the Unicode work
        return text.lower().translate(_ASCII_DROPPED).split()
    return _unicode_words(text)


def _unicode_words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_BASE_LETTERS))
    kept = "".join(c if c.isalnum() or c.isspace() else "" for c in decomposed if not unicodedata.combining(c))
    return kept.split()


def search_key(name: str, external_id: str, guardian_names: Iterable[str] = ()) -> str:
    """What a search reads for a person: their name, their ID and their guardians' names, as search words."""
    words = [*search_words(name), *search_words(external_id)]
    for guardian in guardian_names:
        words += search_words(guardian)
    return " ".join(words)[:SEARCH_KEY_LENGTH]


def refresh_search_key(session: Session, person: Person, guardian_names: Sequence[str] | None = None) -> None:
    if guardian_names is None:
        guardian_names = session.exec(
            select(Guardian.name).where(Guardian.student_id == person.id).order_by(col(Guardian.id))
        ).all()
    person.search_key = search_key(person.name, person.external_id, guardian_names)
    session.add(person)


class DuplicatePerson(Conflict):
    """An external ID that is already someone's: the message names them, so their record can be changed."""

    def __init__(self, existing: Person) -> None:
        self.external_id, self.existing_id, self.existing_name = existing.external_id, id_of(existing), existing.name
        super().__init__(self.saying(f"person {self.existing_id}"))

    def saying(self, way: str) -> str:
        """The message, naming the way to update the existing record (a page, an API call)."""
        return (
            f"A person with external id {self.external_id!r} already exists: {self.existing_name}. "
            f"Update that record ({way}) instead of adding a second one."
        )


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    return person


def find_by_external_id(session: Session, external_id: str) -> Person | None:
    return session.exec(select(Person).where(Person.external_id == external_id)).first()


def add_person(session: Session, *, data: PersonCreate) -> Person:
    existing = find_by_external_id(session, data.external_id)
    if existing is not None:
        raise DuplicatePerson(existing)
    person = Person(
        **data.model_dump(exclude={"guardians"}),
        search_key=search_key(data.name, data.external_id, [g.name for g in data.guardians]),
    )
    session.add(person)
    session.flush()
    replace_guardians(session, person=person, guardians=data.guardians)
    return person


def update_person(session: Session, *, person: Person, changes: PersonUpdate, district: District) -> Person:
    """Changes what was sent and differs from the record (an unchanged record is not written at all)."""
    values = changes.model_dump(exclude_unset=True, exclude={"guardians"})
    if values.get("status") == "departed" and not values.get("departed_on") and not person.departed_on:
        values["departed_on"] = district.today()
    if values.get("status") == "active":
        values["departed_on"] = None  # last_departed_on stays: the forms signed before they left stay ended
    if values.get("departed_on"):
        values["last_departed_on"] = values["departed_on"]
    values = {key: value for key, value in values.items() if getattr(person, key) != value}
    departing = values.get("status") == "departed"
    if "external_id" in values:
        existing = find_by_external_id(session, values["external_id"])
        if existing is not None:
            raise DuplicatePerson(existing)
    if changes.guardians is not None and changes.guardians != guardians_of(session, person):
        if person.kind != "student":
            raise Invalid("Only students have guardians.")
        replace_guardians(session, person=person, guardians=changes.guardians)
        values["updated_at"] = utcnow()
        values["guardians"] = True  # who may sign for them changed: posted photos are decided again
    if not values:
        return person
    guardians_changed = values.pop("guardians", False)
    for key, value in values.items():
        setattr(person, key, value)
    person.updated_at = utcnow()
    if "name" in values or "external_id" in values:
        refresh_search_key(session, person)
    session.add(person)
    session.flush()
    if departing:
        from registry.trust import retention

        retention.forget_biometrics_without_consent(session, person=person, district=district)  # they go too
    if departing or guardians_changed or "birth_date" in values or values.get("status") == "active":
        standing.recheck_people(
            session, person_ids=[id_of(person)], district=district, cause="departed" if departing else "changed"
        )
    return person


def guardians_of(session: Session, person: Person) -> list[GuardianIn]:
    """The person's guardians as they would be sent, to tell whether a change sends different ones."""
    rows = session.exec(select(Guardian).where(Guardian.student_id == person.id).order_by(col(Guardian.id))).all()
    return [GuardianIn(name=g.name, relationship=g.relationship, email=g.email, phone=g.phone) for g in rows]


def replace_guardians(session: Session, *, person: Person, guardians: list[GuardianIn]) -> None:
    assert person.id is not None
    for old in session.exec(select(Guardian).where(Guardian.student_id == person.id)):
        session.delete(old)
    session.flush()
    seen: set[str] = set()
    for guardian in guardians:
        if guardian.name.casefold() in seen:
            continue
        seen.add(guardian.name.casefold())
        session.add(Guardian(student_id=person.id, **guardian.model_dump()))
    session.flush()
    refresh_search_key(session, person, [g.name for g in guardians])
    session.flush()


def list_people(
    session: Session,
    *,
    query: str | None = None,
    kind: str | None = None,
    school: str | None = None,
    grade: str | None = None,
    status: str | None = None,
    enrolled: bool | None = None,
    release: str | None = None,
    district: District | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Person], int]:
    """People by name (theirs or a guardian's, every word found), ID and the filters, ordered by name.

    `release` (standing.RELEASES) keeps the people whose image release reads so by the ledger; it is read
    for every candidate, a chunk at a time, so it needs the district."""
    where: list[ColumnElement[bool]] = [
        col(Person.search_key).contains(w, autoescape=True) for w in search_words(query or "")
    ]
    for column, value in ((Person.kind, kind), (Person.school, school), (Person.grade, grade), (Person.status, status)):
        if value:
            where.append(col(column) == value)
    if enrolled is not None:
        has_faces = exists().where(col(FaceTemplate.person_id) == col(Person.id))
        where.append(has_faces if enrolled else ~has_faces)
    if release is None:
        statement = select(Person).where(*where)
        total = session.exec(select(func.count()).select_from(statement.subquery())).one()
        rows = session.exec(statement.order_by(col(Person.name), col(Person.id)).limit(limit).offset(offset)).all()
        return list(rows), int(total)
    if district is None or release not in standing.RELEASES:
        raise ValueError(f"release is one of {standing.RELEASES} and is read with the district")
    if release != standing.NO_RELEASE:  # a release or a refusal is a form on record: no form, no need to read
        where.append(exists().where(col(Consent.person_id) == col(Person.id), col(Consent.kind) == "image_release"))
    ids = session.exec(select(Person.id).where(*where).order_by(col(Person.name), col(Person.id))).all()
    at = district.now()
    kept: list[int] = []
    for start in range(0, len(ids), STANDING_CHUNK):
        chunk = session.exec(select(Person).where(col(Person.id).in_(ids[start : start + STANDING_CHUNK]))).all()
        standings = standing.release_standings(session, chunk, district=district, at=at)
        kept += [
            pid for pid in ids[start : start + STANDING_CHUNK] if pid is not None and standings[pid].release == release
        ]
    shown = kept[offset : offset + limit]
    by_id = {id_of(p): p for p in session.exec(select(Person).where(col(Person.id).in_(shown)))} if shown else {}
    return [by_id[pid] for pid in shown], len(kept)


def people_public(session: Session, people: Sequence[Person], *, district: District) -> list[PersonPublic]:
    """Each person as the API and the pages show them, with guardians, enrolment and image release:
    three queries for the whole list, not three per person."""
    ids = [id_of(p) for p in people]
    if not ids:
        return []
    guardians: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for guardian in session.exec(select(Guardian).where(col(Guardian.student_id).in_(ids)).order_by(col(Guardian.id))):
        guardians[guardian.student_id].append(guardian.model_dump())
    templates = dict(
        session.exec(
            select(FaceTemplate.person_id, func.count())
            .where(col(FaceTemplate.person_id).in_(ids))
            .group_by(col(FaceTemplate.person_id))
        ).all()
    )
    releases = standing.release_standings(session, people, district=district)
    result = []
    for person in people:
        pid = id_of(person)
        release = releases[pid]
        result.append(
            PersonPublic.model_validate(
                {
                    **person.model_dump(),
                    "guardians": guardians[pid],
                    "face_templates": int(templates.get(pid, 0)),
                    "enrolled": pid in templates,
                    "image_release": ReleasePublic(
                        release=release.release,
                        standing=release.standing.value,
                        destinations=list(release.destinations),
                        words=release.words[:1].upper() + release.words[1:] + ".",
                    ),
                }
            )
        )
    return result


def person_public(session: Session, person: Person, *, district: District) -> PersonPublic:
    return people_public(session, [person], district=district)[0]

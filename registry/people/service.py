"""People (students, employees, community members) and students' guardians."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from registry.core.errors import Conflict, NotFound
from registry.models.base import id_of, utcnow
from registry.models.faces import FaceTemplate
from registry.models.people import Guardian, Person
from registry.people.schemas import GuardianIn, PersonCreate, PersonPublic, PersonUpdate
from registry.policy.ledger import District


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    return person


def find_by_external_id(session: Session, external_id: str) -> Person | None:
    return session.exec(select(Person).where(Person.external_id == external_id)).first()


def add_person(session: Session, *, data: PersonCreate) -> Person:
    if find_by_external_id(session, data.external_id) is not None:
        raise Conflict(
            f"A person with external id {data.external_id!r} already exists; "
            "update that record instead of adding a second one."
        )
    person = Person(**data.model_dump(exclude={"guardians"}))
    session.add(person)
    session.flush()
    replace_guardians(session, person=person, guardians=data.guardians)
    return person


def update_person(session: Session, *, person: Person, changes: PersonUpdate, district: District) -> Person:
    values = changes.model_dump(exclude_unset=True)
    departing = values.get("status") == "departed" and person.status != "departed"
    if values.get("status") == "departed" and not values.get("departed_on") and not person.departed_on:
        values["departed_on"] = district.today()
    if values.get("status") == "active":
        values["departed_on"] = None
    for key, value in values.items():
        setattr(person, key, value)
    person.updated_at = utcnow()
    session.add(person)
    session.flush()
    if departing:
        from registry.trust import retention

        retention.forget_biometrics_without_consent(session, person=person, district=district)  # they go too
    if departing or "birth_date" in values or values.get("status") == "active":
        from registry.consents import standing

        standing.recheck_people(
            session, person_ids=[id_of(person)], district=district, cause="departed" if departing else "changed"
        )
    return person


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


def list_people(
    session: Session,
    *,
    query: str | None = None,
    kind: str | None = None,
    school: str | None = None,
    grade: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Person], int]:
    statement = select(Person)
    if query:
        pattern = f"%{query.strip().lower()}%"
        statement = statement.where(
            or_(func.lower(Person.name).like(pattern), func.lower(Person.external_id).like(pattern))
        )
    for column, value in ((Person.kind, kind), (Person.school, school), (Person.grade, grade), (Person.status, status)):
        if value:
            statement = statement.where(column == value)
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(col(Person.name), col(Person.id)).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def person_public(session: Session, person: Person) -> PersonPublic:
    guardians = session.exec(select(Guardian).where(Guardian.student_id == person.id).order_by(col(Guardian.id))).all()
    templates = session.exec(
        select(func.count()).select_from(FaceTemplate).where(FaceTemplate.person_id == person.id)
    ).one()
    return PersonPublic.model_validate(
        {**person.model_dump(), "guardians": [g.model_dump() for g in guardians], "face_templates": int(templates)}
    )

"""Consent requests: asking families for a kind of consent, one request and one private link per student.

A request is answered by the family (registry/consent_requests/signing.py); here it is made, found by its link
or short code, and its holder proves who they are with the child's date of birth.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from registry.consent_requests import links
from registry.consent_requests.schemas import ConsentRequestCreate, ConsentRequestPublic, Skipped
from registry.core.errors import Invalid, NotFound
from registry.core.settings import Settings
from registry.models.base import as_utc, id_of
from registry.models.consent_requests import ConsentRequest
from registry.models.groups import Group, GroupMember
from registry.models.people import Person
from registry.policy.ledger import District, end_of_school_year

OPEN = ("pending", "opened")  # still waiting for an answer
ANSWERED = ("signed", "declined", "withdrawn")


@dataclass(frozen=True)
class Links:
    """What turns a stored request into the family's link: the secret key and the service's public address."""

    secret: str
    public_url: str
    days: int = 30

    @classmethod
    def of(cls, settings: Settings) -> Links:
        return cls(secret=settings.secret_key, public_url=settings.public_url, days=settings.family_link_days)

    def token(self, request: ConsentRequest) -> str:
        return links.token_for(self.secret, request.token_salt)

    def url(self, request: ConsentRequest) -> str:
        return links.link_for(self.public_url, self.token(request))

    def code(self, request: ConsentRequest) -> str:
        return links.code_words(links.code_for(self.secret, request.token_salt))


def status_of(request: ConsentRequest, *, at: datetime) -> str:
    """The request's status now: an unanswered request whose link has run out is expired."""
    if request.status in OPEN and as_utc(at) >= as_utc(request.expires_at):
        return "expired"
    return request.status


def link_open(request: ConsentRequest, *, district: District) -> bool:
    """Whether the family's link still opens its form. An unanswered link until it expires; an answered one until
    the end of its school year, so that the family can withdraw or answer anew "at any time", as the form says."""
    if request.status in OPEN:
        return as_utc(district.now()) < as_utc(request.expires_at)
    return district.today() <= date(request.school_year, 6, 30)


def school_year_of(day: date) -> int:
    return end_of_school_year(day).year


def students_asked(session: Session, data: ConsentRequestCreate) -> list[Person]:
    if data.person_id is not None:
        person = session.get(Person, data.person_id)
        if person is None:
            raise NotFound(f"No person with id {data.person_id}.")
        return [person]
    if data.group_id is not None:
        if session.get(Group, data.group_id) is None:
            raise NotFound(f"No group with id {data.group_id}.")
        members = select(GroupMember.person_id).where(GroupMember.group_id == data.group_id)
        return list(session.exec(select(Person).where(col(Person.id).in_(members)).order_by(col(Person.name))))
    statement = select(Person).where(Person.kind == "student", Person.school == data.school)
    if data.grade is not None:
        statement = statement.where(Person.grade == data.grade)
    return list(session.exec(statement.order_by(col(Person.name))))


def why_not_asked(person: Person) -> str | None:
    if person.kind != "student":
        return "Not a student: adults sign their own forms, on paper."
    if person.status != "active":
        return "Has left the district."
    if person.birth_date is None:
        return "No date of birth on record: the family proves who they are with it. Add it to the student's record."
    return None


def request_consents(
    session: Session,
    *,
    students: Iterable[Person],
    kind: str,
    language: str,
    group_id: int | None,
    requested_by_id: int,
    district: District,
    links_: Links,
    school_year: int | None = None,
) -> tuple[list[ConsentRequest], list[Skipped]]:
    """One request per student who can be asked; a student with a request of this kind still open for the school
    year (by default this one) keeps it (the same link) rather than receiving a second one."""
    now = district.now()
    year = school_year or school_year_of(district.today())
    students = list(students)
    open_now = {
        r.person_id: r
        for r in session.exec(
            select(ConsentRequest).where(
                col(ConsentRequest.person_id).in_([id_of(p) for p in students]),
                ConsentRequest.kind == kind,
                ConsentRequest.school_year == year,
                col(ConsentRequest.status).in_(OPEN),
            )
        )
        if status_of(r, at=now) != "expired"
    }
    made: list[ConsentRequest] = []
    skipped: list[Skipped] = []
    for person in students:
        reason = why_not_asked(person)
        if reason is not None:
            skipped.append(Skipped(person_id=id_of(person), person_name=person.name, reason=reason))
            continue
        if id_of(person) in open_now:
            made.append(open_now[id_of(person)])
            continue
        salt = links.new_salt()
        request = ConsentRequest(
            person_id=id_of(person),
            kind=kind,
            school_year=year,
            language=language,
            token_salt=salt,
            token_hash=links.token_hash(links.token_for(links_.secret, salt)),
            code_hash=links.code_hash(links.code_for(links_.secret, salt)),
            group_id=group_id,
            requested_by_id=requested_by_id,
            created_at=now,
            expires_at=now + timedelta(days=links_.days),
        )
        session.add(request)
        made.append(request)
    session.flush()
    return made, skipped


def find_by_token(session: Session, token: str) -> ConsentRequest | None:
    if not token or len(token) > 100:
        return None
    return session.exec(select(ConsentRequest).where(ConsentRequest.token_hash == links.token_hash(token))).first()


def find_by_code(session: Session, code: str) -> ConsentRequest | None:
    if len(links.normal_code(code)) != links.CODE_LENGTH:
        return None
    return session.exec(select(ConsentRequest).where(ConsentRequest.code_hash == links.code_hash(code))).first()


def get_request(session: Session, request_id: int) -> ConsentRequest:
    request = session.get(ConsentRequest, request_id)
    if request is None:
        raise NotFound(f"No consent request with id {request_id}.")
    return request


class HeldForNow(Invalid):
    """Too many wrong dates of birth on this link: it is held until `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__("Too many tries.")
        self.until = until


def prove_birth_date(
    session: Session, request: ConsentRequest, *, typed: date | None, at: datetime, tries: int, lock_minutes: int
) -> bool:
    """Whether the date typed is the child's date of birth. Wrong dates are counted on the request (every service
    process sees them); after `tries` of them the link is held for `lock_minutes`, right or wrong."""
    if request.locked_until is not None and as_utc(request.locked_until) > as_utc(at):
        raise HeldForNow(as_utc(request.locked_until))
    person = session.get(Person, request.person_id)
    if person is not None and typed is not None and person.birth_date == typed:
        request.birth_date_failures = 0
        if request.status == "pending":
            request.status, request.opened_at = "opened", at
        session.add(request)
        session.flush()
        return True
    request.birth_date_failures += 1
    if request.birth_date_failures >= tries:
        request.birth_date_failures = 0
        request.locked_until = at + timedelta(minutes=lock_minutes)
    session.add(request)
    session.flush()
    return False


def request_public(session: Session, request: ConsentRequest, *, links_: Links, at: datetime) -> ConsentRequestPublic:
    person = session.get(Person, request.person_id)
    return ConsentRequestPublic.model_validate(
        {
            **request.model_dump(),
            "person_name": person.name if person else "",
            "status": status_of(request, at=at),
            "url": links_.url(request),
            "short_code": links_.code(request),
        }
    )


def list_requests(
    session: Session,
    *,
    school_year: int | None = None,
    person_id: int | None = None,
    group_id: int | None = None,
    school: str | None = None,
    grade: str | None = None,
) -> list[ConsentRequest]:
    statement = select(ConsentRequest)
    if school is not None or grade is not None:
        people = select(Person.id).where(*(c == v for c, v in ((Person.school, school), (Person.grade, grade)) if v))
        statement = statement.where(col(ConsentRequest.person_id).in_(people))
    if school_year is not None:
        statement = statement.where(ConsentRequest.school_year == school_year)
    if person_id is not None:
        statement = statement.where(ConsentRequest.person_id == person_id)
    if group_id is not None:
        members = select(GroupMember.person_id).where(GroupMember.group_id == group_id)
        statement = statement.where(col(ConsentRequest.person_id).in_(members))
    return list(session.exec(statement.order_by(col(ConsentRequest.id))))


def waiting_with_students(
    session: Session, requests: list[ConsentRequest], *, at: datetime
) -> list[tuple[ConsentRequest, Person]]:
    """The requests still waiting for an answer, with their students, by student name (a class's letters)."""
    waiting = [r for r in requests if status_of(r, at=at) in OPEN]
    people = {
        id_of(p): p for p in session.exec(select(Person).where(col(Person.id).in_([r.person_id for r in waiting])))
    }
    return sorted(((r, people[r.person_id]) for r in waiting), key=lambda pair: (pair[1].name, id_of(pair[0])))

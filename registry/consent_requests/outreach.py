"""What office staff do to reach families, the same from the API and the pages: ask (and e-mail the links),
remind those who have not answered, print a class's letters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from registry.consent_requests import mail
from registry.consent_requests import service as requests
from registry.consent_requests.letters import Letter, letters_pdf
from registry.consent_requests.schemas import ConsentRequestCreate, Skipped
from registry.core.settings import Settings
from registry.models.consent_requests import ConsentRequest
from registry.models.people import Person
from registry.policy.ledger import District


@dataclass(frozen=True)
class Asked:
    made: list[ConsentRequest]
    skipped: list[Skipped]
    emailed: int


def ask_as_requested(
    session: Session, data: ConsentRequestCreate, *, requested_by_id: int, district: District, settings: Settings
) -> Asked:
    """The families of the students ``data`` names (a person, a group, a school and grade), asked as it says:
    what the API's request and the office's page both do."""
    return ask_families(
        session,
        students=requests.students_asked(session, data),
        kind=data.kind,
        language=data.language,
        group_id=data.group_id,
        send_email=data.send_email,
        requested_by_id=requested_by_id,
        district=district,
        settings=settings,
    )


def ask_families(
    session: Session,
    *,
    students: list[Person],
    kind: str,
    language: str,
    group_id: int | None,
    send_email: bool,
    requested_by_id: int,
    district: District,
    settings: Settings,
    school_year: int | None = None,
) -> Asked:
    """One request per student; with `send_email`, each link e-mailed to the guardians on record. E-mail that
    cannot be sent fails the whole act: no request is kept that the office believes was sent."""
    server = mail.SmtpServer.parse(settings.smtp_url) if send_email else None
    links = requests.Links.of(settings)
    made, skipped = requests.request_consents(
        session,
        students=students,
        kind=kind,
        language=language,
        group_id=group_id,
        requested_by_id=requested_by_id,
        district=district,
        links_=links,
        school_year=school_year,
    )
    emailed = 0
    if server is not None:
        messages, _without = mail.messages_for(
            session, made, links_=links, district=district, sender=settings.mail_from, reminder=False
        )
        emailed = server.send(messages)
    return Asked(made, skipped, emailed)


def remind(
    session: Session, waiting: list[ConsentRequest], *, district: District, settings: Settings
) -> tuple[int, int]:
    """(sent, without an address): a reminder to the guardians of each request still waiting for an answer."""
    server = mail.SmtpServer.parse(settings.smtp_url)
    messages, without = mail.messages_for(
        session,
        waiting,
        links_=requests.Links.of(settings),
        district=district,
        sender=settings.mail_from,
        reminder=True,
    )
    return server.send(messages), without


def class_letters(
    session: Session,
    *,
    school_year: int,
    district: District,
    settings: Settings,
    group_id: int | None = None,
    school: str | None = None,
    grade: str | None = None,
    person_id: int | None = None,
) -> bytes:
    rows = requests.list_requests(
        session, school_year=school_year, group_id=group_id, school=school, grade=grade, person_id=person_id
    )
    return letters_pdf(
        [Letter(r, p) for r, p in requests.waiting_with_students(session, rows, at=district.now())],
        links_=requests.Links.of(settings),
        district=district,
        forms_dir=settings.family_forms_dir,
    )

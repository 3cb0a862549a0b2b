"""E-mail to families: each request's link to the guardians on record, and reminders to those who have not answered.

Sent through the SMTP server `REGISTRY_SMTP_URL` names: smtp://[user:password@]host[:port] (plain, or STARTTLS
with ?starttls=1) or smtps://... (TLS from the start). The message carries the link and the short code; the
link is never written anywhere else (no log line, no stored copy).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import parse_qs, unquote, urlsplit

from sqlmodel import Session, col, select

from registry.consent_requests.i18n import gettext_for, long_date
from registry.consent_requests.service import OPEN, Links, status_of
from registry.core.errors import Invalid
from registry.models.consent_requests import ConsentRequest
from registry.models.groups import GroupMember
from registry.models.people import Guardian, Person
from registry.policy.ledger import District


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    user: str | None
    password: str | None
    tls: bool
    starttls: bool

    @classmethod
    def parse(cls, url: str | None) -> SmtpServer:
        if not url:
            raise Invalid("E-mail is not set up: set REGISTRY_SMTP_URL to the district's SMTP server.")
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise Invalid("REGISTRY_SMTP_URL must look like smtp://user:password@host:587?starttls=1.")
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
            starttls=parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true", "yes"),
        )

    def send(self, messages: Iterable[EmailMessage]) -> int:
        messages = list(messages)
        if not messages:
            return 0
        context = ssl.create_default_context()
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(self.host, self.port, timeout=30, context=context)
            if self.tls
            else smtplib.SMTP(self.host, self.port, timeout=30)
        )
        with smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.user:
                smtp.login(self.user, self.password or "")
            for message in messages:
                smtp.send_message(message)
        return len(messages)


def guardians_emails(session: Session, person_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """(name, address) of each student's guardians who have an e-mail address on record."""
    found: dict[int, list[tuple[str, str]]] = {}
    rows = session.exec(
        select(Guardian).where(col(Guardian.student_id).in_(person_ids), col(Guardian.email).is_not(None))
    )
    for guardian in rows:
        if guardian.email:
            found.setdefault(guardian.student_id, []).append((guardian.name, guardian.email))
    return found


def message_for(
    request: ConsentRequest,
    person: Person,
    to: list[tuple[str, str]],
    *,
    links_: Links,
    district: District,
    sender: str,
    reminder: bool,
) -> EmailMessage:
    _ = gettext_for(request.language)
    kind = _("photo release") if request.kind == "image_release" else _("face recognition consent")
    subject = _("Reminder: {kind} for {name}") if reminder else _("Please answer: {kind} for {name}")
    lines = [
        _("Dear parent or guardian,"),
        "",
        _("{district} asks for your answer to the {kind} for {name} for this school year.").format(
            district=district.pack.district, kind=kind, name=person.name
        ),
        _("Open this private link, confirm your child's date of birth, and answer Yes or No for each question:"),
        "",
        links_.url(request),
        "",
        _("Or go to {address} and type the code {code}.").format(
            address=links_.public_url.rstrip("/") + "/f", code=links_.code(request)
        ),
        _("The link works until {day}. Do not forward this e-mail: the link is for your family only.").format(
            day=long_date(district.today(request.expires_at), request.language)
        ),
        "",
        district.pack.district,
    ]
    message = EmailMessage()
    message["Subject"] = subject.format(kind=kind, name=person.name)
    message["From"] = sender
    message["To"] = ", ".join(formataddr(pair) for pair in to)
    message.set_content("\n".join(lines))
    return message


def messages_for(
    session: Session,
    requests: list[ConsentRequest],
    *,
    links_: Links,
    district: District,
    sender: str,
    reminder: bool,
) -> tuple[list[EmailMessage], int]:
    """The e-mails to send, each request marked as e-mailed (or reminded); and how many had no address on record."""
    now = district.now()
    waiting = [r for r in requests if status_of(r, at=now) in OPEN]
    addresses = guardians_emails(session, [r.person_id for r in waiting])
    messages: list[EmailMessage] = []
    without = 0
    for request in waiting:
        to = addresses.get(request.person_id)
        person = session.get(Person, request.person_id)
        if not to or person is None:
            without += 1
            continue
        messages.append(
            message_for(request, person, to, links_=links_, district=district, sender=sender, reminder=reminder)
        )
        if reminder:
            request.reminders += 1
        request.emailed_at = now
        session.add(request)
    session.flush()
    return messages, without


def unanswered(session: Session, *, school_year: int, group_id: int | None = None) -> list[ConsentRequest]:
    statement = select(ConsentRequest).where(
        ConsentRequest.school_year == school_year, col(ConsentRequest.status).in_(OPEN)
    )
    if group_id is not None:
        members = select(GroupMember.person_id).where(GroupMember.group_id == group_id)
        statement = statement.where(col(ConsentRequest.person_id).in_(members))
    return list(session.exec(statement.order_by(col(ConsentRequest.id))))

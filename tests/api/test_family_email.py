"""E-mail to families goes through a real SMTP server (aiosmtpd on this machine); the link in the message that
arrives opens the family's form. Reminders go only to those who have not answered."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.api.family_helpers import ALL_DESTINATIONS, add_student, ask, prove, sign


class Mailbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's name
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def settings(settings, mailbox):  # the shared settings, with e-mail through the local server
    return settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{mailbox[1]}", "mail_from": "office@lps.example"})


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def test_the_link_in_the_e_mail_opens_the_form_and_reminders_skip_who_answered(client, office, mailbox):
    box, _port = mailbox
    guardians = [{"name": "Maria Lopez", "relationship": "parent", "email": "maria@family.example"}]
    first = add_student(client, office, "S-M1", "Lucia Lopez", guardians=guardians)
    second = add_student(
        client, office, "S-M2", "Sofia Sanchez", guardians=[{"name": "Ana Sanchez", "email": "ana@family.example"}]
    )
    no_address = add_student(client, office, "S-M3", "Nadia Nomail")

    made = ask(client, office, person_id=first, send_email=True)
    assert made["emailed"] == 1
    ask(client, office, person_id=second, send_email=True, language="es")
    ask(client, office, person_id=no_address)

    (to, message), (to_es, message_es) = box.received
    assert to == ["maria@family.example"] and message["From"] == "office@lps.example"
    assert "Lucia Lopez" in message["Subject"]
    text = body_of(message)
    link = re.search(r"https?://\S+/f/\S+", text)
    assert link and link.group(0) == made["items"][0]["url"]
    assert made["items"][0]["short_code"] in text
    assert to_es == ["ana@family.example"] and "Sofia Sanchez" in message_es["Subject"]
    assert "Abra este enlace privado" in body_of(message_es)

    page = client.get(urlsplit(link.group(0)).path)
    assert page.status_code == 200 and "date of birth" in page.text
    form = prove(client, page.text)
    assert sign(client, form.text, dict.fromkeys(ALL_DESTINATIONS, "yes")).status_code == 200

    reminded = client.post("/api/v1/consent-requests/reminders", json={}, headers=office)
    assert reminded.status_code == 200, reminded.text
    assert reminded.json() == {"sent": 1, "without_email": 1}
    to, reminder = box.received[-1]
    assert to == ["ana@family.example"] and reminder["Subject"].startswith("Recordatorio")


def test_without_an_smtp_server_nothing_is_asked(client, office, settings):
    settings.smtp_url = None
    person = add_student(client, office, "S-M4", "Quiet Mail")
    response = client.post(
        "/api/v1/consent-requests",
        json={"kind": "image_release", "person_id": person, "send_email": True},
        headers=office,
    )
    assert response.status_code == 422 and "REGISTRY_SMTP_URL" in response.text
    listed = client.get("/api/v1/consent-requests", params={"person_id": person}, headers=office).json()
    assert listed["total"] == 0

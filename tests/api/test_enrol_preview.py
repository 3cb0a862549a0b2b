"""The enrolment preview on the office pages: no face is read without a biometric consent, and the
uploaded reference photo does not outlive the decision (saved, cancelled, replaced, or a restart)."""

from __future__ import annotations

from sqlmodel import Session

from registry.core.files import sweep_orphans
from registry.core.settings import Settings
from tests.api.clearance_helpers import add_person, record
from tests.api.test_web_pages import _sign_in
from tests.conftest import FACES

PORTRAIT = (FACES / "people" / "obama" / "obama-portrait.jpg").read_bytes()


def _kept(settings: Settings) -> list[str]:
    directory = settings.enrol_previews_dir
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def _preview(client, person: int, csrf: str):
    return client.post(
        f"/people/{person}/faces/preview",
        data={"csrf_token": csrf},
        files={"photo": ("me.jpg", PORTRAIT, "image/jpeg")},
        follow_redirects=False,
    )


def test_no_face_is_read_for_a_person_without_a_biometric_consent(client, office, session: Session, settings):
    person = add_person(client, office, "S-1", "student", "Barack Obama")
    record(client, office, person)  # an image release only
    csrf = _sign_in(client, session, "office_staff")
    response = _preview(client, person, csrf)
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"]).text
    assert "no biometric consent in force" in page
    assert "Is this Barack Obama?" not in page and _kept(settings) == []


def test_the_preview_photo_goes_when_cancelled_replaced_or_at_start(client, office, session: Session, settings):
    person = add_person(client, office, "S-1", "student", "Barack Obama")
    record(client, office, person, "biometric")
    csrf = _sign_in(client, session, "office_staff")
    first = _preview(client, person, csrf)
    assert first.status_code == 200 and "Is this Barack Obama?" in first.text
    assert len(_kept(settings)) == 1
    _preview(client, person, csrf)  # a second preview replaces the first
    assert len(_kept(settings)) == 1
    cancelled = client.post(f"/people/{person}/faces/preview/cancel", data={"csrf_token": csrf}, follow_redirects=False)
    assert cancelled.status_code == 303 and _kept(settings) == []
    refused = client.post(f"/people/{person}/faces/preview/cancel", data={}, follow_redirects=False)
    assert refused.status_code == 403  # a form without its CSRF token
    _preview(client, person, csrf)  # abandoned: the browser is closed
    assert len(_kept(settings)) == 1
    sweep_orphans(session, settings)  # what the service does when it starts
    assert _kept(settings) == []

"""Retention and purges: originals go after the retention period, templates go with their consent,
and a purge leaves no row, no file and no cached template that could still recognise the person."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from registry.models.audit import AuditEntry
from registry.models.base import utcnow
from registry.models.clearances import Clearance
from registry.models.faces import FaceTemplate
from registry.trust import audit_log, retention
from tests.api.clearance_helpers import add_person, clear, enrol, face_of, full_view, record
from tests.district import DISTRICT

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis


def _faces(client, office, person_id: int) -> list:
    response = client.get(f"/api/v1/people/{person_id}/faces", headers=office)
    assert response.status_code == 200, response.text
    return response.json()


def _uploads(settings) -> list[str]:
    return sorted(p.name for p in settings.uploads_dir.iterdir()) if settings.uploads_dir.is_dir() else []


def test_originals_go_after_the_retention_period_and_the_decisions_stay(
    client, office, employee, admin, session, settings
):
    old = clear(client, employee, "people/biden/biden-2.jpg").json()
    recent = clear(client, employee, "people/kit_harington/kit-1.jpg").json()
    assert len(_uploads(settings)) == 2
    decided = session.get(Clearance, old["id"])
    decided.decided_at = utcnow() - timedelta(days=settings.retention_days + 1)
    session.add(decided)
    session.commit()

    session.info["actor"] = "system:retention"
    report = retention.run_retention(session, settings=settings, district=DISTRICT)
    session.commit()

    assert report.originals_deleted == 1
    assert _uploads(settings) == [session.get(Clearance, recent["id"]).photo_file]
    kept = client.get(f"/api/v1/clearances/{old['id']}", headers=employee).json()
    assert kept["decision"] == old["decision"] and kept["photo_kept"] is False
    assert client.get(f"/api/v1/clearances/{recent['id']}", headers=employee).json()["photo_kept"] is True
    entry = audit_log.list_entries(session, table_name="clearances", row_id=str(old["id"]), action="update")[0][0]
    assert entry.actor == "system:retention" and entry.changes["after"] == {"photo_file": None}
    assert audit_log.verify(session).ok


def test_templates_go_with_the_biometric_consent_and_the_next_match_forgets_them(client, office, employee, make_user):
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama)
    before = full_view(client, make_user("reviewer"), clear(client, employee, "people/obama/obama-2.jpg").json())
    assert face_of(before, "Barack Obama")["band"] == "identified"
    biometric = client.get("/api/v1/consents", params={"person_id": obama, "kind": "biometric"}, headers=office).json()[
        "items"
    ][0]
    revoked = client.post(f"/api/v1/consents/{biometric['id']}/revoke", json={"reason": "Parent asked"}, headers=office)
    assert revoked.status_code == 200, revoked.text
    assert _faces(client, office, obama) == []
    after = clear(client, employee, "people/obama/obama-2.jpg").json()
    assert [f["band"] for f in after["faces"]] == ["unknown"]


def test_templates_go_when_the_person_departs(client, office):
    biden = add_person(client, office, "E-BIDEN", "employee", "Joe Biden")
    enrol(client, office, biden, "people/biden/biden-portrait.jpg", signer="self")
    assert len(_faces(client, office, biden)) == 1
    departed = client.patch(f"/api/v1/people/{biden}", json={"status": "departed"}, headers=office)
    assert departed.status_code == 200, departed.text
    assert _faces(client, office, biden) == []


def test_a_purge_leaves_no_template_no_photo_and_no_cached_match(
    client, office, employee, admin, session, settings, app
):
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    biden = add_person(client, office, "E-BIDEN", "employee", "Joe Biden")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    enrol(client, office, biden, "people/biden/biden-portrait.jpg", signer="self")
    together = clear(client, employee, "groups/biden-obama.jpg").json()
    alone = clear(client, employee, "people/biden/biden-2.jpg").json()
    assert face_of(full_view(client, admin, together), "Barack Obama")["band"] == "identified"
    assert obama in app.state.templates.index(session).person_ids  # the cache holds Obama
    report_before = retention.biometrics_report(session, settings=settings)
    assert report_before["people_with_face_templates"] == {"student": 1, "employee": 1}

    report = retention.purge_person(session, person_id=obama, settings=settings, district=DISTRICT)
    session.commit()

    assert (report.templates_deleted, report.originals_deleted, report.clearances_kept) == (1, 1, 1)
    assert session.exec(select(FaceTemplate).where(FaceTemplate.person_id == obama)).all() == []
    purged = session.get(Clearance, together["id"])
    assert purged.photo_file is None and purged.thumbnail is None and purged.decision == together["decision"]
    assert _uploads(settings) == [session.get(Clearance, alone["id"]).photo_file]  # Biden alone: kept
    again = clear(client, employee, "people/obama/obama-2.jpg").json()
    assert [f["band"] for f in again["faces"]] == ["unknown"]
    assert obama not in app.state.templates.index(session).person_ids
    assert retention.biometrics_report(session, settings=settings)["people_with_face_templates"] == {"employee": 1}

    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "purge")).one()
    assert entry.row_id == str(obama) and entry.changes["templates_deleted"] == 1
    deleted = session.exec(
        select(AuditEntry).where(AuditEntry.table_name == "face_templates", AuditEntry.action == "delete")
    ).all()
    assert deleted and all(e.changes["before"]["encoding"] == "(128 numbers, not logged)" for e in deleted)
    assert audit_log.verify(session).ok

"""Biometric data with a lifecycle: retention by the daily re-check, a student's own objection, no encoding of
an unknown face kept, the public retention schedule, and a person's data for a subject-access request."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import numpy as np
from sqlalchemy import LargeBinary
from sqlalchemy import select as rows_of
from sqlmodel import SQLModel, func, select

from media.analysis import analyse_photo
from registry.faces.lifecycle import forget_biometrics_past_their_time
from registry.faces.templates import encoding_to_bytes
from registry.models.base import utcnow
from registry.models.faces import FaceTemplate
from tests.api.clearance_helpers import add_person, clear, enrol, record
from tests.api.test_face_naming import identify, lead_group
from tests.conftest import FACES


def templates(session, person_id: int | None = None) -> int:
    statement = select(func.count()).select_from(FaceTemplate)
    if person_id is not None:
        statement = statement.where(FaceTemplate.person_id == person_id)
    return int(session.exec(statement).one())


def upload_face(client, headers, person_id: int, photo: str = "people/obama/obama-3.jpg"):
    with open(FACES / photo, "rb") as handle:
        return client.post(
            f"/api/v1/people/{person_id}/faces", files={"photo": ("p.jpg", handle, "image/jpeg")}, headers=headers
        )


def test_templates_go_a_year_after_the_last_interaction(client, session, settings, office, employee):
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama)
    clear(client, employee, "people/obama/obama-2.jpg")  # recognised today: an interaction
    now = utcnow()
    assert forget_biometrics_past_their_time(session, settings=settings, now=now + timedelta(days=360)) == 0
    assert templates(session, obama) == 1
    longer = settings.model_copy(update={"biometric_retention_years": 3})
    assert forget_biometrics_past_their_time(session, settings=longer, now=now + timedelta(days=370)) == 0
    assert forget_biometrics_past_their_time(session, settings=settings, now=now + timedelta(days=370)) == 1
    assert templates(session, obama) == 0


def test_the_daily_recheck_deletes_templates_the_mode_no_longer_allows(client, session, settings, office):
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    biden = add_person(client, office, "E-BIDEN", "employee", "Joe Biden")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    enrol(client, office, biden, "people/biden/biden-portrait.jpg", signer="self")
    staff_only = settings.model_copy(update={"face_recognition": "staff_only"})
    assert forget_biometrics_past_their_time(session, settings=staff_only, now=utcnow()) == 1
    assert (templates(session, obama), templates(session, biden)) == (0, 1)
    off = settings.model_copy(update={"face_recognition": "off"})
    assert forget_biometrics_past_their_time(session, settings=off, now=utcnow()) == 1
    assert templates(session) == 0


def test_a_students_own_objection_wins_over_the_parents_consent(client, session, office):
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    assert templates(session, obama) == 1
    today = utcnow().date()
    record(
        client, office, obama, "biometric", status="refused", signer="self", signed_on=str(today - timedelta(days=2))
    )
    assert templates(session, obama) == 0
    refused = upload_face(client, office, obama)
    assert refused.status_code == 403, refused.text
    record(client, office, obama, "biometric", signer="parent", signed_on=str(today))  # the parent signs again
    assert upload_face(client, office, obama).status_code == 403
    assert templates(session, obama) == 0


def test_no_encoding_of_an_unknown_face_is_stored(client, session, office, employee):
    photo = "people/obama/obama-2.jpg"
    cleared = clear(client, employee, photo).json()
    assert cleared["faces"] and cleared["faces"][0]["band"] == "unknown"
    encoding = analyse_photo((FACES / photo).read_bytes()).faces[0].encoding
    as_bytes = encoding_to_bytes(encoding)
    as_floats = np.asarray(encoding, dtype=np.float32)
    for table in SQLModel.metadata.sorted_tables:
        for row in session.connection().execute(rows_of(table)):
            for column, value in zip(table.columns, row, strict=True):
                if isinstance(column.type, LargeBinary) and value:
                    assert as_bytes[:64] not in value, f"{table.name}.{column.name}"
                if isinstance(value, list) and len(value) == 128:
                    assert not np.allclose(np.asarray(value, dtype=np.float32), as_floats, atol=1e-3), table.name
    assert "encoding" not in json.dumps(cleared)


def test_the_privacy_page_states_the_schedule_in_force(client, app):
    app.state.settings = app.state.settings.model_copy(
        update={"biometric_retention_years": 2, "retention_days": 45, "face_recognition": "off"}
    )
    page = client.get("/privacy")
    assert page.status_code == 200
    assert "2 years" in page.text and "45 days" in page.text
    assert "does not use face recognition" in page.text


def test_a_persons_data_is_exported_for_a_subject_access_request(client, app, office, employee, make_user):
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    consent = record(client, office, obama)
    scan = (FACES / "people" / "obama" / "obama-720p.jpg").read_bytes()
    attached = client.post(
        f"/api/v1/consents/{consent['id']}/evidence", files={"file": ("form.jpg", scan, "image/jpeg")}, headers=office
    )
    assert attached.status_code == 201, attached.text
    lead_group(client, office, employee, [obama])
    shown = clear(client, employee, "people/obama/obama-2.jpg").json()
    assert identify(client, employee, shown["id"], 0, person_id=obama).status_code == 200
    assert client.get(f"/api/v1/people/{obama}/export", headers=employee).status_code == 403
    export = client.get(f"/api/v1/people/{obama}/export", headers=office)
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    names = archive.namelist()
    assert f"photos/clearance-{shown['id']}.jpg" in names
    assert any(n.startswith("scans/") for n in names)
    data = json.loads(archive.read("record.json"))
    assert data["person"]["name"] == "Barack Obama" and [c["id"] for c in data["consents"]] == [consent["id"]]
    assert [p["id"] for p in data["photos"]] == [shown["id"]]
    assert "encoding" not in archive.read("record.json").decode()
    audit = json.loads(archive.read("audit.json"))
    assert {e["table_name"] for e in audit} >= {"people", "consents", "clearance_reviews"}


def test_a_biometric_consent_records_its_notice_purpose_and_retention(client, session, settings, office):
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    form = {
        "person_id": obama,
        "kind": "biometric",
        "status": "granted",
        "signer_name": "Michelle Obama",
        "signer_relationship": "parent",
        "signed_on": str(utcnow().date() - timedelta(days=3)),
        "notice_version": "2026-09",
        "purpose": "recognising his face in photos checked before posting",
        "retention_years": 1,
    }
    recorded = client.post("/api/v1/consents", json=form, headers=office)
    assert recorded.status_code == 201, recorded.text
    assert {k: recorded.json()[k] for k in ("notice_version", "purpose", "retention_years")} == {
        "notice_version": "2026-09",
        "purpose": "recognising his face in photos checked before posting",
        "retention_years": 1,
    }
    release = {**form, "kind": "image_release", "scopes": ["personal_social_media"]}
    assert client.post("/api/v1/consents", json=release, headers=office).status_code == 422
    assert upload_face(client, office, obama, "people/obama/obama-portrait.jpg").status_code == 201
    # the district keeps templates up to 3 years; this family's form allows 1, and the shorter one wins
    longer = settings.model_copy(update={"biometric_retention_years": 3})
    assert forget_biometrics_past_their_time(session, settings=longer, now=utcnow() + timedelta(days=370)) == 1

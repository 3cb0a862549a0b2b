from __future__ import annotations

import hashlib
from datetime import date, timedelta

from fastapi.testclient import TestClient

from tests.conftest import FACES
from tests.scan_helpers import signed_form_pdf


def person(client: TestClient, headers: dict[str, str], external_id: str = "S-1", kind: str = "student") -> int:
    response = client.post(
        "/api/v1/people",
        json={"external_id": external_id, "kind": kind, "name": f"Person {external_id}"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def form(person_id: int, **changes: object) -> dict:
    return {
        "person_id": person_id,
        "kind": "image_release",
        "status": "granted",
        "scopes": ["personal_social_media", "district_website"],
        "signer_name": "Ana Lopez",
        "signer_relationship": "parent",
        "signed_on": "2026-09-02",
        **changes,
    }


def test_recorded_consent_runs_to_the_end_of_the_school_year_by_default(client, office):
    pid = person(client, office)
    response = client.post("/api/v1/consents", json=form(pid), headers=office)
    assert response.status_code == 201, response.text
    consent = response.json()
    assert consent["valid_from"] == "2026-09-02" and consent["valid_until"] == "2027-06-30"
    assert consent["scopes"] == ["district_website", "personal_social_media"]
    spring = client.post("/api/v1/consents", json=form(pid, signed_on="2026-03-01"), headers=office).json()
    assert spring["valid_until"] == "2026-06-30"  # the school year of its signing, not of the day it is typed in


def test_revocation_is_a_recorded_act_and_the_form_stays(client, office):
    pid = person(client, office)
    consent = client.post("/api/v1/consents", json=form(pid), headers=office).json()
    assert consent["state"] in ("active", "not_yet_valid")
    revoked = client.post(
        f"/api/v1/consents/{consent['id']}/revoke", json={"reason": "Parent phoned the office"}, headers=office
    )
    assert revoked.status_code == 200
    body = revoked.json()
    assert body["state"] == "revoked" and body["revocation"]["reason"] == "Parent phoned the office"
    assert body["signer_name"] == "Ana Lopez" and body["status"] == "granted"  # the form itself is unchanged
    again = client.post(f"/api/v1/consents/{consent['id']}/revoke", json={"reason": "twice"}, headers=office)
    assert again.status_code == 422 and "already revoked" in again.json()["detail"]


def test_states_are_told_apart(client, office):
    pid = person(client, office)
    today = date.today()
    expired = client.post(
        "/api/v1/consents",
        json=form(pid, signed_on=str(today - timedelta(days=400)), valid_until=str(today - timedelta(days=1))),
        headers=office,
    ).json()
    refused = client.post("/api/v1/consents", json=form(pid, status="refused", scopes=[]), headers=office).json()
    active = client.post("/api/v1/consents", json=form(pid, signed_on=str(today)), headers=office).json()
    assert (expired["state"], refused["state"], active["state"]) == ("expired", "refused", "active")
    listed = client.get("/api/v1/consents", params={"person_id": pid}, headers=office).json()
    assert listed["total"] == 3


def test_bad_consents_are_refused_and_nothing_is_written(client, office):
    pid = person(client, office)
    cases = [
        (form(pid, valid_from="2026-09-10", valid_until="2026-09-01"), 422, "before valid_from"),
        (form(999999), 404, "999999"),
        (form(pid, scopes=["facebook"]), 422, "scopes"),
        (form(pid, signer_relationship="self"), 422, "parent or guardian"),
        (form(pid, scopes=[]), 422, "at least one destination"),
        (form(pid, colour="blue"), 422, "colour"),
        (form(pid, signed_on="yesterday"), 422, "signed_on"),
    ]
    for body, code, words in cases:
        response = client.post("/api/v1/consents", json=body, headers=office)
        assert response.status_code == code, (body, response.text)
        assert words in response.json()["detail"], response.json()
    adult = person(client, office, "E-1", "employee")
    signed_by_parent = client.post("/api/v1/consents", json=form(adult), headers=office)
    assert signed_by_parent.status_code == 422 and "themself" in signed_by_parent.json()["detail"]
    assert client.get("/api/v1/consents", headers=office).json()["total"] == 0


def test_a_scanned_form_is_kept_with_its_sha256(client, office, settings):
    pid = person(client, office)
    consent = client.post("/api/v1/consents", json=form(pid), headers=office).json()
    scan = (FACES / "people" / "obama" / "obama-720p.jpg").read_bytes()
    response = client.post(
        f"/api/v1/consents/{consent['id']}/evidence",
        files={"file": ("signed-form.jpg", scan, "image/jpeg")},
        headers=office,
    )
    assert response.status_code == 201, response.text
    evidence = response.json()["evidence"][0]
    assert evidence["sha256"] == hashlib.sha256(scan).hexdigest()
    assert evidence["content_type"] == "image/jpeg" and evidence["filename"] == "signed-form.jpg"
    download = client.get(f"/api/v1/consents/{consent['id']}/evidence/{evidence['id']}", headers=office)
    assert download.status_code == 200 and download.content == scan
    pdf = client.post(
        f"/api/v1/consents/{consent['id']}/evidence",
        files={"file": ("form.pdf", signed_form_pdf(), "application/pdf")},
        headers=office,
    )
    assert pdf.status_code == 201 and len(pdf.json()["evidence"]) == 2


def test_bad_scans_are_refused(client, office, settings):
    pid = person(client, office)
    consent = client.post("/api/v1/consents", json=form(pid), headers=office).json()
    url = f"/api/v1/consents/{consent['id']}/evidence"
    renamed = client.post(
        url, files={"file": ("form.pdf", b"<html>not a scan</html>", "application/pdf")}, headers=office
    )
    assert renamed.status_code == 415 and "PDF, JPEG or PNG" in renamed.json()["detail"]
    big = b"%PDF-" + b"0" * settings.max_evidence_bytes
    too_big = client.post(url, files={"file": ("form.pdf", big, "application/pdf")}, headers=office)
    assert too_big.status_code == 413
    empty = client.post(url, files={"file": ("form.pdf", b"", "application/pdf")}, headers=office)
    assert empty.status_code == 422
    assert client.get(f"/api/v1/consents/{consent['id']}", headers=office).json()["evidence"] == []
    assert not settings.evidence_dir.exists() or not any(settings.evidence_dir.iterdir())


def test_employees_cannot_see_consents_even_by_guessing_ids(client, office, employee):
    pid = person(client, office)
    consent = client.post("/api/v1/consents", json=form(pid), headers=office).json()
    for url in ("/api/v1/consents", f"/api/v1/consents/{consent['id']}", f"/api/v1/consents/{consent['id'] + 1}"):
        assert client.get(url, headers=employee).status_code == 403
    assert client.post("/api/v1/consents", json=form(pid), headers=employee).status_code == 403
    assert (
        client.post(f"/api/v1/consents/{consent['id']}/revoke", json={"reason": "mine"}, headers=employee).status_code
        == 403
    )


def test_the_same_scan_is_never_kept_twice_with_a_form_nor_with_another_persons_form(client, office):
    maya, liam = person(client, office, "S-1"), person(client, office, "S-2")
    release = client.post("/api/v1/consents", json=form(maya), headers=office).json()
    biometric = client.post("/api/v1/consents", json=form(maya, kind="biometric", scopes=[]), headers=office).json()
    liams = client.post("/api/v1/consents", json=form(liam), headers=office).json()
    scan = (FACES / "people" / "obama" / "obama-720p.jpg").read_bytes()

    def attach(consent: dict, name: str = "signed-form.jpg"):
        return client.post(
            f"/api/v1/consents/{consent['id']}/evidence", files={"file": (name, scan, "image/jpeg")}, headers=office
        )

    assert attach(release).status_code == 201
    again = attach(release, "the-same-form.jpg")
    assert again.status_code == 409 and "already kept with this form" in again.json()["detail"], again.text
    assert "signed-form.jpg" in again.json()["detail"]
    elsewhere = attach(liams)
    assert elsewhere.status_code == 409, elsewhere.text
    assert "Person S-1's form" in elsewhere.json()["detail"] and f"form {release['id']}" in elsewhere.json()["detail"]
    assert client.get(f"/api/v1/consents/{liams['id']}", headers=office).json()["evidence"] == []
    assert len(client.get(f"/api/v1/consents/{release['id']}", headers=office).json()["evidence"]) == 1
    one_paper = attach(biometric)  # one sheet holding two of Maya's forms is Maya's evidence for both
    assert one_paper.status_code == 201, one_paper.text

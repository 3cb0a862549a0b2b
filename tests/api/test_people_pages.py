"""The People pages without a browser: the list's standing and filters, editing a record, attaching a scan
to a recorded form, and the consent form's signer taken from the guardians on record. Every error is a page
that keeps what was typed."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.api.clearance_helpers import record
from tests.api.test_disclosure import sign_in_page
from tests.scan_helpers import signed_form_pdf


def add(client: TestClient, headers: dict[str, str], external_id: str, name: str, *guardians: str) -> int:
    response = client.post(
        "/api/v1/people",
        json={
            "external_id": external_id,
            "kind": "student",
            "name": name,
            "guardians": [{"name": g, "relationship": "guardian" if n else "parent"} for n, g in enumerate(guardians)],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def names_listed(html: str) -> list[str]:
    return re.findall(r'<a href="/people/\d+"><strong>([^<]+)</strong></a>', html)


def test_the_people_page_finds_by_a_parents_name_and_filters_by_release(client: TestClient, session: Session, office):
    maya = add(client, office, "S-1", "Maya Lopez", "Ann Smith")
    record(client, office, maya)
    liam = add(client, office, "S-2", "Liam O'Brien", "Mary O'Brien")
    record(client, office, liam, status="refused", scopes=())
    add(client, office, "S-3", "José Álvarez")
    sign_in_page(client, session, "office_staff")

    by_parent = client.get("/people", params={"q": "smith"}).text
    assert names_listed(by_parent) == ["Maya Lopez"] and "Ann Smith" in by_parent
    assert names_listed(client.get("/people", params={"q": "obrien"}).text) == ["Liam O&#39;Brien"]
    assert names_listed(client.get("/people", params={"q": "jose"}).text) == ["José Álvarez"]

    everyone = client.get("/people").text
    assert "Release on file" in everyone and "Refused" in everyone and "No release on file" in everyone
    assert "Not enrolled" in everyone
    assert names_listed(client.get("/people", params={"release": "refused"}).text) == ["Liam O&#39;Brien"]
    assert names_listed(client.get("/people", params={"release": "no_release"}).text) == ["José Álvarez"]
    assert names_listed(client.get("/people", params={"release": "release_on_file", "faces": "no"}).text) == [
        "Maya Lopez"
    ]


def test_office_staff_edit_a_record_and_a_mistake_keeps_what_was_typed(client: TestClient, session: Session, office):
    maya = add(client, office, "S-1", "Maya Lopez", "Ann Smith")
    add(client, office, "S-2", "Liam Chen")
    csrf = sign_in_page(client, session, "office_staff")
    form = client.get(f"/people/{maya}/edit").text
    assert 'value="Ann Smith"' in form and 'value="S-1"' in form

    typed = {
        "csrf_token": csrf,
        "name": "",
        "external_id": "S-1",
        "school": "North Elementary",
        "status": "active",
        "guardian1_name": "Ann Smith",
        "guardian1_relationship": "parent",
        "guardian2_name": "Rosa Núñez",
        "guardian2_relationship": "guardian",
    }
    blank = client.post(f"/people/{maya}/edit", data=typed)
    assert blank.status_code == 422 and "text/html" in blank.headers["content-type"]
    assert "Please fill this in." in blank.text
    assert 'value="North Elementary"' in blank.text and 'value="Rosa Núñez"' in blank.text

    taken = client.post(f"/people/{maya}/edit", data={**typed, "name": "Maya Lopez", "external_id": "S-2"})
    assert taken.status_code == 422 and "S-2 is already the ID of Liam Chen" in taken.text
    assert re.search(r'href="/people/\d+/edit">edit Liam Chen', taken.text)
    assert 'value="Rosa Núñez"' in taken.text

    saved = client.post(f"/people/{maya}/edit", data={**typed, "name": "Maya Lopez-Núñez"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/people/{maya}"
    page = client.get(f"/people/{maya}").text
    assert "Maya Lopez-Núñez&#39;s record has been saved." in page
    assert "Rosa Núñez" in page and "North Elementary" in page
    assert names_listed(client.get("/people", params={"q": "rosa nunez"}).text) == ["Maya Lopez-Núñez"]


def test_adding_an_id_already_taken_links_to_that_record(client: TestClient, session: Session, office):
    maya = add(client, office, "S-1", "Maya Lopez")
    csrf = sign_in_page(client, session, "office_staff")
    response = client.post(
        "/people/new", data={"csrf_token": csrf, "kind": "student", "name": "Maya L.", "external_id": "S-1"}
    )
    assert response.status_code == 422 and 'value="Maya L."' in response.text
    assert f'href="/people/{maya}/edit">edit Maya Lopez\'s record</a>' in response.text
    assert client.get(f"/people/{maya}/edit").status_code == 200  # the way it points to exists


def test_a_scan_is_attached_to_a_form_recorded_without_one(client: TestClient, session: Session, office):
    maya = add(client, office, "S-1", "Maya Lopez", "Ann Smith")
    consent = record(client, office, maya)
    csrf = sign_in_page(client, session, "office_staff")
    assert f'href="/consents/{consent["id"]}/scans/new"' in client.get(f"/people/{maya}").text

    nothing = client.post(f"/consents/{consent['id']}/scans/new", data={"csrf_token": csrf})
    assert nothing.status_code == 422 and "Choose the file of the scanned form" in nothing.text
    not_a_scan = client.post(
        f"/consents/{consent['id']}/scans/new",
        data={"csrf_token": csrf},
        files={"scan": ("form.txt", b"just some text", "text/plain")},
    )
    assert not_a_scan.status_code == 422 and "text/html" in not_a_scan.headers["content-type"]
    assert "must be a PDF, JPEG or PNG" in not_a_scan.text and "choose a file again" in not_a_scan.text
    assert client.get(f"/api/v1/consents/{consent['id']}", headers=office).json()["evidence"] == []

    attached = client.post(
        f"/consents/{consent['id']}/scans/new",
        data={"csrf_token": csrf},
        files={"scan": ("signed.pdf", signed_form_pdf(), "application/pdf")},
        follow_redirects=False,
    )
    assert attached.status_code == 303 and attached.headers["location"].endswith(f"#consent-{consent['id']}")
    [scan] = client.get(f"/api/v1/consents/{consent['id']}", headers=office).json()["evidence"]
    assert scan["filename"] == "signed.pdf"
    assert f"/consents/{consent['id']}/scans/{scan['id']}" in client.get(f"/people/{maya}").text


def test_the_consent_form_offers_the_guardians_on_record_as_the_signer(client: TestClient, session: Session, office):
    maya = add(client, office, "S-1", "Maya Lopez", "Ann Smith", "Carlos Lopez")
    loner = add(client, office, "S-2", "Liam Chen")
    sign_in_page(client, session, "office_staff")
    form = client.get(f"/people/{maya}/consents/new").text
    assert re.search(r'id="f-signer_name" name="signer_name" type="text" value="Ann Smith"', form)
    assert re.search(r'<option value="parent" selected>', form)
    assert 'data-name="Carlos Lopez" data-relationship="guardian"' in form
    assert '<script src="/static/consent-signer.js" defer></script>' in form
    assert client.get("/static/consent-signer.js").status_code == 200
    plain = client.get(f"/people/{loner}/consents/new").text
    assert "data-signer-choice" not in plain and re.search(r'name="signer_name" type="text" value=""', plain)


def test_editing_an_employee_keeps_what_their_form_does_not_show(client: TestClient, session: Session, office):
    response = client.post(
        "/api/v1/people",
        json={"external_id": "E-1", "kind": "employee", "name": "Sam Rivera", "school": "North", "grade": "4"},
        headers=office,
    )
    coach = response.json()["id"]
    csrf = sign_in_page(client, session, "office_staff")
    form = client.get(f"/people/{coach}/edit").text
    assert 'id="f-grade"' not in form and "guardian1_name" not in form
    saved = client.post(
        f"/people/{coach}/edit",
        data={
            "csrf_token": csrf,
            "name": "Sam Rivera-Cruz",
            "external_id": "E-1",
            "school": "North",
            "status": "active",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    kept = client.get(f"/api/v1/people/{coach}", headers=office).json()
    assert kept["name"] == "Sam Rivera-Cruz" and kept["grade"] == "4"  # the grade the form does not show is kept


def test_a_scan_kept_with_another_childs_form_is_refused_on_the_page(client: TestClient, session: Session, office):
    maya = add(client, office, "S-1", "Maya Lopez", "Ann Smith")
    liam = add(client, office, "S-2", "Liam Chen", "Wei Chen")
    mayas, liams = record(client, office, maya), record(client, office, liam)
    csrf = sign_in_page(client, session, "office_staff")
    scan = signed_form_pdf()

    def attach(consent: dict):
        return client.post(
            f"/consents/{consent['id']}/scans/new",
            data={"csrf_token": csrf},
            files={"scan": ("signed.pdf", scan, "application/pdf")},
            follow_redirects=False,
        )

    assert attach(mayas).status_code == 303
    twice = attach(mayas)
    assert twice.status_code == 422 and "already kept with this form" in twice.text
    wrong_child = attach(liams)
    assert wrong_child.status_code == 422 and "already kept with Maya Lopez" in wrong_child.text
    assert "check that you chose the right person" in wrong_child.text
    assert client.get(f"/api/v1/consents/{liams['id']}", headers=office).json()["evidence"] == []

    recorded = client.post(  # a new form for Liam with Maya's scan: refused whole, the field named
        f"/people/{liam}/consents/new",
        data={
            "csrf_token": csrf,
            "answer_image_release": "granted",
            "answer_biometric": "none",
            "scopes": "personal_social_media",
            "signer_name": "Wei Chen",
            "signer_relationship": "parent",
            "signed_on": "2026-09-02",
        },
        files={"scan": ("signed.pdf", scan, "application/pdf")},
    )
    assert recorded.status_code == 422
    assert re.search(r'<p class="error-text" id="e-scan">This scan is already kept with Maya Lopez', recorded.text)
    assert len(client.get("/api/v1/consents", params={"person_id": liam}, headers=office).json()["items"]) == 1

"""One paper form, one entry: a family's form answering the photo release and face enrolment is recorded at once
(API and office page), each answer its own consent in the ledger, the one scan kept with both; "Record it now"
opens the face-enrolment question; a form is corrected from the form itself; save messages say what was saved."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from registry.policy.ledger import end_of_school_year
from tests.api.clearance_helpers import TODAY, record
from tests.api.test_disclosure import sign_in_page
from tests.api.test_people_pages import add
from tests.scan_helpers import signed_form_pdf

SIGNED = str(TODAY - timedelta(days=3))


def _form(person: int, *answers: dict, **more: object) -> dict:
    return {
        "person_id": person,
        "answers": list(answers),
        "signer_name": "Ann Smith",
        "signer_relationship": "parent",
        "signed_on": SIGNED,
        **more,
    }


GRANT_RELEASE = {"kind": "image_release", "status": "granted", "scopes": ["personal_social_media", "print"]}
REFUSE_FACE = {"kind": "biometric", "status": "refused"}


def test_one_paper_records_two_consents_each_with_its_own_answer(client: TestClient, office):
    rose = add(client, office, "S-1", "Rose Lee", "Ann Smith")
    response = client.post("/api/v1/consents/forms", json=_form(rose, GRANT_RELEASE, REFUSE_FACE), headers=office)
    assert response.status_code == 201, response.text
    release, face = response.json()
    assert (release["kind"], release["status"], release["state"]) == ("image_release", "granted", "active")
    assert release["scopes"] == ["personal_social_media", "print"] and release["valid_until"] == str(
        end_of_school_year(TODAY - timedelta(days=3))
    )
    assert (face["kind"], face["status"], face["state"], face["valid_until"]) == (
        "biometric",
        "refused",
        "refused",
        None,
    )
    listed = client.get("/api/v1/consents", params={"person_id": rose}, headers=office).json()
    assert listed["total"] == 2  # two records in the ledger

    scan = signed_form_pdf()
    for consent in (release, face):  # one paper: its scan backs both records
        attached = client.post(
            f"/api/v1/consents/{consent['id']}/evidence",
            files={"file": ("form.pdf", scan, "application/pdf")},
            headers=office,
        )
        assert attached.status_code == 201, attached.text


def test_a_paper_form_is_refused_whole_when_one_answer_is_wrong(client: TestClient, office):
    rose = add(client, office, "S-1", "Rose Lee", "Ann Smith")
    no_places = {"kind": "image_release", "status": "granted", "scopes": []}
    response = client.post("/api/v1/consents/forms", json=_form(rose, no_places, REFUSE_FACE), headers=office)
    assert response.status_code == 422 and "at least one destination" in response.text
    twice = client.post("/api/v1/consents/forms", json=_form(rose, REFUSE_FACE, REFUSE_FACE), headers=office)
    assert twice.status_code == 422 and "each kind of consent once" in twice.text
    by_the_student = client.post(
        "/api/v1/consents/forms",
        json={**_form(rose, GRANT_RELEASE, REFUSE_FACE), "signer_relationship": "self", "signer_name": "Rose Lee"},
        headers=office,
    )
    assert by_the_student.status_code == 422
    assert client.get("/api/v1/consents", params={"person_id": rose}, headers=office).json()["total"] == 0


def test_the_office_enters_both_answers_and_one_scan_in_one_entry(client: TestClient, session: Session, office):
    rose = add(client, office, "S-1", "Rose Lee", "Ann Smith")
    csrf = sign_in_page(client, session, "office_staff")
    blank = client.get(f"/people/{rose}/consents/new").text
    assert 'name="answer_image_release" value="granted" checked' not in blank  # the answer is not guessed
    assert re.search(r'name="answer_biometric" value="none" checked', blank)  # the other question: not asked
    saved = client.post(
        f"/people/{rose}/consents/new",
        data={
            "csrf_token": csrf,
            "answer_image_release": "refused",
            "answer_biometric": "granted",
            "signer_name": "Ann Smith",
            "signer_relationship": "parent",
            "signed_on": SIGNED,
        },
        files={"scan": ("form.pdf", signed_form_pdf(), "application/pdf")},
    )
    assert saved.status_code == 200, saved.text
    assert "Rose Lee&#39;s parent refused the photo release and agreed to face enrolment." in saved.text
    items = client.get("/api/v1/consents", params={"person_id": rose}, headers=office).json()["items"]
    assert {(c["kind"], c["status"]) for c in items} == {("image_release", "refused"), ("biometric", "granted")}
    assert all(len(c["evidence"]) == 1 for c in items)
    assert items[0]["evidence"][0]["sha256"] == items[1]["evidence"][0]["sha256"]


def test_an_entry_with_no_answer_is_refused_beside_the_question(client: TestClient, session: Session, office):
    rose = add(client, office, "S-1", "Rose Lee", "Ann Smith")
    csrf = sign_in_page(client, session, "office_staff")
    base = {"csrf_token": csrf, "signer_name": "Ann Smith", "signer_relationship": "parent", "signed_on": SIGNED}
    nothing = client.post(
        f"/people/{rose}/consents/new", data={**base, "answer_image_release": "none", "answer_biometric": "none"}
    )
    assert nothing.status_code == 422
    assert re.search(r'id="e-answer_image_release">The form must answer at least one question', nothing.text)
    unanswered = client.post(f"/people/{rose}/consents/new", data={**base, "answer_biometric": "granted"})
    assert unanswered.status_code == 422 and 'id="e-answer_image_release">Choose what the form says' in unanswered.text
    assert client.get("/api/v1/consents", params={"person_id": rose}, headers=office).json()["total"] == 0


def test_record_it_now_opens_the_face_enrolment_question_and_saves(client: TestClient, session: Session, office):
    rose = add(client, office, "S-1", "Rose Lee", "Ann Smith")
    csrf = sign_in_page(client, session, "office_staff")
    person = client.get(f"/people/{rose}").text
    link = re.search(r'<a href="(/people/\d+/consents/new\?kind=biometric)">Record it now</a>', person)
    assert link, "the faces section links to the face-enrolment question"
    form = client.get(link.group(1)).text
    assert form.index('id="answer-biometric"') < form.index('id="answer-image_release"')  # asked first
    assert re.search(r'name="answer_image_release" value="none" checked', form)
    assert not re.search(r'name="answer_biometric" value="[a-z]+" checked', form)
    saved = client.post(
        f"/people/{rose}/consents/new",
        data={
            "csrf_token": csrf,
            "answer_image_release": "none",
            "answer_biometric": "granted",
            "signer_name": "Ann Smith",
            "signer_relationship": "parent",
            "signed_on": SIGNED,
        },
    )
    assert saved.status_code == 200 and "Rose Lee&#39;s parent agreed to face enrolment." in saved.text
    assert 'id="f-photo"' in saved.text  # the face can be enrolled now


def test_a_form_is_corrected_from_the_form_itself(client: TestClient, session: Session, office):
    rose = add(client, office, "S-1", "Rose Lee", "Ann Smith")
    web = record(client, office, rose, scopes=("district_website",), signed_on=SIGNED)
    printed = record(client, office, rose, scopes=("print",), signed_on=SIGNED)
    csrf = sign_in_page(client, session, "office_staff")
    person = client.get(f"/people/{rose}").text
    # two forms of one day, told apart by their places
    assert re.search(r"Correct this form<span[^>]*>: the photo release signed by Signer on [^<]*\(print\)", person)
    assert re.search(
        r"Correct this form<span[^>]*>: the photo release signed by Signer on [^<]*\(the district website\)", person
    )
    form = client.get(f"/consents/{printed['id']}/correct").text
    assert "Correct this entry" in form and 'value="none"' not in form  # the question is the form's own
    assert re.search(r'name="answer_image_release" value="granted" checked', form)  # as typed, to change
    assert re.search(r'name="scopes" value="print" checked', form)
    saved = client.post(
        f"/consents/{printed['id']}/correct",
        data={
            "csrf_token": csrf,
            "answer_image_release": "refused",
            "signer_name": "Ann Smith",
            "signer_relationship": "parent",
            "signed_on": SIGNED,
        },
    )
    assert saved.status_code == 200, saved.text
    assert "is corrected: Rose Lee&#39;s parent refused the photo release." in saved.text
    states = {
        c["id"]: c["state"]
        for c in client.get("/api/v1/consents", params={"person_id": rose}, headers=office).json()["items"]
    }
    assert states[printed["id"]] == "corrected" and states[web["id"]] == "superseded"
    assert f'href="/consents/{printed["id"]}/correct"' not in saved.text  # a replaced entry is not corrected again


def test_one_scan_backs_the_records_of_one_paper_only(client: TestClient, office):
    rose = add(client, office, "S-1", "Rose Lee", "Ann Smith")
    release, face = client.post(
        "/api/v1/consents/forms", json=_form(rose, GRANT_RELEASE, REFUSE_FACE), headers=office
    ).json()
    later = record(client, office, rose, "biometric", signed_on=str(TODAY - timedelta(days=1)))  # another paper
    scan = signed_form_pdf()

    def attach(consent: dict):
        return client.post(
            f"/api/v1/consents/{consent['id']}/evidence",
            files={"file": ("form.pdf", scan, "application/pdf")},
            headers=office,
        )

    assert attach(release).status_code == 201
    assert attach(face).status_code == 201  # the same paper's other answer
    other_paper = attach(later)
    assert other_paper.status_code == 409 and "another form of this person" in other_paper.json()["detail"]
    corrected_date = {
        "person_id": rose,
        **GRANT_RELEASE,
        "signer_name": "Ann Smith",
        "signer_relationship": "parent",
        "signed_on": str(TODAY - timedelta(days=2)),
        "corrects_id": release["id"],
    }
    correction = client.post("/api/v1/consents", json=corrected_date, headers=office).json()
    assert attach(correction).status_code == 201  # a correction keeps the scan of the entry it corrects

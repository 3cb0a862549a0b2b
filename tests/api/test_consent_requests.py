"""Office staff ask families for consent online; a family opens its private link, proves who it is with the
child's date of birth, and signs, declines or withdraws. What they sign is read by the ledger like paper."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlmodel import select

from api.access_log import HidePrivateLinks
from registry.consent_requests import links
from registry.models.audit import AuditEntry
from registry.models.consent_requests import ConsentRequest
from registry.models.consents import Consent, ConsentEvidence
from tests.api.family_helpers import ALL_DESTINATIONS, add_student, ask, csrf, open_link, prove, sign
from tests.api.rate_windows import within_one_window


def test_a_request_for_a_group_gives_each_student_one_private_link(client, session, office):
    ids = [add_student(client, office, f"S-G{n}", f"Student {n}") for n in range(3)]
    no_birth = client.post(
        "/api/v1/people", json={"external_id": "S-NB", "kind": "student", "name": "No Birthdate"}, headers=office
    ).json()["id"]
    group = client.post(
        "/api/v1/groups",
        json={"name": "4B", "kind": "homeroom", "member_ids": [*ids, no_birth], "leader_ids": []},
        headers=office,
    ).json()["id"]

    made = ask(client, office, group_id=group)

    assert sorted(r["person_id"] for r in made["items"]) == sorted(ids)
    assert [s["person_id"] for s in made["skipped"]] == [no_birth]
    assert "date of birth" in made["skipped"][0]["reason"]
    urls = {r["url"] for r in made["items"]}
    assert len(urls) == 3 and all(r["status"] == "pending" for r in made["items"])
    assert all(len(r["short_code"]) == 11 for r in made["items"])
    # Asking again gives the same open requests, not a second link each.
    assert {r["url"] for r in ask(client, office, group_id=group)["items"]} == urls
    # Nothing stored opens a form: the token is in no column, only its hash.
    token = next(iter(urls)).rsplit("/", 1)[1]
    stored = session.exec(select(ConsentRequest)).all()
    assert all(token not in str(r.model_dump()) for r in stored)
    assert any(r.token_hash == links.token_hash(token) for r in stored)


def test_a_family_signs_and_the_ledger_reads_it_like_a_paper_form(client, session, office, settings):
    person = add_student(client, office, "S-F1", "Lucia Lopez", school="Lincoln", grade="4")
    url = ask(client, office, person_id=person)["items"][0]["url"]

    page = open_link(client, url)
    assert "Lucia" not in page  # nothing of the child before the date of birth matches
    wrong = prove(client, page, {"day": "15", "month": "3", "year": "2015"})
    assert wrong.status_code == 422 and "does not match" in wrong.text and "Lucia" not in wrong.text
    form = prove(client, wrong.text)
    assert form.status_code == 200 and "Lucia Lopez" in form.text
    assert "checked" not in form.text  # nothing pre-ticked

    answers = {"district_website": "yes", "print": "yes", "district_social_media": "no", "personal_social_media": "no"}
    done = sign(client, form.text, answers)
    assert done.status_code == 200 and "your answers are recorded" in done.text, re.findall(
        r"error-text[^>]*>([^<]*)|notice-error[^>]*><p>([^<]*)", done.text
    )

    consent = session.exec(select(Consent).where(Consent.person_id == person)).one()
    assert (consent.status, consent.scopes) == ("granted", ["district_website", "print"])
    assert (consent.signer_name, consent.signer_relationship) == ("Maria Lopez", "parent")
    assert consent.valid_until is not None and (consent.valid_until.month, consent.valid_until.day) == (6, 30)
    on_record = client.get("/api/v1/consents", params={"person_id": person}, headers=office).json()["items"]
    assert on_record[0]["state"] == "active"
    release = client.get(f"/api/v1/people/{person}", headers=office).json()["image_release"]
    assert sorted(release["destinations"]) == ["district_website", "print"]
    request = client.get("/api/v1/consent-requests", params={"person_id": person}, headers=office).json()["items"][0]
    assert (request["status"], request["consent_id"]) == ("signed", consent.id)

    evidence = session.exec(select(ConsentEvidence).where(ConsentEvidence.consent_id == consent.id)).one()
    receipt_link = f"/family/receipts/{evidence.id}"
    assert receipt_link in done.text
    receipt = client.get(receipt_link)
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF-")
    actors = session.exec(select(AuditEntry.actor).where(AuditEntry.table_name == "consents")).all()
    assert f"family:consent-request:{request['id']}" in actors


def test_all_no_is_a_refusal(client, session, office):
    person = add_student(client, office, "S-F2", "Noah No")
    url = ask(client, office, person_id=person)["items"][0]["url"]
    form = prove(client, open_link(client, url))
    sign(client, form.text, dict.fromkeys(ALL_DESTINATIONS, "no"))
    consent = session.exec(select(Consent).where(Consent.person_id == person)).one()
    assert (consent.status, consent.scopes, consent.valid_until) == ("refused", [], None)
    request = client.get("/api/v1/consent-requests", params={"person_id": person}, headers=office).json()["items"][0]
    assert request["status"] == "declined"


def test_an_unanswered_question_records_nothing(client, session, office):
    person = add_student(client, office, "S-F3", "Una Answered")
    form = prove(client, open_link(client, ask(client, office, person_id=person)["items"][0]["url"]))
    answer = sign(client, form.text, {"district_website": "yes"}, affirmed="")
    assert answer.status_code == 422
    assert answer.text.count("Answer Yes or No.") == 3
    assert "Confirm that you are" in answer.text
    assert session.exec(select(Consent).where(Consent.person_id == person)).first() is None


def test_the_link_is_held_after_five_wrong_dates_even_for_the_right_one(client, office):
    person = add_student(client, office, "S-F4", "Held Link")
    page = open_link(client, ask(client, office, person_id=person)["items"][0]["url"])
    for day in range(1, 6):
        page = prove(client, page, {"day": str(day), "month": "1", "year": "2000"}).text
    held = prove(client, page)
    assert held.status_code == 429 and "Held Link" not in held.text


def test_an_expired_link_and_a_departed_student_cannot_sign(client, session, office):
    person = add_student(client, office, "S-F5", "Late Answer")
    url = ask(client, office, person_id=person)["items"][0]["url"]
    request = session.exec(select(ConsentRequest).where(ConsentRequest.person_id == person)).one()
    request.expires_at = request.created_at - timedelta(seconds=1)
    session.add(request)
    session.commit()
    response = client.get(url.split("8000", 1)[1])
    assert response.status_code == 410 and "expired" in response.text

    departed = add_student(client, office, "S-F6", "Gone Away")
    form = prove(client, open_link(client, ask(client, office, person_id=departed)["items"][0]["url"]))
    client.patch(f"/api/v1/people/{departed}", json={"status": "departed"}, headers=office)
    answer = sign(client, form.text, dict.fromkeys(ALL_DESTINATIONS, "yes"))
    assert answer.status_code == 409
    assert session.exec(select(Consent).where(Consent.person_id == departed)).first() is None


def test_a_form_without_its_csrf_token_is_refused(client, office):
    person = add_student(client, office, "S-F7", "Cross Site")
    open_link(client, ask(client, office, person_id=person)["items"][0]["url"])
    response = client.post("/family/birth-date", data={"day": "14", "month": "3", "year": "2015"})
    assert response.status_code == 403


def test_a_withdrawal_revokes_the_form_in_force_with_a_receipt(client, session, office):
    person = add_student(client, office, "S-F8", "Will Draw")
    form = prove(client, open_link(client, ask(client, office, person_id=person)["items"][0]["url"]))
    done = sign(client, form.text, dict.fromkeys(ALL_DESTINATIONS, "yes"))
    assert "Withdraw this consent" in done.text
    # Past the day the link was to be answered by, an answered link still opens for the rest of the school year.
    request = session.exec(select(ConsentRequest).where(ConsentRequest.person_id == person)).one()
    request.expires_at = request.created_at - timedelta(seconds=1)
    session.add(request)
    session.commit()
    withdrawn = client.post("/family/withdraw", data={"csrf_token": csrf(done.text), "signer_name": "Maria Lopez"})
    assert withdrawn.status_code == 200 and "withdrawn" in withdrawn.text
    state = client.get("/api/v1/consents", params={"person_id": person}, headers=office).json()["items"][0]["state"]
    assert state == "revoked"
    files = session.exec(select(ConsentEvidence.filename)).all()
    assert any(f.startswith("receipt-withdrawn") for f in files)


def test_no_private_link_reaches_the_access_log():
    line = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4", "GET", "/f/s3cr3t", "1.1", 303),
        None,
    )
    HidePrivateLinks().filter(line)
    assert "s3cr3t" not in line.getMessage() and "/f/[private link]" in line.getMessage()


def test_the_short_code_from_the_letter_opens_the_same_form(client, office):
    person = add_student(client, office, "S-F9", "Paper Code")
    code = ask(client, office, person_id=person)["items"][0]["short_code"]
    page = client.get("/f")
    wrong = client.post("/f", data={"csrf_token": csrf(page.text), "code": "ABCDE-FGHJK"})
    assert wrong.status_code == 422 and "does not match" in wrong.text
    typed = client.post("/f", data={"csrf_token": csrf(wrong.text), "code": code.lower().replace("-", " ")})
    assert typed.status_code == 200 and "date of birth" in typed.text
    assert "Paper Code" in prove(client, typed.text).text


def test_one_address_trying_many_links_is_slowed_down(client, office, settings):
    settings.rate_limit_birth_date_per_client = 3
    settings.rate_limit_window_seconds = within_one_window()
    people = [add_student(client, office, f"S-A{n}", f"Address {n}") for n in range(2)]
    urls = [ask(client, office, person_id=p)["items"][0]["url"] for p in people]
    page = open_link(client, urls[0])
    for _ in range(2):
        page = prove(client, page, {"day": "1", "month": "1", "year": "2001"}).text
    page = open_link(client, urls[1])  # another child's link, from the same address
    assert prove(client, page, {"day": "1", "month": "1", "year": "2001"}).status_code == 422
    slowed = prove(client, page)
    assert slowed.status_code == 429 and "Address 1" not in slowed.text


def test_the_district_s_own_form_text_is_shown_and_recorded(client, session, office, settings, tmp_path):
    own = tmp_path / "forms"
    own.mkdir()
    (own / "image_release.en.txt").write_text(
        "Version: 2027-B\nTitle: Our own photo form\n\nWe post photos only where you say yes.\n", encoding="utf-8"
    )
    settings.family_forms_dir = own
    person = add_student(client, office, "S-F10", "Own Text")
    form = prove(client, open_link(client, ask(client, office, person_id=person)["items"][0]["url"]))
    assert "Our own photo form" in form.text and "2027-B" in form.text
    sign(client, form.text, dict.fromkeys(ALL_DESTINATIONS, "yes"))
    consent = session.exec(select(Consent).where(Consent.person_id == person)).one()
    assert consent.note is not None and "image_release.en version 2027-B" in consent.note


def test_an_unanswered_request_past_its_day_reads_expired(client, session, office):
    person = add_student(client, office, "S-F11", "Past Due")
    ask(client, office, person_id=person)
    request = session.exec(select(ConsentRequest).where(ConsentRequest.person_id == person)).one()
    request.expires_at = request.created_at - timedelta(seconds=1)
    session.add(request)
    session.commit()
    listed = client.get("/api/v1/consent-requests", params={"person_id": person}, headers=office).json()
    assert listed["items"][0]["status"] == "expired"
    again = ask(client, office, person_id=person)["items"][0]
    assert again["status"] == "pending" and again["id"] != request.id  # a new link, the old one stays expired


def test_a_stranger_without_a_link_gets_nothing_from_the_family_pages(client, office):
    person = add_student(client, office, "S-F12", "Not Yours")
    form = prove(client, open_link(client, ask(client, office, person_id=person)["items"][0]["url"]))
    done = sign(client, form.text, dict.fromkeys(ALL_DESTINATIONS, "yes"))
    receipt = re.search(r'href="(/family/receipts/\d+)"', done.text)
    assert receipt
    client.cookies.clear()  # another browser
    assert client.get("/family", follow_redirects=False).headers["location"] == "/f"
    assert client.get("/f/not-a-real-link").status_code == 404
    assert client.get(receipt.group(1)).status_code == 403
    for action in ("/family/birth-date", "/family/sign", "/family/withdraw"):
        response = client.post(action, data={"signer_name": "Someone"})
        assert response.status_code == 403 and "Not Yours" not in response.text


def test_a_yes_after_a_no_the_same_day_is_refused_with_the_reason(client, session, office):
    person = add_student(client, office, "S-F13", "Changed Mind")
    form = prove(client, open_link(client, ask(client, office, person_id=person)["items"][0]["url"]))
    declined = sign(client, form.text, dict.fromkeys(ALL_DESTINATIONS, "no"))
    again = sign(client, declined.text, dict.fromkeys(ALL_DESTINATIONS, "yes"))
    assert again.status_code == 422 and "open this link again tomorrow" in again.text
    assert [c.status for c in session.exec(select(Consent).where(Consent.person_id == person))] == ["refused"]
    # No after Yes the same day is recorded: a refusal always counts.
    other = add_student(client, office, "S-F14", "Second Thoughts")
    client.cookies.clear()
    form = prove(client, open_link(client, ask(client, office, person_id=other)["items"][0]["url"]))
    granted = sign(client, form.text, dict.fromkeys(ALL_DESTINATIONS, "yes"))
    assert sign(client, granted.text, dict.fromkeys(ALL_DESTINATIONS, "no")).status_code == 200
    state = client.get("/api/v1/consents", params={"person_id": other}, headers=office).json()["items"][0]["state"]
    assert state == "refused"

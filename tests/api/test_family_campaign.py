"""The school year's campaign: counts per school and group, the CSV export, and the district-wide renewal of
the forms that run out on 30 June."""

from __future__ import annotations

import csv
from datetime import date
from io import StringIO

from registry.consent_requests import campaign
from registry.consent_requests.service import school_year_of
from tests.api.clearance_helpers import record
from tests.api.family_helpers import ALL_DESTINATIONS, add_student, ask, open_link, prove, sign
from tests.api.test_disclosure import sign_in_page
from tests.district import DISTRICT


def test_the_campaign_counts_each_school_and_group_and_exports_them(client, office):
    lincoln = [add_student(client, office, f"S-C{n}", f"Lincoln {n}", school="Lincoln") for n in range(4)]
    add_student(client, office, "S-CW", "Washington 1", school="Washington")
    client.post(
        "/api/v1/groups",
        json={"name": "Choir", "kind": "choir", "member_ids": lincoln[:2], "leader_ids": []},
        headers=office,
    )
    links = {r["person_id"]: r["url"] for r in ask(client, office, school="Lincoln")["items"]}
    ask(client, office, school="Washington")
    form = prove(client, open_link(client, links[lincoln[0]]))
    sign(client, form.text, dict.fromkeys(ALL_DESTINATIONS, "yes"))
    client.cookies.clear()
    form = prove(client, open_link(client, links[lincoln[1]]))
    sign(client, form.text, dict.fromkeys(ALL_DESTINATIONS, "no"))
    client.cookies.clear()
    prove(client, open_link(client, links[lincoln[2]]))  # opened, not answered

    rows = client.get("/api/v1/consent-requests/campaign", headers=office).json()
    table = {(r["school"], r["group"]): r for r in rows}
    assert table[("Lincoln", "")] == {
        "school": "Lincoln",
        "group": "",
        "requested": 4,
        "opened": 3,
        "signed_yes": 1,
        "signed_no": 1,
        "withdrawn": 0,
        "no_answer": 2,
    }
    assert (table[("Lincoln", "Choir")]["signed_yes"], table[("Lincoln", "Choir")]["signed_no"]) == (1, 1)
    assert table[("Washington", "")]["no_answer"] == 1

    exported = client.get("/api/v1/consent-requests/campaign.csv", headers=office)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(StringIO(exported.text)))
    assert [(r["school"], r["group"], r["signed_yes"]) for r in lines][:2] == [
        ("Lincoln", "", "1"),
        ("Lincoln", "Choir", "1"),
    ]


def test_one_request_renews_every_form_running_out_and_the_answer_lasts_the_next_year(client, office):
    today = str(DISTRICT.today())
    running_out = add_student(client, office, "S-R1", "Running Out")
    record(client, office, running_out, signed_on=today)
    refused_since = add_student(client, office, "S-R2", "Refused Since")
    record(client, office, refused_since, signed_on=today)
    record(client, office, refused_since, status="refused", scopes=(), signed_on=today)
    withdrawn = add_student(client, office, "S-R3", "Withdrawn Form")
    revoked = record(client, office, withdrawn, signed_on=today)
    client.post(f"/api/v1/consents/{revoked['id']}/revoke", json={"reason": "Father wrote"}, headers=office)
    add_student(client, office, "S-R4", "Never Asked")

    next_year = school_year_of(DISTRICT.today()) + 1
    response = client.post(
        "/api/v1/consent-requests/renewal", json={"kind": "image_release", "school_year": next_year}, headers=office
    )
    assert response.status_code == 201, response.text
    made = response.json()["items"]
    assert [r["person_name"] for r in made] == ["Running Out"]
    assert made[0]["school_year"] == next_year

    form = prove(client, open_link(client, made[0]["url"]))
    sign(client, form.text, dict.fromkeys(ALL_DESTINATIONS, "yes"))
    newest = client.get("/api/v1/consents", params={"person_id": running_out}, headers=office).json()["items"][0]
    assert newest["valid_until"] == f"{next_year}-06-30" and newest["state"] == "active"


def test_the_office_renews_from_the_page(client, session, office):
    year = campaign.renewal_year(DISTRICT)
    ending = add_student(client, office, "S-R9", "Page Renewal")
    record(client, office, ending, signed_on=str(date(year - 2, 9, 1)))  # runs to 30 June of year - 1
    token = sign_in_page(client, session, "office_staff")
    assert f"Renew for the school year ending 30 June {year}" in client.get("/consent-requests").text
    done = client.post("/consent-requests/renewal", data={"csrf_token": token, "kind": "image_release"})
    assert done.status_code == 200 and "1 families asked to renew" in done.text
    listed = client.get("/api/v1/consent-requests", params={"person_id": ending}, headers=office).json()
    assert [r["school_year"] for r in listed["items"]] == [year]

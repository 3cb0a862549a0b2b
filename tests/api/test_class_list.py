"""The class list: who here must not be posted, read like every decision, for the group's leaders only."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest

from tests.api.clearance_helpers import TODAY, add_person, enrol, record
from tests.api.test_disclosure import sign_in_page


def user_id(client, headers) -> int:
    return int(client.get("/api/v1/auth/me", headers=headers).json()["id"])


@pytest.fixture
def team(client, office, employee):
    """Six students of one team, each with a different record; the employee coaches it."""
    ids = {
        name: add_person(client, office, f"S-{name.upper()}", "student", name)
        for name in ("Refused", "Nothing", "Granted", "Superseded", "Narrowed", "Withdrawn")
    }
    for person in ids.values():
        client.patch(f"/api/v1/people/{person}", json={"school": "Lincoln High", "grade": "10"}, headers=office)
    record(client, office, ids["Refused"], status="refused", scopes=())
    record(client, office, ids["Granted"], scopes=("personal_social_media", "district_social_media"))
    record(client, office, ids["Superseded"], signed_on=str(TODAY - timedelta(days=60)))
    record(
        client,
        office,
        ids["Superseded"],
        status="refused",
        scopes=("district_website",),
        signed_on=str(TODAY - timedelta(days=10)),
    )  # the newest form decides, as a whole
    record(client, office, ids["Narrowed"], signed_on=str(TODAY - timedelta(days=60)))
    record(client, office, ids["Narrowed"], scopes=("district_website",), signed_on=str(TODAY - timedelta(days=10)))
    withdrawn = record(client, office, ids["Withdrawn"])
    client.post(f"/api/v1/consents/{withdrawn['id']}/revoke", json={"reason": "Mother phoned"}, headers=office)
    response = client.post(
        "/api/v1/groups",
        json={
            "name": "Varsity soccer",
            "kind": "team",
            "school": "Lincoln High",
            "member_ids": list(ids.values()),
            "leader_ids": [user_id(client, employee)],
        },
        headers=office,
    )
    assert response.status_code == 201, response.text
    return {"group": response.json()["id"], **ids}


def listed(answer: dict) -> dict[str, bool]:
    return {s["name"]: s["refused"] for s in answer["listed"]}


def test_the_coach_sees_who_must_not_be_posted(client, employee, team):
    response = client.get(f"/api/v1/groups/{team['group']}/class-list", headers=employee)
    assert response.status_code == 200, response.text
    answer = response.json()
    # Superseded: a grant, then a refusal for the website only; the newest form decides as a whole, so
    # there is no release for social media either (not a refusal of it: the family did not say no to it)
    assert listed(answer) == {
        "Refused": True,
        "Nothing": False,
        "Superseded": False,
        "Narrowed": False,
        "Withdrawn": True,
    }
    assert "Granted" not in listed(answer)  # a grant in force for this destination
    assert answer["students"] == 6 and answer["printed_on"] == str(TODAY)
    assert answer["destination"] == "personal_social_media" and answer["title"] == "Varsity soccer"
    assert all(s["words"] for s in answer["listed"])
    assert "Mother phoned" not in response.text  # the office's note stays in the office record


def test_the_list_depends_on_the_destination(client, employee, team):
    website = client.get(
        f"/api/v1/groups/{team['group']}/class-list", params={"destination": "district_website"}, headers=employee
    ).json()
    assert "Granted" in listed(website) and "Narrowed" not in listed(website)


def test_another_employee_gets_no_class_list_and_no_school_list(client, make_user, employee, team):
    stranger = make_user("employee")
    assert client.get(f"/api/v1/groups/{team['group']}/class-list", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/groups/{team['group']}/class-list.pdf", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/groups/{team['group']}", headers=stranger).status_code == 404
    assert client.get("/api/v1/groups", headers=stranger).json() == []
    assert [g["id"] for g in client.get("/api/v1/groups", headers=employee).json()] == [team["group"]]
    school = client.get("/api/v1/class-list", params={"school": "Lincoln High"}, headers=employee)
    assert school.status_code == 403
    assert client.post("/api/v1/groups", json={"name": "Mine", "kind": "team"}, headers=employee).status_code == 403


def test_office_staff_print_a_school_or_a_grade(client, office, team):
    school = client.get("/api/v1/class-list", params={"school": "Lincoln High", "grade": "10"}, headers=office)
    assert school.status_code == 200, school.text
    assert set(listed(school.json())) == {"Refused", "Nothing", "Superseded", "Narrowed", "Withdrawn"}
    assert (
        client.get("/api/v1/class-list", params={"school": "Lincoln High", "grade": "11"}, headers=office).json()[
            "students"
        ]
        == 0
    )


def test_the_printable_list_is_a_pdf(client, employee, team):
    response = client.get(f"/api/v1/groups/{team['group']}/class-list.pdf", headers=employee)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF-")
    assert f"do-not-post-varsity-soccer-{TODAY}.pdf" in response.headers["content-disposition"]


def test_showing_a_class_list_to_an_employee_is_recorded(client, employee, admin, team):
    client.get(f"/api/v1/groups/{team['group']}/class-list", headers=employee)
    entries = client.get("/api/v1/audit", params={"table_name": "groups", "action": "disclose"}, headers=admin).json()[
        "items"
    ]
    assert len(entries) == 1 and entries[0]["changes"]["to_user_id"] == user_id(client, employee)
    assert sorted(entries[0]["changes"]["people"]) == sorted(
        team[n] for n in ("Refused", "Nothing", "Superseded", "Narrowed", "Withdrawn")
    )
    assert client.get("/api/v1/audit/verify", headers=admin).json()["ok"] is True


def test_the_reference_thumbnail_is_shown_to_the_coach_only(client, office, employee, make_user, team):
    enrol(client, office, team["Nothing"], "people/obama/obama-portrait.jpg", signer="parent")
    answer = client.get(f"/api/v1/groups/{team['group']}/class-list", headers=employee).json()
    url = next(s["thumbnail_url"] for s in answer["listed"] if s["name"] == "Nothing")
    assert url and all(s["thumbnail_url"] is None for s in answer["listed"] if s["name"] != "Nothing")
    photo = client.get(url, headers=employee)
    assert photo.status_code == 200 and photo.content[:3] == b"\xff\xd8\xff"
    assert client.get(url, headers=make_user("employee")).status_code == 404
    pdf = client.get(f"/api/v1/groups/{team['group']}/class-list.pdf", headers=employee)
    assert pdf.status_code == 200 and b"/Image" in pdf.content


def test_the_pages_keep_other_groups_and_whole_schools_from_an_employee(client, session, team):
    sign_in_page(client, session, "employee")
    assert client.get(f"/class-lists/groups/{team['group']}").status_code == 404
    assert client.get(f"/class-lists/groups/{team['group']}/pdf").status_code == 404
    assert client.get("/class-lists/school", params={"school": "Lincoln High"}).status_code == 403
    assert client.get(f"/class-lists/thumbnails/{team['Refused']}").status_code == 404
    assert "Varsity soccer" not in client.get("/class-lists").text
    assert client.get("/groups/new").status_code == 403


def test_office_staff_make_a_group_on_the_page(client, session, employee, team):
    csrf = sign_in_page(client, session, "office_staff")
    leader = client.get("/api/v1/auth/me", headers=employee).json()["email"]
    response = client.post(
        "/groups/new",
        data={
            "csrf_token": csrf,
            "name": "Choir",
            "kind": "choir",
            "school": "Lincoln High",
            "members": "S-REFUSED\nS-GRANTED, S-NOBODY",
            "leaders": leader,
        },
    )
    assert response.status_code == 422 and "S-NOBODY" in response.text  # nothing saved
    response = client.post(
        "/groups/new",
        data={
            "csrf_token": csrf,
            "name": "Choir",
            "kind": "choir",
            "school": "Lincoln High",
            "members": "S-REFUSED\nS-GRANTED",
            "leaders": leader,
        },
    )
    assert response.status_code == 200 and "Choir" in response.text
    choir = next(g for g in client.get("/api/v1/groups", headers=employee).json() if g["name"] == "Choir")
    assert choir["member_ids"] == sorted([team["Refused"], team["Granted"]])
    listing = client.get(f"/class-lists/groups/{choir['id']}")
    assert listing.status_code == 200 and "Refused" in listing.text and "Printed" in listing.text


def test_co_workers_and_parents_in_the_group_without_consent_are_listed_as_what_they_are(
    client, session, office, employee, team
):
    coach = add_person(client, office, "E-ASSIST", "employee", "Assistant Coach")  # no consent at all
    consenting = add_person(client, office, "E-OK", "employee", "Consenting Coach")
    record(client, office, consenting, signer="self")
    parent = add_person(client, office, "C-VOL", "community_member", "Volunteer Parent")
    record(client, office, parent, status="refused", scopes=(), signer="self")
    group = client.get(f"/api/v1/groups/{team['group']}", headers=office).json()
    saved = client.put(
        f"/api/v1/groups/{team['group']}",
        json={
            "name": group["name"],
            "kind": group["kind"],
            "school": group["school"],
            "member_ids": [*group["member_ids"], coach, consenting, parent],
            "leader_ids": group["leader_ids"],
        },
        headers=office,
    )
    assert saved.status_code == 200, saved.text
    answer = client.get(f"/api/v1/groups/{team['group']}/class-list", headers=employee).json()
    kinds = {s["name"]: (s["kind"], s["refused"]) for s in answer["listed"]}
    assert kinds["Assistant Coach"] == ("employee", False)
    assert kinds["Volunteer Parent"] == ("community_member", True)
    assert "Consenting Coach" not in kinds  # their own consent covers the destination
    assert kinds["Refused"] == ("student", True)
    assert answer["students"] == 6 and answer["others"] == 3
    pdf = client.get(f"/api/v1/groups/{team['group']}/class-list.pdf", headers=employee)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    sign_in_page(client, session, "office_staff")
    page = client.get(f"/class-lists/groups/{team['group']}")
    assert page.status_code == 200, page.text
    assert "Assistant Coach" in page.text and "(co-worker)" in page.text and "No consent" in page.text
    assert "(parent or volunteer)" in page.text and "and 3 adults of the group" in page.text


@pytest.mark.parametrize(
    ("name", "exact", "plain"),
    [
        ("Χορωδία Δ", "χορωδία-δ", ("class-list", "school")),
        ("Đội bóng đá", "đội-bóng-đá", ("doi-bong-da", "doi-bong-da-school")),
        ("Chœur", "chœur", ("choeur", "choeur-school")),
    ],
)
def test_a_class_list_named_in_any_alphabet_downloads(client, session, office, employee, team, name, exact, plain):
    """HTTP headers are Latin-1: the file is named in ASCII for every browser and exactly (RFC 5987) for the rest."""
    students = [team[n] for n in ("Refused", "Nothing")]
    response = client.post(
        "/api/v1/groups",
        json={"name": name, "kind": "team", "member_ids": students, "leader_ids": [user_id(client, employee)]},
        headers=office,
    )
    assert response.status_code == 201, response.text
    school = f"{name} School"
    for person in students:
        client.patch(f"/api/v1/people/{person}", json={"school": school}, headers=office)
    sign_in_page(client, session, "office_staff")
    for path, params, headers, fallback in (
        (f"/api/v1/groups/{response.json()['id']}/class-list.pdf", {}, employee, plain[0]),
        ("/api/v1/class-list.pdf", {"school": school}, office, plain[1]),
        ("/class-lists/school.pdf", {"school": school}, {}, plain[1]),
    ):
        answer = client.get(path, params=params, headers=headers)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.content.startswith(b"%PDF-")
        disposition = answer.headers["content-disposition"]
        suffix = "-school" if "school" in params else ""
        assert f'filename="do-not-post-{fallback}-{TODAY}.pdf"' in disposition
        assert f"filename*=UTF-8''{quote(f'do-not-post-{exact}{suffix}-{TODAY}.pdf', safe='')}" in disposition


def test_refusals_come_first_and_apart_on_the_page_the_api_and_the_pdf(client, session, employee, team):
    answer = client.get(f"/api/v1/groups/{team['group']}/class-list", headers=employee).json()
    assert [s["name"] for s in answer["listed"]] == ["Refused", "Withdrawn", "Narrowed", "Nothing", "Superseded"]
    sign_in_page(client, session, "office_staff")  # the office sees every group's list
    page = client.get(f"/class-lists/groups/{team['group']}").text
    refused, no_release = page.index("Refused: never post (2)"), page.index("No release (3)")
    assert refused < page.index(">Refused <") < page.index(">Withdrawn <") < no_release < page.index(">Narrowed <")
    pdf = client.get(f"/class-lists/groups/{team['group']}/pdf")
    text = pdf_text(pdf.content)
    assert text.index("Refused: never post these people (2)") < text.index("Withdrawn") < text.index("No release")
    assert text.index("No release or consent for this (3)") < text.index("Narrowed")


def pdf_text(data: bytes) -> str:
    from io import BytesIO  # noqa: PLC0415

    from pypdf import PdfReader  # noqa: PLC0415 - only this test reads a PDF's words

    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def test_the_office_picks_members_from_the_roster_and_sees_how_many(client, session, office, team):
    extra = add_person(client, office, "S-OTHER", "student", "Another Grade")
    client.patch(f"/api/v1/people/{extra}", json={"school": "Lincoln High", "grade": "9"}, headers=office)
    csrf = sign_in_page(client, session, "office_staff")
    form = client.get("/groups/new").text
    assert "The roster's <code>groups</code> column fills groups too" in form
    base = {"csrf_token": csrf, "name": "Choir", "kind": "choir", "school": "Lincoln High", "leaders": ""}
    grade = client.post(
        "/groups/new", data={**base, "members": "", "act": "grade", "add_school": "Lincoln High", "add_grade": "10"}
    )
    assert grade.status_code == 200 and "6 students of grade 10 at Lincoln High added" in grade.text
    assert "Members: <span data-member-count>6 people</span>" in grade.text and "Another Grade" not in grade.text
    members = "\n".join(
        f"S-{n.upper()}" for n in ("Refused", "Nothing", "Granted", "Superseded", "Narrowed", "Withdrawn")
    )
    found = client.post("/groups/new", data={**base, "members": members, "act": "find", "find": "another"})
    assert 'name="add_id" value="S-OTHER"' in found.text
    added = client.post("/groups/new", data={**base, "members": members, "add_id": "S-OTHER"})
    assert "Members: <span data-member-count>7 people</span>" in added.text
    removed = client.post("/groups/new", data={**base, "members": members + "\nS-OTHER", "remove_id": "S-NOTHING"})
    assert "Members: <span data-member-count>6 people</span>" in removed.text
    assert client.get("/api/v1/groups", headers=office).json() == [] or all(
        g["name"] != "Choir" for g in client.get("/api/v1/groups", headers=office).json()
    )  # nothing is saved while picking
    saved = client.post("/groups/new", data={**base, "members": members + "\nS-OTHER"})
    assert "The group “Choir” has been saved with 7 members." in saved.text
    assert ">7</td>" in saved.text  # the count in the list of groups

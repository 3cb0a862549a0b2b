"""Finding people by their name, their ID or a guardian's name, and the People list's consent standing.

Every test here runs on SQLite and on PostgreSQL (the `client` fixture's connection is given both): the
search must find exactly the same people on either.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Connection

from tests.api.clearance_helpers import TODAY, enrol, record


def add(
    client: TestClient, headers: dict[str, str], external_id: str, name: str, *guardians: str, **more: object
) -> int:
    response = client.post(
        "/api/v1/people",
        json={
            "external_id": external_id,
            "kind": more.pop("kind", "student"),
            "name": name,
            "guardians": [{"name": g, "relationship": "parent"} for g in guardians],
            **more,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def found(client: TestClient, headers: dict[str, str], q: str | None = None, **filters: object) -> list[str]:
    params = {"q": q, **filters} if q is not None else filters
    response = client.get("/api/v1/people", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "limit" in filters or body["total"] == len(body["items"])
    return [p["name"] for p in body["items"]]


@pytest.fixture
def families(client: TestClient, office: dict[str, str]) -> dict[str, int]:
    return {
        "liam": add(client, office, "S-2001", "Liam O'Brien", "Mary O'Brien"),
        "jose": add(client, office, "S-2002", "José Álvarez", "Lucía Álvarez"),
        "maya": add(client, office, "S-2003", "Maya Lopez", "Ann Smith", "Carlos Lopez"),
        "zoe": add(client, office, "S-2004", "Zoë Łukasiewicz-Smyth"),
        "coach": add(client, office, "E-77", "Sam Smithers", kind="employee"),
    }


@pytest.mark.usefixtures("families")
def test_a_search_ignores_case_accents_and_punctuation(client, office):
    assert found(client, office, "obrien") == ["Liam O'Brien"]
    assert found(client, office, "O'BRIEN") == ["Liam O'Brien"]
    assert found(client, office, "jose") == ["José Álvarez"]
    assert found(client, office, "JOSÉ ALVAREZ") == ["José Álvarez"]
    assert found(client, office, "zoe lukasiewicz") == ["Zoë Łukasiewicz-Smyth"]
    assert found(client, office, "lukasiewicz smyth") == ["Zoë Łukasiewicz-Smyth"]  # the hyphen is punctuation
    assert found(client, office, "s2003") == found(client, office, "S-2003") == ["Maya Lopez"]
    assert found(client, office, "50%") == []  # no wildcard: "%" is punctuation, "50" is in nobody's name or ID
    assert found(client, office, "nobody") == []


@pytest.mark.usefixtures("families")
def test_a_student_is_found_by_a_parents_name(client, office):
    assert found(client, office, "smith") == ["Maya Lopez", "Sam Smithers"]  # Ann Smith's child, and a Smithers
    assert found(client, office, "ann smith") == ["Maya Lopez"]
    assert found(client, office, "smith maya") == ["Maya Lopez"]  # every word, in any order, from any of the names
    assert found(client, office, "lucia") == ["José Álvarez"]
    assert found(client, office, "smith", kind="student") == ["Maya Lopez"]  # with the other filters too


def test_changing_a_record_changes_what_finds_it(client, office, families):
    maya = families["maya"]
    changed = client.patch(
        f"/api/v1/people/{maya}",
        json={"name": "Maya Núñez", "guardians": [{"name": "Rosa Núñez", "relationship": "guardian"}]},
        headers=office,
    )
    assert changed.status_code == 200, changed.text
    assert [g["name"] for g in changed.json()["guardians"]] == ["Rosa Núñez"]
    assert found(client, office, "nunez") == ["Maya Núñez"]
    assert found(client, office, "rosa") == ["Maya Núñez"]
    assert found(client, office, "ann smith") == []  # no longer her guardian
    assert found(client, office, "lopez") == []


def test_a_roster_import_keeps_the_search_current(client, office):
    roster = (
        "external_id,name,kind,school,grade,guardian1_name,guardian1_relationship\n"
        "R-1,Noah Patel,student,North,4,Priya D'Souza,parent\n"
    )
    first = client.post("/api/v1/people/import", files={"file": ("r.csv", roster.encode(), "text/csv")}, headers=office)
    assert first.status_code == 200 and first.json()["created"] == 1
    assert found(client, office, "dsouza") == ["Noah Patel"]
    changed = roster.replace("Priya D'Souza", "Raj Patel-Müller").replace("Noah Patel", "Noah Patel-Muller")
    second = client.post(
        "/api/v1/people/import", files={"file": ("r.csv", changed.encode(), "text/csv")}, headers=office
    )
    assert second.status_code == 200 and second.json()["updated"] == 1
    assert found(client, office, "raj muller") == ["Noah Patel-Muller"]
    assert found(client, office, "dsouza") == []


def standing_of(client: TestClient, headers: dict[str, str], person_id: int) -> dict:
    response = client.get(f"/api/v1/people/{person_id}", headers=headers)
    assert response.status_code == 200
    return response.json()["image_release"]


def test_the_list_shows_each_persons_release_read_by_the_ledger_and_filters_on_it(client, office):
    granted = add(client, office, "S-1", "Ava Granted", "Pat Granted")
    record(client, office, granted, scopes=("personal_social_media", "print"))
    refused = add(client, office, "S-2", "Ben Refused", "Pat Refused")
    record(client, office, refused, status="refused", scopes=("district_website",))
    withdrawn = add(client, office, "S-3", "Cal Withdrawn", "Pat Withdrawn")
    consent = record(client, office, withdrawn)
    client.post(f"/api/v1/consents/{consent['id']}/revoke", json={"reason": "Parent phoned"}, headers=office)
    ran_out = add(client, office, "S-4", "Dee Ranout", "Pat Ranout")
    record(
        client,
        office,
        ran_out,
        signed_on=str(TODAY - timedelta(days=400)),
        valid_until=str(TODAY - timedelta(days=1)),
    )
    superseded = add(client, office, "S-5", "Eve Superseded", "Pat Superseded")
    record(client, office, superseded, signed_on=str(TODAY - timedelta(days=20)))
    record(client, office, superseded, status="refused", signed_on=str(TODAY - timedelta(days=10)))
    add(client, office, "S-6", "Fay Nothing", "Pat Nothing")

    on_file = standing_of(client, office, granted)
    assert on_file["release"] == "release_on_file" and on_file["destinations"] == ["personal_social_media", "print"]
    assert "signed by Ava Granted's parent Signer" in on_file["words"]
    website = standing_of(client, office, refused)
    assert website["release"] == "refused" and website["destinations"] == ["district_website"]
    assert standing_of(client, office, withdrawn)["standing"] == "withdrawn"  # honoured like a refusal
    assert standing_of(client, office, ran_out)["release"] == "no_release"
    assert "ended on" in standing_of(client, office, ran_out)["words"]
    assert standing_of(client, office, superseded)["release"] == "refused"  # the newest form decides

    assert found(client, office, release="release_on_file") == ["Ava Granted"]
    assert found(client, office, release="refused") == ["Ben Refused", "Cal Withdrawn", "Eve Superseded"]
    assert found(client, office, release="no_release") == ["Dee Ranout", "Fay Nothing"]
    assert found(client, office, "pat", release="refused", limit=1, offset=1) == ["Cal Withdrawn"]
    page = client.get("/api/v1/people", params={"release": "refused", "limit": 2}, headers=office).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    bad = client.get("/api/v1/people", params={"release": "maybe"}, headers=office)
    assert bad.status_code == 422 and "release" in bad.json()["detail"]


def test_the_list_shows_and_filters_who_has_reference_faces(client, office):
    enrolled = add(client, office, "S-1", "Obama Enrolled", "Pat One")
    enrol(client, office, enrolled, "people/obama/obama-portrait.jpg", signer="parent")
    add(client, office, "S-2", "Nora Notenrolled", "Pat Two")
    everyone = client.get("/api/v1/people", headers=office).json()["items"]
    assert {p["name"]: p["enrolled"] for p in everyone} == {"Obama Enrolled": True, "Nora Notenrolled": False}
    assert found(client, office, enrolled="false") == ["Nora Notenrolled"]
    assert found(client, office, enrolled="true") == ["Obama Enrolled"]
    assert found(client, office, enrolled="false", release="no_release") == ["Nora Notenrolled"]


def test_a_page_of_people_costs_the_same_queries_for_many_people_as_for_few(client, office, connection: Connection):
    for n in range(2):
        record(client, office, add(client, office, f"A-{n}", f"Few {n}", f"Parent {n}"))

    def statements(**params: object) -> int:
        counted: list[str] = []

        def count(*args: object) -> None:
            counted.append(str(args[2]))

        event.listen(connection, "before_cursor_execute", count)
        try:
            response = client.get("/api/v1/people", params=params, headers=office)
        finally:
            event.remove(connection, "before_cursor_execute", count)
        assert response.status_code == 200
        return len(counted)

    few = statements(), statements(release="release_on_file")
    for n in range(10):
        record(client, office, add(client, office, f"B-{n}", f"Many {n}", f"Parent {n}"))
    assert (statements(), statements(release="release_on_file")) == few


def test_changing_a_person_is_audited_and_an_unchanged_record_is_not_written(client, office, admin, families):
    maya = families["maya"]
    before = client.get("/api/v1/audit", params={"table_name": "people", "row_id": str(maya)}, headers=admin).json()
    same = client.patch(f"/api/v1/people/{maya}", json={"name": "Maya Lopez", "grade": None}, headers=office)
    assert same.status_code == 200
    unchanged = client.get("/api/v1/audit", params={"table_name": "people", "row_id": str(maya)}, headers=admin)
    assert unchanged.json()["total"] == before["total"]  # nothing differed, nothing was written

    client.patch(
        f"/api/v1/people/{maya}",
        json={"school": "South", "guardians": [{"name": "Ann Smith", "relationship": "guardian"}]},
        headers=office,
    )
    people = client.get("/api/v1/audit", params={"table_name": "people", "row_id": str(maya)}, headers=admin).json()
    newest = people["items"][0]
    assert newest["action"] == "update" and newest["actor"].startswith("user:")
    assert newest["changes"]["after"]["school"] == "South"
    guardians = client.get("/api/v1/audit", params={"table_name": "guardians"}, headers=admin).json()["items"]
    assert {e["action"] for e in guardians[:3]} == {"insert", "delete"}  # the old guardians went, the new one came
    assert client.get("/api/v1/audit/verify", headers=admin).json()["ok"] is True


def test_an_id_already_taken_points_to_the_record_to_update(client, office, families):
    taken = client.post(
        "/api/v1/people", json={"external_id": "S-2003", "kind": "student", "name": "Maya L."}, headers=office
    )
    assert taken.status_code == 409
    detail = taken.json()["detail"]
    assert "Maya Lopez" in detail and f"PATCH /api/v1/people/{families['maya']}" in detail
    moved = client.patch(f"/api/v1/people/{families['liam']}", json={"external_id": "S-2003"}, headers=office)
    assert moved.status_code == 409 and f"/api/v1/people/{families['maya']}" in moved.json()["detail"]
    corrected = client.patch(f"/api/v1/people/{families['liam']}", json={"external_id": "S-2999"}, headers=office)
    assert corrected.status_code == 200 and found(client, office, "s2999") == ["Liam O'Brien"]


def test_only_a_student_has_guardians_and_a_name_cannot_be_blanked(client, office, families):
    coach = client.patch(
        f"/api/v1/people/{families['coach']}", json={"guardians": [{"name": "Someone"}]}, headers=office
    )
    assert coach.status_code == 422 and "Only students have guardians" in coach.json()["detail"]
    blank = client.patch(f"/api/v1/people/{families['maya']}", json={"name": None}, headers=office)
    assert blank.status_code == 422
    assert client.get(f"/api/v1/people/{families['maya']}", headers=office).json()["name"] == "Maya Lopez"

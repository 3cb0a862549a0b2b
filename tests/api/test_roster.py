from __future__ import annotations

from sqlalchemy import text

ROSTER = b"""external_id,name,kind,school,grade,guardian1_name,guardian1_relationship,guardian1_email
S-1,Maya Lopez,student,North Elementary,3,Ana Lopez,parent,ana@example.org
S-2,Liam Chen,student,North Elementary,4,Wei Chen,guardian,
E-1,Coach Rivera,employee,High School,,,,
S-3,,student,North Elementary,3,,,
S-4,Ola Berg,teacher,North Elementary,3,,,
S-1,Maya Again,student,North Elementary,3,,,
S-5,Ida Moss,student,North Elementary,5,Ben Moss,uncle,
"""


def upload(client, headers, content: bytes):
    return client.post("/api/v1/people/import", files={"file": ("roster.csv", content, "text/csv")}, headers=headers)


def test_roster_import_reports_every_row_and_never_half_imports(client, office):
    response = upload(client, office, ROSTER)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["updated"], report["unchanged"]) == (3, 0, 0)
    problems = {p["line"]: p for p in report["rejected"]}
    assert set(problems) == {5, 6, 7, 8}
    assert "name" in problems[5]["problem"]
    assert "kind" in problems[6]["problem"]
    assert "line 2" in problems[7]["problem"]
    assert "relationship" in problems[8]["problem"]
    everyone = client.get("/api/v1/people", params={"limit": 200}, headers=office).json()
    assert sorted(p["external_id"] for p in everyone["items"]) == ["E-1", "S-1", "S-2"]
    # S-5's guardian row was bad: the student must not have been written without it
    maya = next(p for p in everyone["items"] if p["external_id"] == "S-1")
    assert maya["name"] == "Maya Lopez" and maya["guardians"][0]["email"] == "ana@example.org"


def test_roster_import_is_idempotent_by_external_id(client, office):
    upload(client, office, ROSTER)
    again = upload(client, office, ROSTER).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    changed = ROSTER.replace(b"Liam Chen,student,North Elementary,4", b"Liam Chen,student,North Elementary,5")
    third = upload(client, office, changed).json()
    assert (third["created"], third["updated"], third["unchanged"]) == (0, 1, 2)
    liam = client.get("/api/v1/people", params={"q": "S-2"}, headers=office).json()["items"][0]
    assert liam["grade"] == "5"


def test_a_file_that_is_not_a_roster_is_refused_whole(client, office):
    missing = upload(client, office, b"id,full name\n1,Someone\n")
    assert missing.status_code == 422 and "external_id" in missing.json()["detail"]
    binary = upload(client, office, b"\xff\xd8\xff\xe0 not text")
    assert binary.status_code == 422 and "UTF-8" in binary.json()["detail"]
    assert client.get("/api/v1/people", headers=office).json()["total"] == 0


def test_employees_cannot_import(client, employee):
    assert upload(client, employee, ROSTER).status_code == 403


def test_a_second_import_of_the_same_file_says_nothing_changed(client, office):
    first = upload(client, office, ROSTER).json()
    assert first["summary"].startswith("3 added, 0 updated, 0 already up to date; 4 rows not imported")
    again = upload(client, office, ROSTER.replace(b"S-4,Ola Berg,teacher", b"S-4,Ola Berg,student")).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (1, 0, 3)
    clean = b"\n".join(line for n, line in enumerate(ROSTER.splitlines()) if n in (0, 1, 2, 3)) + b"\n"
    third = upload(client, office, clean).json()
    assert (third["created"], third["updated"], third["unchanged"], third["rejected"]) == (0, 0, 3, [])
    assert third["summary"] == "Nothing changed: all 3 rows were already up to date."
    assert "Every row was imported" not in third["summary"]
    changed = upload(client, office, clean.replace(b"Liam Chen,student,North Elementary,4", b"Liam Chen,student,x,4"))
    assert changed.json()["summary"] == "Every row was imported: 0 added, 1 updated, 2 already up to date."


def test_a_semicolon_separated_export_reads_as_the_comma_one(client, office):
    semicolons = (
        b"external_id;name;kind;school;grade;guardian1_name;guardian1_email\r\n"
        b'S-1;Maya Lopez;student;North Elementary;3;"Lopez, Ana";ana@example.org\r\n'
        b"S-2;Liam Chen;student;North Elementary;4;;\r\n"
    )
    report = upload(client, office, semicolons).json()
    assert (report["created"], report["rejected"]) == (2, []), report
    maya = client.get("/api/v1/people", params={"q": "S-1"}, headers=office).json()["items"][0]
    assert (maya["name"], maya["school"], maya["grade"]) == ("Maya Lopez", "North Elementary", "3")
    assert [(g["name"], g["email"]) for g in maya["guardians"]] == [("Lopez, Ana", "ana@example.org")]
    commas = semicolons.replace(b";", b",")  # the quoted name keeps its comma
    assert upload(client, office, commas).json()["unchanged"] == 2


GROUPED = b"""external_id,name,kind,school,grade,groups
S-1,Maya Lopez,student,North Elementary,3,U12 Soccer; Choir
S-2,Liam Chen,student,North Elementary,4,u12 soccer
S-3,Ida Moss,student,High School,9,Choir;;
S-4,Ola Berg,student,North Elementary,3,
"""


def _groups(client, headers) -> dict[tuple[str, str | None], list[str]]:
    people = {p["id"]: p["external_id"] for p in client.get("/api/v1/people", headers=headers).json()["items"]}
    return {
        (g["name"], g["school"]): sorted(people[m] for m in g["member_ids"])
        for g in client.get("/api/v1/groups", headers=headers).json()
    }


def test_the_groups_column_makes_missing_groups_and_adds_their_members(client, office):
    made = client.post(
        "/api/v1/groups",
        json={"name": "Choir", "kind": "choir", "school": "North Elementary", "member_ids": []},
        headers=office,
    )
    assert made.status_code == 201, made.text
    report = upload(client, office, GROUPED).json()
    assert (report["created"], report["rejected"]) == (4, []), report
    assert sorted(report["groups_created"]) == ["Choir (High School)", "U12 Soccer (North Elementary)"]
    assert _groups(client, office) == {
        ("Choir", "North Elementary"): ["S-1"],  # the group made on its page, found by name at the school
        ("Choir", "High School"): ["S-3"],
        ("U12 Soccer", "North Elementary"): ["S-1", "S-2"],
    }
    again = upload(client, office, GROUPED).json()
    assert (again["created"], again["updated"], again["unchanged"], again["groups_created"]) == (0, 0, 4, [])
    joined = upload(client, office, GROUPED.replace(b"3,\n", b"3,Choir\n")).json()
    assert (joined["updated"], joined["unchanged"]) == (1, 3)
    assert _groups(client, office)[("Choir", "North Elementary")] == ["S-1", "S-4"]
    # a row without groups leaves the person's groups as they are
    assert upload(client, office, ROSTER).json()["rejected"]
    assert _groups(client, office)[("U12 Soccer", "North Elementary")] == ["S-1", "S-2"]


def test_a_group_name_too_long_is_a_row_problem(client, office):
    roster = b"external_id,name,groups\nS-1,Maya Lopez," + b"x" * 121 + b"\nS-2,Liam Chen,Choir\n"
    report = upload(client, office, roster).json()
    assert report["created"] == 1
    assert [(p["line"], "longer than 120" in p["problem"]) for p in report["rejected"]] == [(2, True)]


def test_an_import_with_updates_leaves_an_audit_log_that_matches_the_tables(client, office, admin, connection):
    upload(client, office, ROSTER)
    upload(client, office, GROUPED)  # S-3 and S-4 added, S-1 and S-2 joined groups
    changed = ROSTER.replace(b"Ana Lopez,parent,ana@example.org", b"Ana Lopez-Diaz,parent,ana@example.org")
    report = upload(
        client,
        office,
        changed.replace(b"S-2,Liam Chen,student,North Elementary,4", b"S-2,Liam Chen,student,North Elementary,5"),
    ).json()
    assert (report["updated"], report["unchanged"]) == (2, 1), report
    verdict = client.get("/api/v1/audit/verify", headers=admin).json()
    assert verdict["ok"], verdict
    entries = client.get(
        "/api/v1/audit", params={"table_name": "people", "action": "update", "limit": 100}, headers=admin
    ).json()["items"]
    assert {"grade": "5"}.items() <= entries[0]["changes"]["after"].items()
    for table in ("guardians", "group_members", "groups"):
        assert client.get("/api/v1/audit", params={"table_name": table}, headers=admin).json()["total"] > 0, table
    liam = client.get("/api/v1/people", params={"q": "S-2"}, headers=office).json()["items"][0]
    connection.execute(text("UPDATE people SET grade = '6' WHERE id = :id"), {"id": liam["id"]})
    verdict = client.get("/api/v1/audit/verify", headers=admin).json()
    assert not verdict["ok"] and (verdict["table_name"], verdict["row_id"]) == ("people", str(liam["id"])), verdict


def test_a_bad_guardian_cell_is_named_by_its_column_and_the_report_names_who_was_added(client, office):
    roster = (
        b"external_id,name,kind,guardian1_name,guardian1_email,guardian2_name,guardian2_relationship\n"
        b"S-1,Maya Lopez,student,Ana Lopez,ana@@example.org,,\n"
        b"S-2,Liam Chen,student,Wei Chen,wei@example.org,Mei Chen,uncle\n"
        b"S-3,Ida Moss,student,Ben Moss,ben@example.org,,\n"
    )
    report = upload(client, office, roster).json()
    problems = {p["line"]: p["problem"] for p in report["rejected"]}
    assert problems[2].startswith("guardian1_email: value is not a valid email address")
    assert problems[3].startswith("guardian2_relationship must be")
    ida = client.get("/api/v1/people", params={"q": "S-3"}, headers=office).json()["items"][0]
    assert report["added"] == [{"id": ida["id"], "external_id": "S-3", "name": "Ida Moss"}]

from __future__ import annotations

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

from __future__ import annotations

from fastapi.testclient import TestClient

STUDENT = {
    "external_id": "S-1001",
    "kind": "student",
    "name": "Maya Lopez",
    "school": "North Elementary",
    "grade": "3",
    "guardians": [{"name": "Ana Lopez", "relationship": "parent", "email": "ana@example.org"}],
}


def add(client: TestClient, headers: dict[str, str], **changes: object) -> dict:
    response = client.post("/api/v1/people", json={**STUDENT, **changes}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_office_staff_add_find_and_fetch_a_student_with_guardians(client, office):
    person = add(client, office)
    assert person["guardians"][0]["name"] == "Ana Lopez"
    add(client, office, external_id="S-1002", name="Liam Chen", grade="4", guardians=[])
    add(client, office, external_id="E-7", kind="employee", name="Coach Rivera", grade=None, guardians=[])

    found = client.get("/api/v1/people", params={"q": "lopez"}, headers=office).json()
    assert [p["name"] for p in found["items"]] == ["Maya Lopez"]
    by_id = client.get("/api/v1/people", params={"q": "s-1002"}, headers=office).json()
    assert [p["external_id"] for p in by_id["items"]] == ["S-1002"]
    students = client.get("/api/v1/people", params={"kind": "student", "grade": "4"}, headers=office).json()
    assert students["total"] == 1 and students["items"][0]["name"] == "Liam Chen"
    fetched = client.get(f"/api/v1/people/{person['id']}", headers=office).json()
    assert fetched["external_id"] == "S-1001" and fetched["status"] == "active"


def test_pagination_pages_through_everyone_once(client, office):
    for n in range(7):
        add(client, office, external_id=f"P-{n}", name=f"Student {n}", guardians=[])
    seen = []
    for offset in (0, 3, 6):
        page = client.get("/api/v1/people", params={"limit": 3, "offset": offset}, headers=office).json()
        assert page["total"] == 7
        seen += [p["external_id"] for p in page["items"]]
    assert sorted(seen) == sorted(f"P-{n}" for n in range(7))


def test_duplicate_external_id_is_refused_and_nothing_is_written(client, office):
    add(client, office)
    response = client.post("/api/v1/people", json={**STUDENT, "name": "Someone Else"}, headers=office)
    assert response.status_code == 409
    assert "S-1001" in response.json()["detail"]
    everyone = client.get("/api/v1/people", headers=office).json()
    assert everyone["total"] == 1 and everyone["items"][0]["name"] == "Maya Lopez"


def test_bad_input_gets_a_clear_message(client, office):
    unknown = client.post("/api/v1/people", json={**STUDENT, "nickname": "M"}, headers=office)
    assert unknown.status_code == 422 and "nickname" in unknown.json()["detail"]
    wrong_kind = client.post("/api/v1/people", json={**STUDENT, "kind": "teacher"}, headers=office)
    assert wrong_kind.status_code == 422 and "kind" in wrong_kind.json()["detail"]
    malformed = client.post(
        "/api/v1/people", content=b'{"external_id": "S-1",', headers={**office, "content-type": "application/json"}
    )
    assert malformed.status_code == 422 and "JSON" in malformed.json()["detail"]
    guardians_for_adult = client.post("/api/v1/people", json={**STUDENT, "kind": "employee"}, headers=office)
    assert guardians_for_adult.status_code == 422
    assert "Only students have guardians" in guardians_for_adult.json()["detail"]
    assert client.get("/api/v1/people", headers=office).json()["total"] == 0


def test_marking_a_person_departed_records_the_day(client, office):
    person = add(client, office)
    changed = client.patch(f"/api/v1/people/{person['id']}", json={"status": "departed"}, headers=office)
    assert changed.status_code == 200
    assert changed.json()["status"] == "departed" and changed.json()["departed_on"]


def test_employees_cannot_read_or_write_people(client, office, employee):
    person = add(client, office)
    assert client.get("/api/v1/people", headers=employee).status_code == 403
    assert client.get(f"/api/v1/people/{person['id']}", headers=employee).status_code == 403
    assert client.post("/api/v1/people", json={**STUDENT, "external_id": "X"}, headers=employee).status_code == 403


def test_unknown_person_is_404(client, office):
    response = client.get("/api/v1/people/999999", headers=office)
    assert response.status_code == 404 and "999999" in response.json()["detail"]

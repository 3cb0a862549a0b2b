from __future__ import annotations

GAME = {
    "name": "Varsity soccer vs. Kent",
    "kind": "sporting_event",
    "public": True,
    "starts_at": "2026-10-03T15:00:00",
    "ends_at": "2026-10-03T17:30:00",
    "location": "Main field",
}


def test_office_creates_events_and_employees_can_pick_them(client, office, employee):
    created = client.post("/api/v1/events", json=GAME, headers=office)
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["starts_at"] == "2026-10-03T15:00:00"
    listed = client.get("/api/v1/events", headers=employee).json()
    assert [e["name"] for e in listed["items"]] == [GAME["name"]]
    assert client.get(f"/api/v1/events/{event['id']}", headers=employee).json()["kind"] == "sporting_event"
    assert client.post("/api/v1/events", json=GAME, headers=employee).status_code == 403


def test_bad_events_are_refused(client, office):
    backwards = client.post("/api/v1/events", json={**GAME, "ends_at": "2026-10-03T14:00:00"}, headers=office)
    assert backwards.status_code == 422 and "before starts_at" in backwards.json()["detail"]
    wrong_kind = client.post("/api/v1/events", json={**GAME, "kind": "party"}, headers=office)
    assert wrong_kind.status_code == 422 and "kind" in wrong_kind.json()["detail"]
    assert client.get("/api/v1/events/12345", headers=office).status_code == 404
    assert client.get("/api/v1/events", headers=office).json()["total"] == 0

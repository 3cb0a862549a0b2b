"""Values that pass validation but that a database cannot hold: huge ids and NUL characters.

PostgreSQL's integers stop at 2^31 and SQLite's at 2^63; PostgreSQL refuses NUL in text. Found by
tests/api/test_schemathesis.py as 500s on PostgreSQL; now a clear 4xx on both databases.
"""

from __future__ import annotations

import pytest

from tests.api.clearance_helpers import add_person

HUGE = 10**20  # beyond both databases' integers
BEYOND_POSTGRES = 2**31


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/events/{HUGE}",
        f"/api/v1/people/{HUGE}",
        f"/api/v1/consents/{HUGE}",
        f"/api/v1/clearances/{HUGE}",
        f"/api/v1/people/{BEYOND_POSTGRES}/faces",
        f"/api/v1/consents?person_id={HUGE}",
    ],
)
def test_ids_beyond_the_databases_integers_are_refused_or_not_found(client, admin, path):
    response = client.get(path, headers=admin)
    assert response.status_code in (404, 422), response.text
    if response.status_code == 422:
        assert "far too large" in response.json()["detail"]


def test_an_id_beyond_every_database_in_a_body_is_refused(client, office):
    response = client.post(
        "/api/v1/consents",
        headers=office,
        json={
            "person_id": HUGE,
            "kind": "image_release",
            "status": "granted",
            "scopes": ["print"],
            "signer_name": "Ana Lopez",
            "signer_relationship": "parent",
            "signed_on": "2026-09-02",
        },
    )
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "body",
    [
        {"external_id": "S-1", "kind": "student", "name": "Maya\x00Lopez"},
        {"external_id": "S-1", "kind": "student", "name": "Maya Lopez", "school": "North\x00"},
        {
            "external_id": "S-1",
            "kind": "student",
            "name": "Maya Lopez",
            "guardians": [{"name": "\x00", "relationship": "parent"}],
        },
    ],
)
def test_nul_characters_in_text_are_refused_on_every_database(client, office, body):
    response = client.post("/api/v1/people", json=body, headers=office)
    assert response.status_code == 422, response.text
    assert "NUL" in response.json()["detail"]
    assert client.get("/api/v1/people", headers=office).json()["total"] == 0


def test_nul_in_a_form_field_is_never_a_server_error(client, office, employee):
    add_person(client, office, "S-2", "student", "Someone")
    from tests.api.hostile_helpers import jpeg_with_metadata

    response = client.post(
        "/api/v1/clearances",
        headers=employee,
        data={"destination": "print", "context_kind": "classroom", "context_public": "false", "caption": "hi\x00there"},
        files={"photo": ("p.jpg", jpeg_with_metadata(comment=b""), "image/jpeg")},
    )
    assert response.status_code in (201, 422), response.text

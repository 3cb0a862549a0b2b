"""Fifty concurrent grants, revocations and clearances on one student, against the real server
(two worker processes) on SQLite and on PostgreSQL: one consistent state, no "database is
locked", and an audit chain that still verifies."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import FACES, ROOT, create_pg_database, drop_pg_database, sqlalchemy_pg_url
from tests.test_service_start import free_port, wait_healthy

ADMIN, PASSWORD = "principal@district.example.org", "a long admin password"
SIGNED = str(date.today() - timedelta(days=10))
GRANT = {
    "kind": "image_release",
    "status": "granted",
    "scopes": ["personal_social_media"],
    "signer_name": "Ana Lopez",
    "signer_relationship": "parent",
    "signed_on": SIGNED,
}
CONTESTED = 5  # consents that several requests race to revoke


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The URL of `scripts.cli serve --workers 2` on a fresh database, and the file of its output."""
    env = {
        **os.environ,
        "REGISTRY_DATA_DIR": str(tmp_path / "data"),
        "REGISTRY_ADMIN_EMAIL": ADMIN,
        "REGISTRY_ADMIN_PASSWORD": PASSWORD,
        "REGISTRY_SECRET_KEY": "concurrency-" + "x" * 40,
        # Every photo decided in its request, none queued as an album of one: this test is about one consistent
        # state; a burst that fills the photo lane is tests/test_photo_lane.py's.
        "REGISTRY_PHOTO_CHECKS_AT_ONCE": "16",
        "REGISTRY_PHOTO_CHECKS_PER_ACCOUNT": "16",
    }
    env.pop("DATABASE_URL", None)
    database = None
    if request.param == "postgresql":
        database = create_pg_database("registry_concurrency")
        env["DATABASE_URL"] = sqlalchemy_pg_url(database).replace("+psycopg", "")
    port, log = free_port(), tmp_path / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "serve", "--workers", "2"],
            cwd=ROOT,
            env={**env, "PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        wait_healthy(port, process)
        yield f"http://127.0.0.1:{port}", log
    finally:
        process.terminate()
        process.wait(timeout=30)
        if database:
            drop_pg_database(database)


def signed_in(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def created(response: httpx.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def prepare(client: httpx.Client) -> tuple[dict[str, str], dict[str, str], dict[str, str], int, list[int]]:
    """Accounts, an enrolled student with consent, and the consents to be fought over."""
    admin = signed_in(client, ADMIN, PASSWORD)
    for role in ("office_staff", "employee"):
        created(
            client.post(
                "/api/v1/users",
                headers=admin,
                json={"email": f"{role}@district.example.org", "full_name": role, "role": role, "password": PASSWORD},
            )
        )
    office = signed_in(client, "office_staff@district.example.org", PASSWORD)
    employee = signed_in(client, "employee@district.example.org", PASSWORD)
    student = created(
        client.post(
            "/api/v1/people", headers=office, json={"external_id": "S-1", "kind": "student", "name": "Sam Student"}
        )
    )["id"]
    created(
        client.post(
            "/api/v1/consents", headers=office, json={**GRANT, "person_id": student, "kind": "biometric", "scopes": []}
        )
    )
    portrait = (FACES / "people/obama/obama-portrait.jpg").read_bytes()
    created(
        client.post(
            f"/api/v1/people/{student}/faces", headers=office, files={"photo": ("portrait.jpg", portrait, "image/jpeg")}
        )
    )
    contested = [
        created(client.post("/api/v1/consents", headers=office, json={**GRANT, "person_id": student}))["id"]
        for _ in range(CONTESTED)
    ]
    return admin, office, employee, student, contested


@pytest.mark.slow
def test_fifty_concurrent_grants_revocations_and_clearances_leave_one_consistent_state(server):
    url, log = server
    photo = (FACES / "people/obama/obama-720p.jpg").read_bytes()
    with httpx.Client(base_url=url, timeout=300) as client:
        admin, office, employee, student, contested = prepare(client)

        def grant(_: int) -> httpx.Response:
            return client.post("/api/v1/consents", headers=office, json={**GRANT, "person_id": student})

        def revoke(consent: int) -> httpx.Response:
            return client.post(f"/api/v1/consents/{consent}/revoke", headers=office, json={"reason": "Parent phoned"})

        def clear(_: int) -> httpx.Response:
            return client.post(
                "/api/v1/clearances",
                headers=employee,
                files={"photo": ("p.jpg", photo, "image/jpeg")},
                data={"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"},
            )

        work = (
            [("grant", grant, n) for n in range(16)]
            + [("clear", clear, n) for n in range(17)]
            + [("revoke", revoke, contested[n % CONTESTED]) for n in range(17)]
        )
        random.Random(4118).shuffle(work)
        with ThreadPoolExecutor(max_workers=len(work)) as pool:
            results = list(pool.map(lambda job: (job[0], job[2], job[1](job[2])), work))

        for kind, _, response in results:
            assert response.status_code < 500, f"{kind}: {response.status_code} {response.text}"
            assert "locked" not in response.text.lower(), response.text
        outcomes = Counter((kind, response.status_code) for kind, _, response in results)
        assert outcomes[("grant", 201)] == 16 and outcomes[("clear", 201)] == 17, outcomes
        revoked_by = Counter(
            target for kind, target, response in results if kind == "revoke" and response.status_code == 200
        )
        assert revoked_by == Counter(contested), "each contested consent is revoked exactly once"
        assert all(r.status_code in (409, 422) for kind, _, r in results if kind == "revoke" and r.status_code != 200)

        consents = client.get(
            "/api/v1/consents", headers=office, params={"person_id": student, "kind": "image_release", "limit": 200}
        ).json()
        granted = {r.json()["id"] for kind, _, r in results if kind == "grant"}
        assert {c["id"] for c in consents["items"]} == granted | set(contested)
        assert {c["id"] for c in consents["items"] if c["revocation"]} == set(contested)

        takedowns = {
            (t["clearance_id"], t["consent_id"])
            for t in client.get("/api/v1/takedowns", headers=admin, params={"limit": 200}).json()["items"]
        }
        for kind, _, response in results:
            if kind != "clear":
                continue
            # the administrator's full view: the employee is told no names nor ids (registry/clearances/disclosure.py)
            clearance = client.get(f"/api/v1/clearances/{response.json()['id']}", headers=admin).json()
            assert [f["person_id"] for f in clearance["faces"]] == [student], clearance
            for consent in set(clearance["consents_relied_on"]) & set(contested):
                assert (clearance["id"], consent) in takedowns, "a clearance relying on a revoked consent"

        verified = client.get("/api/v1/audit/verify", headers=admin)
        assert verified.status_code == 200 and verified.json()["ok"], verified.text
    output = log.read_text()
    assert "database is locked" not in output and "Traceback" not in output, output[-5000:]


@pytest.mark.slow
@pytest.mark.parametrize("server", ["sqlite"], indirect=True)  # PostgreSQL: tests/registry/test_upload_claims.py
def test_the_same_photo_sent_twice_at_once_to_two_workers_is_one_clearance_and_one_review_item(server):
    """A second tap while the first upload is still being checked: whichever worker receives it, it waits for
    the first's clearance (the upload is claimed in the database) and answers with it."""
    url, log = server
    photo = (FACES / "people/kit_harington/kit-2.jpg").read_bytes()
    with httpx.Client(base_url=url, timeout=300) as client:
        admin = signed_in(client, ADMIN, PASSWORD)
        for role in ("office_staff", "employee", "reviewer"):
            account = {"email": f"{role}@district.example.org", "full_name": role, "role": role, "password": PASSWORD}
            created(client.post("/api/v1/users", headers=admin, json=account))
        office, employee, reviewer = (
            signed_in(client, f"{role}@district.example.org", PASSWORD)
            for role in ("office_staff", "employee", "reviewer")
        )
        kit = created(
            client.post(
                "/api/v1/people",
                headers=office,
                json={"external_id": "C-1", "kind": "community_member", "name": "Kit Harington"},
            )
        )["id"]
        biometric = {**GRANT, "person_id": kit, "kind": "biometric", "scopes": [], "signer_relationship": "self"}
        created(client.post("/api/v1/consents", headers=office, json=biometric))
        reference = (FACES / "people/kit_harington/kit-1.jpg").read_bytes()
        created(
            client.post(
                f"/api/v1/people/{kit}/faces", headers=office, files={"photo": ("kit.jpg", reference, "image/jpeg")}
            )
        )

        def tap(_: int) -> httpx.Response:
            return client.post(
                "/api/v1/clearances",
                headers=employee,
                files={"photo": ("kit-2.jpg", photo, "image/jpeg")},
                data={"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"},
            )

        with ThreadPoolExecutor(max_workers=2) as pool:
            first, second = (created(response) for response in pool.map(tap, range(2)))
        assert first["id"] == second["id"]
        assert first["decision"] == "needs_review"  # a volunteer the policy does not name
        waiting = client.get("/api/v1/clearances", headers=reviewer, params={"decision": "needs_review"}).json()
        assert [item["id"] for item in waiting["items"]] == [first["id"]]
        everything = client.get("/api/v1/clearances", headers=admin).json()
        assert everything["total"] == 1
    output = log.read_text()
    assert "Traceback" not in output, output[-5000:]

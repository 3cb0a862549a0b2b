"""A burst of classroom uploads against the real service, on SQLite and PostgreSQL: while face analysis is
saturated, /healthz, sign-in and a page answer without waiting for photos to be decided; every photo is
answered at once or decided, and a photo queued instead of read in its request is decided by its analysis.

The service runs one face-engine worker, so the photos are read one at a time. Before photo checks had a
lane of their own, one limit of 20 requests in progress counted every request: with more uploads than that
in progress, a health check waited until uploads ahead of it were decided. No time is asserted, only the
order: how many uploads were decided while each probe was waiting for its answer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import FACES, ROOT, create_pg_database, drop_pg_database, sqlalchemy_pg_url
from tests.test_service_start import free_port, wait_healthy

ADMIN, PASSWORD = "principal@district.example.org", "a long admin password"
UPLOADS, ACCOUNTS = 26, 7  # more than the old limit of 20 in progress; four each, within the per-account share
CLASSROOM = {"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"}


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    env = {
        **os.environ,
        "REGISTRY_DATA_DIR": str(tmp_path / "data"),
        "REGISTRY_ADMIN_EMAIL": ADMIN,
        "REGISTRY_ADMIN_PASSWORD": PASSWORD,
        "REGISTRY_SECRET_KEY": "photo-lane-" + "x" * 40,
        "REGISTRY_ANALYSIS_PROCESSES": "1",
    }
    env.pop("DATABASE_URL", None)
    database = None
    if request.param == "postgresql":
        database = create_pg_database("registry_photo_lane")
        env["DATABASE_URL"] = sqlalchemy_pg_url(database).replace("+psycopg", "")
    port, log = free_port(), tmp_path / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "serve"],
            cwd=ROOT,
            env={**env, "PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        wait_healthy(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=60)
        if database:
            drop_pg_database(database)
    assert "Traceback" not in log.read_text(), log.read_text()[-5000:]


def token(client: httpx.Client, email: str) -> httpx.Response:
    return client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})


def teachers(client: httpx.Client) -> list[dict[str, str]]:
    admin = {"Authorization": f"Bearer {token(client, ADMIN).json()['access_token']}"}
    headers = []
    for n in range(ACCOUNTS):
        email = f"teacher{n}@district.example.org"
        made = client.post(
            "/api/v1/users",
            headers=admin,
            json={"email": email, "full_name": f"Teacher {n}", "role": "employee", "password": PASSWORD},
        )
        assert made.status_code == 201, made.text
        headers.append({"Authorization": f"Bearer {token(client, email).json()['access_token']}"})
    return headers


@pytest.mark.slow
def test_health_sign_in_and_pages_answer_while_a_burst_of_uploads_is_read(service):
    photo = (FACES / "groups/biden-obama.jpg").read_bytes()
    decided: list[float] = []  # when each upload answered with its decision (201)
    first_decision = threading.Event()
    with httpx.Client(base_url=service, timeout=900, limits=httpx.Limits(max_connections=UPLOADS + 5)) as client:
        accounts = teachers(client)

        def upload(n: int) -> httpx.Response:
            response = client.post(
                "/api/v1/clearances",
                headers=accounts[n % ACCOUNTS],
                files={"photo": (f"class-{n}.jpg", photo, "image/jpeg")},
                data=CLASSROOM,
            )
            if response.status_code == 201:
                decided.append(time.monotonic())
                first_decision.set()
            return response

        def probe(request: httpx.Request) -> tuple[int, int]:
            """(its status, how many uploads were decided while it waited for its answer)."""
            with httpx.Client(base_url=service, timeout=900) as own:
                sent = time.monotonic()
                status = own.send(request).status_code
                done = time.monotonic()
            return status, sum(sent < at < done for at in decided)

        with ThreadPoolExecutor(UPLOADS) as pool:
            uploads = [pool.submit(upload, n) for n in range(UPLOADS)]
            assert first_decision.wait(600), "no upload was decided"
            probes = {
                "health": probe(client.build_request("GET", "/healthz")),
                "sign-in": probe(
                    client.build_request("POST", "/api/v1/auth/token", data={"username": ADMIN, "password": PASSWORD})
                ),
                "a page": probe(client.build_request("GET", "/login")),
            }
            still_reading = sum(not u.done() for u in uploads)
            answers = [u.result() for u in uploads]

        for name, (status, waited_for) in probes.items():
            assert status == 200, name
            assert waited_for <= 2, f"{name} waited while {waited_for} uploads were decided"
        assert {a.status_code for a in answers} <= {201, 202}, [(a.status_code, a.text) for a in answers]

        queued = [a for a in answers if a.status_code == 202]
        assert still_reading or queued, "the probes ran after the burst was over"
        admin = {"Authorization": f"Bearer {token(client, ADMIN).json()['access_token']}"}
        clearances = [a.json()["id"] for a in answers if a.status_code == 201]
        for answer in queued:  # followed like an album, to its decision
            album = answer.json()
            assert answer.headers["location"] == f"/api/v1/albums/{album['id']}"
            assert [i["status"] for i in album["items"]] == ["queued"] and album["decisions"]["allowed"] == 0
            for _ in range(1800):
                album = client.get(answer.headers["location"], headers=admin).json()
                if album["finished"]:
                    break
                time.sleep(0.5)
            [item] = album["items"]
            assert item["status"] == "done", item
            clearances.append(item["clearance_id"])
        assert len(clearances) == UPLOADS
        for clearance_id in clearances:  # every photo decided by its own analysis: two unknown faces in a classroom
            clearance = client.get(f"/api/v1/clearances/{clearance_id}", headers=admin).json()
            assert clearance["decision"] == "blocked" and len(clearance["faces"]) == 2, clearance

"""Two service processes on one PostgreSQL database: a face deleted through one is gone from the
other's very next match. Each keeps its templates in memory; a version number in the database,
read before every match, tells it to reload (no timer, so no window where the old face still matches)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api.clearance_helpers import add_person, enrol, record
from tests.conftest import FACES, ROOT, create_pg_database, drop_pg_database, sqlalchemy_pg_url
from tests.test_service_start import free_port, stop, wait_healthy

ADMIN = {"REGISTRY_ADMIN_EMAIL": "admin@district.example.org", "REGISTRY_ADMIN_PASSWORD": "a long admin password"}


def serve(data_dir: Path, database: str, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        **ADMIN,
        "REGISTRY_DATA_DIR": str(data_dir),
        "DATABASE_URL": sqlalchemy_pg_url(database),
        "REGISTRY_SECRET_KEY": "shared-secret-" + "y" * 40,
        "REGISTRY_ANALYSIS_PROCESSES": "1",
        "REGISTRY_RATE_LIMIT_UPLOADS_PER_ACCOUNT": "0",
        "REGISTRY_RATE_LIMIT_UPLOADS_PER_CLIENT": "0",
        "PYTHONWARNINGS": "ignore",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def who_is_in(client: httpx.Client, headers: dict[str, str], photo: str) -> list[str | None]:
    with open(FACES / photo, "rb") as handle:
        response = client.post(
            "/api/v1/clearances",
            headers=headers,
            files={"photo": (photo, handle, "image/jpeg")},
            data={"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"},
        )
    assert response.status_code == 201, response.text
    return [face["person_name"] for face in response.json()["faces"]]


@pytest.mark.postgres
def test_a_face_deleted_through_one_worker_is_not_matched_by_the_other(tmp_path):
    database = create_pg_database("registry_workers")
    ports = free_port(), free_port()
    first = serve(tmp_path, database, ports[0])
    servers = [first]
    try:
        wait_healthy(ports[0], first)  # the first start migrates; the second finds it done
        servers.append(serve(tmp_path, database, ports[1]))
        wait_healthy(ports[1], servers[1])
        one, two = (httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) for port in ports)
        token = one.post(
            "/api/v1/auth/token",
            data={"username": ADMIN["REGISTRY_ADMIN_EMAIL"], "password": ADMIN["REGISTRY_ADMIN_PASSWORD"]},
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        obama = add_person(one, headers, "E-1", "employee", "Barack Obama")
        record(one, headers, obama, signer="self")
        template = enrol(one, headers, obama, "people/obama/obama-portrait.jpg", signer="self")

        for worker in (two, one):  # both now hold the template in memory
            assert who_is_in(worker, headers, "people/obama/obama-2.jpg") == ["Barack Obama"]

        deleted = one.delete(f"/api/v1/people/{obama}/faces/{template['id']}", headers=headers)
        assert deleted.status_code == 204

        for worker in (two, one, two):
            assert who_is_in(worker, headers, "people/obama/obama-2.jpg") == [None]
    finally:
        for server in servers:
            stop(server)
        drop_pg_database(database)

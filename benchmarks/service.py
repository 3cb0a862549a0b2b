"""The real service for benchmarks: started as `python -m scripts.cli serve` on a free port, seeded
with enrolled people through its API, and stopped. Each start gets a fresh data folder or database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT / "tests" / "data" / "faces"
ADMIN_EMAIL, ADMIN_PASSWORD = "bench@district.example.org", "benchmark admin password"
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
ENROLLED = (
    ("E-1", "Barack Obama", "people/obama/obama-portrait.jpg"),
    ("E-2", "Joe Biden", "people/biden/biden-portrait.jpg"),
    ("E-3", "Kit Harington", "people/kit_harington/kit-1.jpg"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database for one run; its URL; dropped afterwards."""
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"registry_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def running_service(data_dir: Path, *, workers: int = 1, database_url: str | None = None) -> Iterator[str]:
    """The service's base URL while the block runs. Rate limits are off, and a photo sent again is checked
    again rather than answered with its stored clearance: this measures the work."""
    port = free_port()
    env = {
        **os.environ,
        "REGISTRY_DATA_DIR": str(data_dir),
        "REGISTRY_ADMIN_EMAIL": ADMIN_EMAIL,
        "REGISTRY_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PYTHONWARNINGS": "ignore",
        "REGISTRY_RATE_LIMIT_UPLOADS_PER_CLIENT": "0",
        "REGISTRY_RATE_LIMIT_UPLOADS_PER_ACCOUNT": "0",
        "REGISTRY_RATE_LIMIT_SIGN_IN_PER_CLIENT": "0",
        "REGISTRY_RATE_LIMIT_SIGN_IN_PER_ACCOUNT": "0",
        "REGISTRY_REPEAT_UPLOAD_MINUTES": "0",
    }
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # One client for the polling: a new one per request loads the CA bundle again (about 60 ms of CPU),
        # which the starting service would otherwise share its cores with.
        with httpx.Client(timeout=1) as client:
            for _ in range(600):
                if process.poll() is not None:
                    raise RuntimeError(f"the service exited with {process.returncode}")
                try:
                    if client.get(f"{url}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def sign_in(url: str) -> dict[str, str]:
    token = httpx.post(f"{url}/api/v1/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def enrol_people(url: str, headers: dict[str, str]) -> None:
    """Three employees with biometric and posting consents and one reference face each."""
    signed = str(date.today() - timedelta(days=10))
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        for external_id, name, photo in ENROLLED:
            person = client.post("/api/v1/people", json={"external_id": external_id, "kind": "employee", "name": name})
            person.raise_for_status()
            person_id = person.json()["id"]
            for kind, scopes in (("biometric", []), ("image_release", ["personal_social_media"])):
                client.post(
                    "/api/v1/consents",
                    json={
                        "person_id": person_id,
                        "kind": kind,
                        "status": "granted",
                        "scopes": scopes,
                        "signer_name": name,
                        "signer_relationship": "self",
                        "signed_on": signed,
                    },
                ).raise_for_status()
            with open(FACES / photo, "rb") as handle:
                client.post(
                    f"/api/v1/people/{person_id}/faces", files={"photo": (photo, handle, "image/jpeg")}
                ).raise_for_status()


def clear(client: httpx.Client, photo: bytes, name: str = "photo.jpg") -> httpx.Response:
    return client.post(
        "/api/v1/clearances",
        files={"photo": (name, photo, "image/jpeg")},
        data={"destination": "personal_social_media", "context_kind": "sporting_event", "context_public": "true"},
    )

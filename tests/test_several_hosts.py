"""Two API hosts behind a proxy, sharing one PostgreSQL database: two real uvicorn servers on two ports, each
with its own data folder, reached as a proxy reaches them (X-Forwarded-For from a trusted address).

Nothing that matters is kept in one server: a client's upload limit, an account's sign-in limit and the
back-off after wrong passwords hold across both; the same photo sent to both at the same moment is one
clearance; and when both try the day's re-check at the same moment (the host that held it having died),
exactly one runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select

from registry.accounts import service as accounts
from registry.core.db import make_engine, unit_of_work
from registry.core.leases import take_lease
from registry.core.migrate import upgrade
from registry.models.audit import AuditEntry
from registry.takedowns.daily_recheck import LEASE_NAME
from tests.conftest import FACES, ROOT, create_pg_database, drop_pg_database, sqlalchemy_pg_url
from tests.test_service_start import free_port, stop, wait_healthy

ADMIN, ADMIN_PASSWORD = "admin@district.example.org", "a long admin password"
NOT_A_PHOTO = ("photo.jpg", b"plain text, not a photo", "image/jpeg")
FORM = {"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"}
DEAD_HOST_LEASE = timedelta(seconds=60)  # long enough for both servers to start and find it held


def api_host(data_dir: Path, database: str, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "REGISTRY_DATA_DIR": str(data_dir),  # each host its own folder: they share only the database
        "DATABASE_URL": sqlalchemy_pg_url(database),
        "REGISTRY_SECRET_KEY": "shared-secret-" + "z" * 40,
        "REGISTRY_ANALYSIS_PROCESSES": "1",
        "REGISTRY_TRUSTED_PROXIES": "127.0.0.1",  # the test stands for the proxy in front of both
        "REGISTRY_RATE_LIMIT_UPLOADS_PER_CLIENT": "3",
        "REGISTRY_RATE_LIMIT_SIGN_IN_PER_ACCOUNT": "6",
        "REGISTRY_LOGIN_MAX_FAILURES": "2",
        "PYTHONWARNINGS": "ignore",
    }
    command = ["-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(
        [sys.executable, *command], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def recorded_rechecks(engine) -> list[str]:
    with unit_of_work(engine, actor="test") as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.action == "recheck").order_by(col(AuditEntry.id))
        ).all()
        return [entry.changes["host"] for entry in entries]


@pytest.mark.postgres
@pytest.mark.slow
def test_limits_back_off_and_the_daily_recheck_hold_across_two_api_hosts(tmp_path):
    database = create_pg_database("registry_hosts")
    engine = make_engine(sqlalchemy_pg_url(database))
    servers: list[subprocess.Popen[str]] = []
    try:
        upgrade(engine)
        with unit_of_work(engine, actor="test") as session:
            accounts.ensure_first_admin(session, email=ADMIN, password=ADMIN_PASSWORD)
            # A host took today's re-check and died: both servers find it held, and try again when it ends.
            take_lease(session, name=LEASE_NAME, holder="dead-host:1:0", length=DEAD_HOST_LEASE)
        ports = free_port(), free_port()
        servers = [api_host(tmp_path / f"host-{n}", database, port) for n, port in enumerate(ports)]
        for port, server in zip(ports, servers, strict=True):
            wait_healthy(port, server)
        one, two = (httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) for port in ports)

        def sign_in(host: httpx.Client, email: str, password: str, client: str) -> httpx.Response:
            return host.post(
                "/api/v1/auth/token",
                data={"username": email, "password": password},
                headers={"X-Forwarded-For": client},
            )

        token = sign_in(one, ADMIN, ADMIN_PASSWORD, "192.0.2.10").json()["access_token"]

        def upload(host: httpx.Client, client: str) -> int:
            headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": client}
            return host.post("/api/v1/clearances", data=FORM, files={"photo": NOT_A_PHOTO}, headers=headers).status_code

        # One client's uploads, through either host: three in the window, then refused.
        assert [upload(host, "203.0.113.7") for host in (one, two, one)] == [415, 415, 415]
        assert upload(two, "203.0.113.7") == 429
        assert upload(one, "203.0.113.7") == 429
        assert upload(two, "198.51.100.9") == 415  # another client behind the same proxy

        # The same photo sent to both hosts at the same moment (a retried request the proxy sent elsewhere).
        photo = (FACES / "people/obama/obama-2.jpg").read_bytes()
        together = threading.Barrier(2)
        answers: dict[str, httpx.Response] = {}

        def send(name: str, host: httpx.Client) -> None:
            together.wait()
            answers[name] = host.post(
                "/api/v1/clearances",
                data=FORM,
                files={"photo": ("obama-2.jpg", photo, "image/jpeg")},
                headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": "198.51.100.30"},
            )

        senders = [threading.Thread(target=send, args=pair) for pair in (("one", one), ("two", two))]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        assert {r.status_code for r in answers.values()} == {201}, [r.text for r in answers.values()]
        assert answers["one"].json()["id"] == answers["two"].json()["id"]

        # One account's sign-ins, from anywhere, through either host: six in the window, then refused.
        guesses = [
            sign_in(host, "guess@district.example.org", "nope", f"192.0.2.{n}") for n, host in enumerate((two, one) * 3)
        ]
        assert [r.status_code for r in guesses] == [401] * 6
        refused = sign_in(two, "guess@district.example.org", "nope", "192.0.2.99")
        assert refused.status_code == 429 and "Too many sign-in attempts" in refused.json()["detail"]

        # Two wrong passwords for the administrator from one address, one through each host: that address waits.
        assert sign_in(one, ADMIN, "wrong one", "203.0.113.50").status_code == 401
        assert sign_in(two, ADMIN, "wrong two", "203.0.113.50").status_code == 401
        locked = sign_in(one, ADMIN, ADMIN_PASSWORD, "203.0.113.50")
        assert locked.status_code == 429 and "locked" in locked.json()["detail"]
        assert sign_in(two, ADMIN, ADMIN_PASSWORD, "198.51.100.77").status_code == 200  # the owner, elsewhere

        # Both hosts look again when the dead host's lease ends; one runs the day's re-check.
        for _ in range(1800):
            if recorded_rechecks(engine):
                break
            assert all(server.poll() is None for server in servers)
            time.sleep(0.1)
        time.sleep(3)  # the other host's attempt at the same moment has ended by now
        runs = recorded_rechecks(engine)
        assert len(runs) == 1, runs
        assert any(f":{server.pid}:" in runs[0] for server in servers), runs
        verified = two.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {token}"})
        assert verified.status_code == 200 and verified.json()["ok"], verified.text
    finally:
        for server in servers:
            stop(server)
        engine.dispose()
        drop_pg_database(database)

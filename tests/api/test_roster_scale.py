"""A district-sized roster (40,000 rows) imports in seconds through the real service, and sign-in and
/healthz keep answering while it runs: no transaction, and on SQLite no hold of the write lock, lasts
longer than one batch of rows. Run with -s to see the figures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, create_pg_database, drop_pg_database, sqlalchemy_pg_url
from tests.test_service_start import free_port, wait_healthy

ADMIN_EMAIL, ADMIN_PASSWORD = "principal@district.example.org", "a long admin password"
ROWS = int(os.environ.get("ROSTER_SCALE_ROWS", "40000"))


def roster_csv(rows: int) -> bytes:
    lines = ["external_id,name,kind,school,grade,guardian1_name,guardian1_relationship,guardian1_email"]
    lines += [
        f"S-{n:06},Student {n},student,School {n % 12},{n % 12 + 1},Parent {n},parent,parent{n}@example.org"
        for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


@contextmanager
def serving(data_dir: Path, database_url: str | None) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "REGISTRY_DATA_DIR": str(data_dir),
        "PORT": str(port),
        "REGISTRY_ADMIN_EMAIL": ADMIN_EMAIL,
        "REGISTRY_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "REGISTRY_ANALYSIS_PROCESSES": "1",
        "REGISTRY_RATE_LIMIT_SIGN_IN_PER_CLIENT": "100000",
        "REGISTRY_RATE_LIMIT_SIGN_IN_PER_ACCOUNT": "100000",
    }
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "server.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_healthy(port, process)  # type: ignore[arg-type]
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


class Prober(threading.Thread):
    """Asks /healthz and signs in, one after the other, for as long as the import runs."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop = url, threading.Event()
        self.health: list[float] = []
        self.sign_in: list[float] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=600) as client:
            while not self.stop.is_set():
                started = time.monotonic()
                assert client.get("/healthz").status_code == 200
                self.health.append(time.monotonic() - started)
                started = time.monotonic()
                answer = client.post("/api/v1/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
                assert answer.status_code == 200, answer.text
                self.sign_in.append(time.monotonic() - started)
                time.sleep(0.05)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    name = create_pg_database("roster_scale")
    yield sqlalchemy_pg_url(name)
    drop_pg_database(name)


@pytest.mark.slow
def test_a_40000_row_roster_imports_in_seconds_while_the_service_keeps_answering(tmp_path, database_url):
    content = roster_csv(ROWS)
    with serving(tmp_path / "data", database_url) as url, httpx.Client(base_url=url, timeout=900) as client:
        token = client.post("/api/v1/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        prober = Prober(url)
        prober.start()
        started = time.monotonic()
        answer = client.post(
            "/api/v1/people/import", headers=headers, files={"file": ("roster.csv", content, "text/csv")}
        )
        took = time.monotonic() - started
        prober.stop.set()
        prober.join(timeout=60)
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert (report["created"], report["rejected"]) == (ROWS, [])
        again = client.post(
            "/api/v1/people/import", headers=headers, files={"file": ("roster.csv", content, "text/csv")}
        ).json()
        assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, ROWS)
        verified = client.get("/api/v1/audit/verify", headers=headers).json()
        assert verified["ok"], verified
    longest_health, longest_sign_in = max(prober.health), max(prober.sign_in)
    print(
        f"\n{'PostgreSQL' if database_url else 'SQLite'}: {ROWS} rows imported in {took:.1f} s; "
        f"/healthz answered {len(prober.health)} times, longest {longest_health:.2f} s; "
        f"sign-in longest {longest_sign_in:.2f} s"
    )
    assert took < 120, f"the import took {took:.0f} s"
    assert len(prober.health) >= 3, "/healthz hardly answered during the import"
    assert longest_health < 5 and longest_sign_in < 5, (longest_health, longest_sign_in)

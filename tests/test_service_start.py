"""The README's run command, as a person would use it: start, sign in, start again."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from registry.core.db import make_engine
from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(data_dir: Path, port: int, **env: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "REGISTRY_DATA_DIR": str(data_dir), "PORT": str(port), **env}
    environment.pop("DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "serve"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_healthy(port: int, process: subprocess.Popen[str]) -> None:
    for _ in range(900):  # start-up loads the face engine in every worker before it answers healthy
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the service did not become healthy")


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=20)
    return output


@pytest.mark.slow
def test_first_start_makes_the_named_administrator_and_a_second_start_is_harmless(tmp_path):
    port = free_port()
    env = {"REGISTRY_ADMIN_EMAIL": "principal@district.example.org", "REGISTRY_ADMIN_PASSWORD": "a long admin password"}
    first = start(tmp_path, port, **env)
    try:
        wait_healthy(port, first)
        token = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/token",
            data={"username": "principal@district.example.org", "password": "a long admin password"},
        )
        assert token.status_code == 200
    finally:
        output = stop(first)
    assert "First administrator: principal@district.example.org" in output
    assert "a long admin password" not in output
    assert (tmp_path / "registry.db").exists()

    second = start(tmp_path, port)
    try:
        wait_healthy(port, second)
    finally:
        output = stop(second)
    assert "First administrator" not in output


@pytest.mark.slow
def test_without_a_named_administrator_a_password_is_generated_and_shown_once(tmp_path):
    port = free_port()
    process = start(tmp_path, port)
    try:
        wait_healthy(port, process)
    finally:
        output = stop(process)
    line = next(x for x in output.splitlines() if x.startswith("Password"))
    password = line.split(": ", 1)[1].strip()
    assert len(password) >= 16
    process = start(tmp_path, port)
    try:
        wait_healthy(port, process)
        assert (
            httpx.post(
                f"http://127.0.0.1:{port}/api/v1/auth/token",
                data={"username": "admin@example.org", "password": password},
            ).status_code
            == 200
        )
    finally:
        stop(process)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


@pytest.mark.slow
def test_a_malformed_policy_pack_stops_start_up_naming_the_line(tmp_path):
    from registry.policy.pack import PACKS_DIR

    text = (PACKS_DIR / "litchfield-4118.51.toml").read_text()
    broken = text.replace('destinations = ["personal_social_media"]', 'destinations = ["facebook"]', 1)
    assert broken != text
    pack = tmp_path / "litchfield-4118.51.toml"
    pack.write_text(broken)
    line = next(n for n, row in enumerate(broken.splitlines(), 1) if '"facebook"' in row)
    process = start(tmp_path / "data", free_port(), REGISTRY_POLICY_PACK=str(pack))
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "will not start" in output and "facebook" in output
    assert f"line {line}" in output

"""Crash safety with the real service: kill it (os._exit, like a power cut) at named points while it
clears a photo or purges a person, start it again, and find nothing half-written, no orphan file, and
an audit chain that verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from registry.core.db import make_engine, unit_of_work
from registry.core.files import CRASH_VARIABLE, sweep_orphans
from registry.core.settings import Settings
from registry.core.storage import storage_for
from registry.trust import audit_log
from tests.conftest import FACES, ROOT
from tests.test_service_start import free_port, wait_healthy

ADMIN = {
    "REGISTRY_ADMIN_EMAIL": "principal@district.example.org",
    "REGISTRY_ADMIN_PASSWORD": "a long admin password",
    "REGISTRY_ANALYSIS_PROCESSES": "1",
}
CRASHED = 70


@contextmanager
def _serving(data_dir: Path, port: int, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """The service in a process group of its own: its face-engine workers outlive a crash of their parent
    (as they would after a real one), so the whole group is ended afterwards."""
    environment = {**os.environ, "REGISTRY_DATA_DIR": str(data_dir), "PORT": str(port), **ADMIN, **env}
    environment.pop("DATABASE_URL", None)
    with open(data_dir.parent / f"server-{port}.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "serve"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_healthy(port, process)  # type: ignore[arg-type]
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _counts(data_dir: Path) -> dict[str, int]:
    engine = make_engine(f"sqlite:///{data_dir / 'registry.db'}")
    with engine.connect() as connection:
        counts = {
            table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608
            for table in ("clearances", "clearance_faces", "face_templates")
        }
        counts["clearances_without_faces"] = int(
            connection.execute(
                text(
                    "SELECT count(*) FROM clearances c WHERE NOT EXISTS "
                    "(SELECT 1 FROM clearance_faces f WHERE f.clearance_id = c.id)"
                )
            ).scalar_one()
        )
        counts["photos_referenced"] = int(
            connection.execute(text("SELECT count(*) FROM clearances WHERE photo_file IS NOT NULL")).scalar_one()
        )
    with unit_of_work(engine, actor="test") as session:
        verification = audit_log.verify(session)
    engine.dispose()
    assert verification.ok, verification.problem
    return counts


def _files(data_dir: Path) -> list[str]:
    """The kept uploads, in the data folder or in the bucket REGISTRY_STORAGE_URL names."""
    store = storage_for(Settings(environment="test", data_dir=data_dir))  # REGISTRY_STORAGE_URL read, if set
    return sorted(key.removeprefix("uploads/") for key in store.keys("uploads/"))


def _sweep_as_when_the_grace_is_over(data_dir: Path) -> None:
    """What the start-up sweep removes from the data folder, and the daily sweep from a bucket an hour later."""
    engine = make_engine(f"sqlite:///{data_dir / 'registry.db'}")
    with unit_of_work(engine, actor="system:start") as session:
        sweep_orphans(session, Settings(environment="test", data_dir=data_dir))
    engine.dispose()


def _headers(port: int) -> dict[str, str]:
    token = httpx.post(
        f"http://127.0.0.1:{port}/api/v1/auth/token",
        data={"username": ADMIN["REGISTRY_ADMIN_EMAIL"], "password": ADMIN["REGISTRY_ADMIN_PASSWORD"]},
    ).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _clear(port: int, headers: dict[str, str], photo: str) -> httpx.Response:
    with open(FACES / photo, "rb") as handle:
        return httpx.post(
            f"http://127.0.0.1:{port}/api/v1/clearances",
            headers=headers,
            timeout=120,
            data={"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"},
            files={"photo": ("p.jpg", handle, "image/jpeg")},
        )


def _purge(data_dir: Path, crash_at: str) -> subprocess.CompletedProcess[str]:
    env = {**ADMIN, "REGISTRY_DATA_DIR": str(data_dir), CRASH_VARIABLE: crash_at}
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", "purge", "--person", "S-OBAMA"],
        cwd=ROOT,
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
@pytest.mark.parametrize("kept_in", ["data folder", pytest.param("bucket", marks=pytest.mark.s3)])
def test_crashes_while_clearing_and_purging_leave_nothing_half_written(tmp_path, kept_in, request, monkeypatch):
    if kept_in == "bucket":  # the service processes find the bucket, its endpoint and keys in the environment
        monkeypatch.setenv("REGISTRY_STORAGE_URL", request.getfixturevalue("s3_url"))
    data, port = tmp_path / "data", free_port()
    data.mkdir()
    with _serving(data, port, **{CRASH_VARIABLE: "upload-written"}) as server:
        headers = _headers(port)
        person = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/people",
            headers=headers,
            json={"external_id": "S-OBAMA", "kind": "student", "name": "Barack Obama"},
        ).json()["id"]
        assert (
            httpx.post(
                f"http://127.0.0.1:{port}/api/v1/consents",
                headers=headers,
                json={
                    "person_id": person,
                    "kind": "biometric",
                    "status": "granted",
                    "scopes": [],
                    "signer_name": "Parent",
                    "signer_relationship": "parent",
                    "signed_on": "2026-09-02",
                },
            ).status_code
            == 201
        )
        with open(FACES / "people/obama/obama-portrait.jpg", "rb") as handle:
            assert (
                httpx.post(
                    f"http://127.0.0.1:{port}/api/v1/people/{person}/faces",
                    headers=headers,
                    timeout=120,
                    files={"photo": ("p.jpg", handle, "image/jpeg")},
                ).status_code
                == 201
            )
        with suppress(httpx.HTTPError):  # the server dies mid-request, as it was told to
            _clear(port, headers, "people/obama/obama-2.jpg")
        assert server.wait(timeout=60) == CRASHED
    assert len(_files(data)) == 1  # the photo was written; its clearance never committed
    assert _counts(data)["clearances"] == 0

    left = _files(data)
    with _serving(data, port):
        if kept_in == "data folder":
            assert _files(data) == []  # swept at start, before any request
        else:  # a bucket is shared by every host: another host's upload may be between its write and its commit
            assert _files(data) == left  # so a host's start sweeps only what is older than any upload in flight
            _sweep_as_when_the_grace_is_over(data)
            assert _files(data) == []
        # the same upload sent again: checked at once (the crashed process's claim on it is let go of)
        assert _clear(port, _headers(port), "people/obama/obama-2.jpg").status_code == 201
    kept = _files(data)
    assert len(kept) == 1
    assert _counts(data) == {
        "clearances": 1,
        "clearance_faces": 1,
        "face_templates": 1,
        "clearances_without_faces": 0,
        "photos_referenced": 1,
    }

    before_commit = _purge(data, "purge-before-commit")
    assert before_commit.returncode == CRASHED, before_commit.stderr
    assert _files(data) == kept and _counts(data)["face_templates"] == 1  # all of it, or none

    after_commit = _purge(data, "before-deleting-files")
    assert after_commit.returncode == CRASHED, after_commit.stderr
    counts = _counts(data)
    assert counts["face_templates"] == 0 and counts["photos_referenced"] == 0 and counts["clearances"] == 1
    assert _files(data) == kept  # committed, but the file outlived the crash...

    _sweep_as_when_the_grace_is_over(data)  # ...until the start-up sweep (seen above)
    assert _files(data) == []
    assert _counts(data)["clearances_without_faces"] == 0
    assert kept_in == "data folder" or not (data / "uploads").exists()  # on a bucket, never a file here


def test_a_write_is_answered_only_after_it_committed(app, office):
    """A 201 is a promise that the record is kept: a commit that fails must turn into an error answer."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def refuse(session: Session) -> None:
        raise OSError("disk full")

    with TestClient(app, raise_server_exceptions=False) as client:
        event.listen(Session, "before_commit", refuse)
        try:
            response = client.post(
                "/api/v1/people", json={"external_id": "S-1", "kind": "student", "name": "Maya"}, headers=office
            )
        finally:
            event.remove(Session, "before_commit", refuse)
        assert response.status_code == 500
        assert client.get("/api/v1/people", headers=office).json()["total"] == 0

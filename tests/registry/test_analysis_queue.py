"""The queue's side in the service, without workers: which album photo a worker takes first, and what is
read back from the store (tests/test_external_analysis.py runs the whole thing with real workers)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import procrastinate
import pytest
from sqlalchemy.engine import Engine

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.analysis import exchange
from registry.analysis.queue import (
    WAITING,
    ExternalAnalysisUnavailable,
    album_priorities,
    conninfo,
    defer_queued_items,
    ensure_schema,
)
from registry.core.db import unit_of_work
from registry.core.settings import Settings
from registry.core.storage import FileStorage
from registry.faces.analysis_pool import analysis_settings
from registry.models.albums import AlbumItem, AlbumJob
from registry.models.base import id_of
from tests.conftest import PASSWORD, ROOT, fresh_database


@pytest.fixture
def queue_database(tmp_path: Path) -> Iterator[Engine]:
    """A migrated PostgreSQL database with procrastinate's tables, dropped at the end."""
    with fresh_database("postgresql", tmp_path, prefix="registry_queue") as engine:
        settings = Settings(database_url=engine.url.render_as_string(hide_password=False))
        ensure_schema(settings)
        ensure_schema(settings)  # a second start finds the tables and leaves them
        yield engine


def _album(engine: Engine, uploader: str, photos: int) -> list[int]:
    with unit_of_work(engine, actor="test") as session:
        user = accounts.find_user_by_email(session, f"{uploader}@district.example.org") or accounts.add_user(
            session,
            data=UserCreate(
                email=f"{uploader}@district.example.org", full_name=uploader.title(), role="employee", password=PASSWORD
            ),
        )
        job = AlbumJob(uploader_id=id_of(user), destination="personal_social_media", source="api")
        session.add(job)
        session.flush()
        items = [
            AlbumItem(job_id=id_of(job), position=n, name=f"{n}.jpg", photo_file=f"{uploader}-{n}.jpg", status="queued")
            for n in range(photos)
        ]
        session.add_all(items)
        session.flush()
        return [id_of(item) for item in items]


@pytest.mark.postgres
def test_album_photos_of_two_uploaders_are_taken_in_turn_and_a_single_photo_first(queue_database: Engine) -> None:
    long_album = _album(queue_database, "coach", 6)
    short_album = _album(queue_database, "teacher", 2)
    single = _album(queue_database, "secretary", 1)
    priorities = album_priorities(queue_database)
    # A worker takes the highest priority first, then the oldest: the order photos are read in.
    order = sorted(priorities, key=lambda item: (-priorities[item], item))
    assert order[0] == single[0] and priorities[single[0]] == WAITING
    assert order[1:] == [long_album[0], short_album[0], long_album[1], short_album[1], *long_album[2:]]


@pytest.mark.postgres
def test_a_photo_gets_one_waiting_job_however_often_the_queue_is_woken(queue_database: Engine) -> None:
    items = _album(queue_database, "coach", 3)
    settings = Settings(database_url=queue_database.url.render_as_string(hide_password=False))
    with procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(settings))).open() as app:
        assert defer_queued_items(app, queue_database) == 3
        assert defer_queued_items(app, queue_database) == 0  # woken again: each photo has its job waiting
        jobs = app.job_manager.list_jobs(task="registry.clear_album_item")
    assert sorted(int(str(job.task_kwargs["item_id"])) for job in jobs) == items
    assert {job.queue for job in jobs} == {"albums"}


def test_external_analysis_refuses_sqlite_with_a_clear_message() -> None:
    with pytest.raises(ExternalAnalysisUnavailable, match="REGISTRY_ANALYSIS=external needs PostgreSQL"):
        conninfo(Settings(analysis="external"))


def test_an_analysis_result_not_signed_by_the_service_is_never_read(tmp_path: Path) -> None:
    store = FileStorage(tmp_path)
    token = exchange.put_request(store, "the service's secret", b"photo", analysis_settings(Settings()))
    exchange.put_result(store, "someone else's secret", token, exchange.Refusal("planted", 422))
    with pytest.raises(exchange.Tampered):
        exchange.read_result(store, "the service's secret", token)
    exchange.forget(store, token)
    assert list(store.keys("analysis/")) == []


@pytest.mark.slow  # starts the command line's processes
@pytest.mark.parametrize("command", ["serve", "worker"])
def test_the_service_and_a_worker_refuse_the_external_mode_on_sqlite(command: str, tmp_path: Path) -> None:
    environment = {**os.environ, "REGISTRY_DATA_DIR": str(tmp_path), "REGISTRY_ANALYSIS": "external"}
    environment.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", command],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "REGISTRY_ANALYSIS=external needs PostgreSQL" in done.stderr
    assert not (tmp_path / "registry.db").exists()  # refused before anything was made

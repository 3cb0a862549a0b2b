"""Warm start: the service answers healthy only once every face-engine worker has loaded the models, so
the first photo after a start (even one refused for its type) starts no worker and loads no model.

Measured by counting the worker processes, never by the clock: a worker loads the models once, when it
starts (``media.analysis.start_worker``), so a photo that starts no worker pays for no loading."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.accounts import security
from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.core.db import make_engine, unit_of_work
from registry.core.migrate import upgrade
from registry.core.settings import Settings
from tests.conftest import GENEROUS_LIMITS, PASSWORD

pytestmark = pytest.mark.slow  # starts the face-engine worker processes
GIF = (  # a 1-pixel GIF: a format the service refuses
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x00\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def _service(tmp_path: Path) -> tuple[Settings, dict[str, str]]:
    """A service of its own (its own database, as `serve` runs it), with an employee signed in."""
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'registry.db'}",
        secret_key="warm-secret-" + "x" * 40,
        analysis_processes=2,
        **GENEROUS_LIMITS,
    )
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        user = accounts.add_user(
            session,
            data=UserCreate(
                email="coach@district.example.org", full_name="Eddie Coach", role="employee", password=PASSWORD
            ),
        )
        session.flush()
        token, _ = security.issue_access_token(user_id=int(user.id or 0), secret=settings.secret_key, minutes=5)
    engine.dispose()
    return settings, {"Authorization": f"Bearer {token}"}


def test_the_service_is_healthy_only_with_every_worker_loaded_and_the_first_photo_starts_none(tmp_path):
    settings, coach = _service(tmp_path)
    app = create_app(settings)
    pool = app.state.analysis_pool
    with TestClient(app) as client:  # start-up is over when this returns: requests are answered from here
        health = client.get("/healthz")
        loaded = pool.worker_pids()
        assert health.status_code == 200, health.text
        assert len(loaded) == 2 and pool.ready  # both workers running, each with the models loaded

        first = client.post(
            "/api/v1/clearances",
            data={"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"},
            files={"photo": ("team.gif", GIF, "image/gif")},
            headers=coach,
        )
        assert first.status_code in (415, 422), first.text  # refused for its type, by a worker
        assert pool.worker_pids() == loaded  # no worker started for it: it paid for no model loading


def test_while_the_workers_are_not_loaded_healthz_says_starting_and_loads_them(tmp_path):
    settings, _ = _service(tmp_path)
    app = create_app(settings)
    pool = app.state.analysis_pool
    with TestClient(app) as client:
        pool.shutdown()  # as if its workers had died: nothing is loaded any more
        assert not pool.ready
        starting = client.get("/healthz")
        assert starting.status_code == 503 and starting.json()["status"] == "starting"
        assert pool._warming is not None
        pool._warming.join()  # the load healthz set off
        assert pool.ready and len(pool.worker_pids()) == 2
        assert client.get("/healthz").status_code == 200

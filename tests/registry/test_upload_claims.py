"""The same upload received by two service processes at once is checked once: the first claims it in the
database, the second waits for its clearance and answers with it. A claim whose process died is taken over
after the time-out; a check that fails lets go of its claim at once. On SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from media.analysis import analyse_photo
from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.clearances.check import Clearing, PhotoCheck
from registry.clearances.repeats import clear_photo_once
from registry.core.db import committed, make_engine, new_session, unit_of_work
from registry.core.errors import RegistryError
from registry.core.settings import Settings
from registry.faces.templates import TemplateCache
from registry.models.clearances import Clearance
from registry.models.state import UploadClaim
from registry.policy import load_builtin_pack
from tests.conftest import FACES, GENEROUS_LIMITS, PASSWORD, fresh_database

PHOTO = FACES / "people/kit_harington/kit-2.jpg"
SPAWN = multiprocessing.get_context("spawn")  # a new interpreter: nothing of this one's engines or threads


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path, prefix="registry_claims") as engine:
        yield engine


def _coach(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        coach = accounts.add_user(
            session,
            data=UserCreate(email="coach@district.example.org", full_name="Coach", role="employee", password=PASSWORD),
        )
        return coach.id or 0


def _settings(data_dir: Path, wait_seconds: float) -> Settings:
    return Settings(
        environment="test",
        data_dir=data_dir,
        repeat_upload_minutes=10,
        repeat_upload_wait_seconds=wait_seconds,
        **GENEROUS_LIMITS,
    )


class _Analyse:
    """The face engine, slowed down (so that the other upload arrives while this one is checked), counting its
    readings, or dying in the middle of one (a worker killed mid-check)."""

    def __init__(self, *, seconds: float, then: str = "read") -> None:
        self.seconds, self.then, self.readings = seconds, then, 0

    def __call__(self, photo: bytes, how: Any) -> Any:
        self.readings += 1
        time.sleep(self.seconds)
        if self.then == "die":
            os._exit(3)
        if self.then == "fail":
            raise RegistryError("the photo could not be read")
        return analyse_photo(photo, how)


def _upload(engine: Engine, coach_id: int, settings: Settings, analyse: _Analyse) -> int:
    clearing = Clearing(
        settings=settings,
        pack=load_builtin_pack(settings.policy_pack),
        templates=TemplateCache(),
        analyse=analyse,
        hold_no_transaction=True,  # as in a request: the claim and the clearance are committed as they happen
    )
    with committed(new_session(engine, expire_on_commit=False), actor=f"user:{coach_id}") as session:
        check = PhotoCheck(
            uploader=accounts.get_user(session, coach_id),
            destination="personal_social_media",
            event_id=None,
            context_kind="classroom",
            context_public=False,
            tags=(),
            caption="Volunteer day",
        )
        return clear_photo_once(session, check, PHOTO.read_bytes(), using=clearing).id or 0


def upload_in_a_process(url: str, data_dir: str, coach_id: int, start: Any, results: Any, behaviour: dict) -> None:
    """One service process receiving the upload (run in a fresh interpreter)."""
    engine = make_engine(url)
    analyse = _Analyse(seconds=behaviour["seconds"], then=behaviour["then"])
    start.wait(timeout=120)
    clearance_id = _upload(engine, coach_id, _settings(Path(data_dir), behaviour["wait_seconds"]), analyse)
    results.put((clearance_id, analyse.readings))


def _process(engine: Engine, tmp_path: Path, coach_id: int, start: Any, results: Any, **behaviour: Any) -> Any:
    url = engine.url.render_as_string(hide_password=False)
    args = (url, str(tmp_path / "data"), coach_id, start, results, behaviour)
    process = SPAWN.Process(target=upload_in_a_process, args=args)
    process.start()
    return process


def _clearances(engine: Engine) -> int:
    with new_session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Clearance)).one())


def _claims(engine: Engine) -> int:
    with new_session(engine) as session:
        return int(session.exec(select(func.count()).select_from(UploadClaim)).one())


@pytest.mark.slow  # real processes: the whole suite runs it, the fast lane does not
def test_two_processes_receiving_the_same_upload_at_once_check_it_once(engine: Engine, tmp_path: Path) -> None:
    coach_id = _coach(engine)
    start, results = SPAWN.Barrier(2), SPAWN.Queue()
    workers = [
        _process(engine, tmp_path, coach_id, start, results, seconds=3.0, then="read", wait_seconds=120)
        for _ in range(2)
    ]
    answers = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert answers[0][0] == answers[1][0]  # the same clearance for both
    assert sorted(readings for _, readings in answers) == [0, 1]  # the photo was read once, by one of them
    assert _clearances(engine) == 1
    assert _claims(engine) == 0  # let go with the clearance


@pytest.mark.slow  # real processes: the whole suite runs it, the fast lane does not
def test_a_claim_whose_process_died_is_taken_over_after_the_time_out(engine: Engine, tmp_path: Path) -> None:
    coach_id = _coach(engine)
    start, results = SPAWN.Barrier(1), SPAWN.Queue()
    dying = _process(engine, tmp_path, coach_id, start, results, seconds=0.0, then="die", wait_seconds=120)
    dying.join(timeout=120)
    assert dying.exitcode == 3
    assert _claims(engine) == 1  # what a worker killed in the middle of a check leaves behind
    analyse = _Analyse(seconds=0.0)
    clearance_id = _upload(engine, coach_id, _settings(tmp_path / "data", wait_seconds=1.0), analyse)
    assert analyse.readings == 1  # checked by the process that took the claim over
    assert _clearances(engine) == 1
    with new_session(engine) as session:
        assert session.get(Clearance, clearance_id) is not None
    assert _claims(engine) == 0


def test_a_check_that_fails_lets_go_of_its_claim_at_once(engine: Engine, tmp_path: Path) -> None:
    """The second upload, waiting for the first, checks the photo itself as soon as the first fails, long
    before the time-out."""
    coach_id = _coach(engine)
    settings = _settings(tmp_path / "data", wait_seconds=600)
    failing, second = _Analyse(seconds=1.5, then="fail"), _Analyse(seconds=0.0)
    failure: list[BaseException] = []

    def first() -> None:
        try:
            _upload(engine, coach_id, settings, failing)
        except RegistryError as exc:
            failure.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    while _claims(engine) == 0 and thread.is_alive():
        time.sleep(0.02)
    clearance_id = _upload(engine, coach_id, settings, second)  # in another session, like another request
    thread.join(timeout=60)
    assert len(failure) == 1
    assert second.readings == 1
    assert clearance_id and _clearances(engine) == 1
    assert _claims(engine) == 0


@pytest.mark.slow  # real processes: the whole suite runs it, the fast lane does not
def test_a_claim_of_a_process_of_this_host_that_runs_no_more_is_taken_over_at_once(
    engine: Engine, tmp_path: Path
) -> None:
    """The service crashed while checking the photo, and was started again: the teacher sending the photo again
    does not wait out the dead process's claim (three minutes). A claim of another host's process is waited for."""
    coach_id = _coach(engine)
    start, results = SPAWN.Barrier(1), SPAWN.Queue()
    dying = _process(engine, tmp_path, coach_id, start, results, seconds=0.0, then="die", wait_seconds=180)
    dying.join(timeout=120)
    assert dying.exitcode == 3 and _claims(engine) == 1
    started = time.monotonic()
    analyse = _Analyse(seconds=0.0)
    _upload(engine, coach_id, _settings(tmp_path / "data", wait_seconds=180), analyse)
    assert analyse.readings == 1 and _clearances(engine) == 1 and _claims(engine) == 0
    assert time.monotonic() - started < 60  # not the 180 s a claim of another host is given


def test_a_claim_held_on_another_host_is_not_taken_for_dead() -> None:
    from registry.core.leases import gone_from_this_host, holder_name

    assert not gone_from_this_host(holder_name())  # this very process
    assert not gone_from_this_host("another-host:1:1:abcdef12")
    here, pid, started, rest = holder_name().split(":", 3)
    assert gone_from_this_host(f"{here}:{pid}:{int(started) + 1}:{rest}")  # the same id, another process

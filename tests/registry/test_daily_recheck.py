"""The service's own daily re-check: once a day whatever the number of workers, at the district's hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.core.db import make_engine, unit_of_work
from registry.core.leases import take_lease
from registry.core.migrate import upgrade
from registry.core.settings import Settings
from registry.models.audit import AuditEntry
from registry.models.base import id_of, utcnow
from registry.models.faces import FaceTemplate
from registry.models.people import Person
from registry.policy.ledger import District
from registry.takedowns import daily_recheck
from tests.conftest import fresh_database
from tests.district import DISTRICT
from tests.test_cli_album import registry_cli


def test_one_worker_does_the_days_recheck_and_the_others_find_it_done(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    upgrade(engine)
    assert daily_recheck.run_once(engine, district=DISTRICT) == []  # nothing posted yet, but today's is done
    assert daily_recheck.run_once(engine, district=DISTRICT) is None  # a second worker: already done today
    assert daily_recheck.run_once(engine, district=DISTRICT, force=True) == []  # an operator may run it again
    engine.dispose()


def test_the_next_run_is_at_the_districts_time_of_day() -> None:
    evening_in_utc = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # 01:00 in Connecticut
    assert daily_recheck.seconds_until("02:00", zone="America/New_York", now=evening_in_utc) == 3600
    assert daily_recheck.seconds_until("00:30", zone="America/New_York", now=evening_in_utc) == 23.5 * 3600


def test_the_daily_recheck_deletes_templates_past_retention_on_the_districts_clock(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    upgrade(engine)
    with unit_of_work(engine, actor="test") as session:
        user = accounts.add_user(
            session,
            data=UserCreate(
                email="office@district.example.org",
                full_name="Office",
                role="office_staff",
                password="correct horse battery",
            ),
        )
        person = Person(external_id="S-1", kind="student", name="Ada")
        session.add(person)
        session.flush()
        session.add(
            FaceTemplate(
                person_id=id_of(person),
                encoding=bytes(128 * 8),
                model="test",
                box_top=0,
                box_right=100,
                box_bottom=100,
                box_left=0,
                source_width=100,
                source_height=100,
                created_by_id=id_of(user),
            )
        )
    settings = Settings(environment="test", data_dir=tmp_path)

    def held() -> int:
        with unit_of_work(engine, actor="test") as session:
            return len(session.exec(select(FaceTemplate)).all())

    def on(day: datetime) -> District:
        return District(DISTRICT.pack, DISTRICT.time_zone, clock=lambda: day)

    in_eleven_months = datetime.now(UTC) + timedelta(days=335)
    assert daily_recheck.run_once(engine, district=on(in_eleven_months), settings=settings, force=True) == []
    assert held() == 1
    in_thirteen_months = datetime.now(UTC) + timedelta(days=395)
    assert daily_recheck.run_once(engine, district=on(in_thirteen_months), settings=settings, force=True) == []
    assert held() == 0
    engine.dispose()


def recorded_runs(engine) -> list[str]:
    """The hosts the audit log names for each day's re-check, oldest first."""
    with unit_of_work(engine, actor="test") as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.action == "recheck").order_by(col(AuditEntry.id))
        ).all()
        return [entry.changes["host"] for entry in entries]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_while_one_host_runs_it_the_others_wait_and_take_over_once_its_lease_ends(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path, prefix="registry_recheck") as engine:
        one_day_two_hosts(engine)


def one_day_two_hosts(engine) -> None:
    with unit_of_work(engine, actor="test") as session:  # a host took the lease, then died mid-run
        take_lease(session, name=daily_recheck.LEASE_NAME, holder="dead-host", length=timedelta(minutes=30))
    waiting = daily_recheck.recheck_today(engine, district=DISTRICT, holder="host-b")
    assert waiting.created is None and waiting.busy_until is not None
    assert timedelta(minutes=29) < waiting.busy_until - utcnow() <= timedelta(minutes=30)
    forced = daily_recheck.recheck_today(engine, district=DISTRICT, holder="host-b", force=True)
    assert forced.busy_until is not None  # an operator's run never runs beside another either

    with unit_of_work(engine, actor="test") as session:  # half an hour on: the dead host's lease has ended
        take_lease(session, name=daily_recheck.LEASE_NAME, holder="dead-host", length=timedelta(0))
    assert daily_recheck.recheck_today(engine, district=DISTRICT, holder="host-b").created == []
    assert daily_recheck.recheck_today(engine, district=DISTRICT, holder="host-c").created is None  # done today
    assert recorded_runs(engine) == ["host-b"]


@pytest.mark.postgres
def test_a_run_that_finds_the_day_recorded_meanwhile_by_another_host_is_rolled_back(tmp_path, monkeypatch) -> None:
    """A host whose lease ended while it was still working (stalled, not dead) and another host both run it:
    only the first to commit is recorded."""
    with fresh_database("postgresql", tmp_path, prefix="registry_recheck") as engine:
        decide_again = daily_recheck.takedowns.daily_recheck

        def another_host_finishes_first(session, *, district):
            with unit_of_work(engine, actor="system:daily-recheck") as other:
                assert daily_recheck.claim_today(other, district=district)
            return decide_again(session, district=district)

        monkeypatch.setattr(daily_recheck.takedowns, "daily_recheck", another_host_finishes_first)
        assert daily_recheck.recheck_today(engine, district=DISTRICT, holder="stalled-host").created is None
        assert recorded_runs(engine) == []
        monkeypatch.undo()
        assert daily_recheck.recheck_today(engine, district=DISTRICT, holder="host-b").created is None  # done
        with unit_of_work(engine, actor="test") as session:  # the stalled host gave its lease back
            assert take_lease(session, name=daily_recheck.LEASE_NAME, holder="host-b", length=timedelta(1)) is None


@pytest.mark.slow  # real processes: the whole suite runs it, the fast lane does not
def test_the_operators_command_waits_for_a_host_that_is_running_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    upgrade(engine)
    with unit_of_work(engine, actor="test") as session:
        take_lease(session, name=daily_recheck.LEASE_NAME, holder="host-a", length=timedelta(minutes=30))
    refused = registry_cli(tmp_path, "expiry-scan")
    assert refused.returncode == 1 and "running the re-check now" in refused.stderr
    with unit_of_work(engine, actor="test") as session:  # host-a finished and gave the lease back
        take_lease(session, name=daily_recheck.LEASE_NAME, holder="host-a", length=timedelta(0))
    done = registry_cli(tmp_path, "expiry-scan")
    assert done.returncode == 0 and "0 new takedown request(s)" in done.stdout
    assert recorded_runs(engine)[0].startswith("cli:")
    engine.dispose()

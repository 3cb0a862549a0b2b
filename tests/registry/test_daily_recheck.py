"""The service's own daily re-check: once a day whatever the number of workers, at the district's hour."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from registry.core.db import make_engine
from registry.core.migrate import upgrade
from registry.takedowns import daily_recheck
from tests.district import DISTRICT


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

"""The service's own daily re-check of posted photos, so that forms running out need no cron job.

Once a day at REGISTRY_EXPIRY_SCAN_AT (the district's time), every photo still allowed is decided
again (`takedowns.daily_recheck`); each one no longer allowed becomes a takedown request. Several
API workers may run this thread: the one that moves `registry_state.daily_recheck_day` to today does
the work, in the same transaction, and the others find it done.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.core.db import unit_of_work
from registry.core.settings import Settings
from registry.faces.lifecycle import forget_biometrics_past_their_time
from registry.models.state import RegistryState
from registry.models.takedowns import Takedown
from registry.policy.ledger import District
from registry.takedowns import service as takedowns

DAY_KEY = "daily_recheck_day"
log = logging.getLogger("registry.takedowns.daily_recheck")


def claim_today(session: Session, *, district: District) -> bool:
    """True for the one caller that moves the marker to today; False when today's re-check is done."""
    today = district.today().toordinal()
    if session.exec(select(RegistryState).where(RegistryState.key == DAY_KEY)).first() is None:
        session.add(RegistryState(key=DAY_KEY, value=0))
        session.flush()
    moved = session.execute(
        update(RegistryState)
        .where(col(RegistryState.key) == DAY_KEY, col(RegistryState.value) < today)
        .values(value=today)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def run_once(
    engine: Engine, *, district: District, force: bool = False, settings: Settings | None = None
) -> list[Takedown] | None:
    """Today's re-check, unless another worker did it already (None then). `force` runs it anyway.
    With the settings, face templates past their time go too (registry/faces/lifecycle.py)."""
    with unit_of_work(engine, actor="system:daily-recheck") as session:
        if not claim_today(session, district=district) and not force:
            return None
        if settings is not None:
            forget_biometrics_past_their_time(session, settings=settings, now=district.now())
        return takedowns.daily_recheck(session, district=district)


def seconds_until(at: str, *, zone: str, now: datetime | None = None) -> float:
    """Seconds from now to the next HH:MM in the district's time zone."""
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(zone))
    hour, minute = (int(part) for part in at.split(":"))
    target = datetime.combine(local.date(), time(hour, minute), tzinfo=local.tzinfo)
    if target <= local:
        target = datetime.combine(local.date() + timedelta(days=1), time(hour, minute), tzinfo=local.tzinfo)
    return (target - local).total_seconds()


class DailyRecheck(threading.Thread):
    """Runs `run_once` at start and then every day at `at`; stop() ends it at once."""

    def __init__(self, engine: Engine, *, district: District, at: str, settings: Settings | None = None) -> None:
        super().__init__(name="daily-recheck", daemon=True)
        self.engine, self.district, self.at, self.settings = engine, district, at, settings
        self._stop_event = threading.Event()

    def run(self) -> None:
        self._run_guarded()
        while not self._stop_event.wait(seconds_until(self.at, zone=self.district.time_zone)):
            self._run_guarded()

    def _run_guarded(self) -> None:
        try:
            created = run_once(self.engine, district=self.district, settings=self.settings)
            if created:
                log.info("daily re-check: %d new takedown request(s)", len(created))
        except Exception:  # a failed night must not end the thread: tomorrow tries again
            log.exception("daily re-check failed; it runs again at %s", self.at)

    def stop(self) -> None:
        self._stop_event.set()

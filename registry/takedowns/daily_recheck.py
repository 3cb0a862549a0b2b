"""The service's own daily re-check of posted photos, so that forms running out need no cron job.

Once a day at REGISTRY_EXPIRY_SCAN_AT (the district's time), every photo still allowed is decided
again (`takedowns.daily_recheck`); each one no longer allowed becomes a takedown request. Every API
worker on every host runs this thread; one of them does the day's work:

- a lease (registry/core/leases.py) lets one host at a time run it; the others are told until when, and
  try again then, so a host that dies mid-run hands the day's work to another once its lease ends;
- the run moves `registry_state.daily_recheck_day` to today in the same transaction as its takedown
  requests, only if no other run has moved it meanwhile: should a lease end while its holder is still
  working (a stalled host), whichever run commits second is rolled back, so the work is recorded once.

Each run is recorded in the audit log (action "recheck"), naming the host that did it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.core.audit import record_act
from registry.core.db import unit_of_work
from registry.core.leases import holder_name, release_lease, take_lease
from registry.core.settings import Settings
from registry.faces.lifecycle import forget_biometrics_past_their_time
from registry.models.base import utcnow
from registry.models.state import RegistryState
from registry.models.takedowns import Takedown
from registry.policy.ledger import District
from registry.takedowns import service as takedowns

DAY_KEY = "daily_recheck_day"
LEASE_NAME = "daily_recheck"
LEASE = timedelta(minutes=30)  # far longer than a district's re-check takes; a dead host's run waits this long
log = logging.getLogger("registry.takedowns.daily_recheck")


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: the takedown requests it made (None: it did not run), or until when
    another host holds the lease (busy_until), in which case it should be tried again then."""

    created: list[Takedown] | None
    busy_until: datetime | None = None


class _DoneMeanwhile(Exception):
    """Another run recorded today's re-check while this one worked: this one's work is rolled back."""


def done_today(session: Session, *, district: District) -> bool:
    marker = session.exec(select(RegistryState.value).where(RegistryState.key == DAY_KEY)).first()
    return marker is not None and marker >= district.today().toordinal()


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


def recheck_today(
    engine: Engine,
    *,
    district: District,
    holder: str,
    force: bool = False,
    settings: Settings | None = None,
    lease: timedelta = LEASE,
) -> Outcome:
    """Today's re-check on this host, unless it is done already or another host is running it.
    `force` runs it even when today's is done (an operator's command, a start-up), never beside another run.
    With the settings, face templates past their time go too (registry/faces/lifecycle.py)."""
    with unit_of_work(engine, actor="system:daily-recheck") as session:
        if not force and done_today(session, district=district):
            return Outcome(None)
        busy_until = take_lease(session, name=LEASE_NAME, holder=holder, length=lease)
    if busy_until is not None:
        return Outcome(None, busy_until=busy_until)
    try:
        with unit_of_work(engine, actor="system:daily-recheck") as session:
            if settings is not None:
                forget_biometrics_past_their_time(session, settings=settings, now=district.now())
            created = takedowns.daily_recheck(session, district=district)
            if not claim_today(session, district=district) and not force:
                raise _DoneMeanwhile
            record_act(
                session,
                table_name="takedowns",
                row_id="*",  # an act over the whole table, as a bulk statement is: no row of that id
                action="recheck",
                changes={
                    "day": district.today().isoformat(),
                    "host": holder,
                    "takedown_requests": len(created),
                    "forced": force,
                },
            )
        return Outcome(created)
    except _DoneMeanwhile:
        return Outcome(None)
    finally:
        with unit_of_work(engine, actor="system:daily-recheck") as session:
            release_lease(session, name=LEASE_NAME, holder=holder)


def run_once(
    engine: Engine, *, district: District, force: bool = False, settings: Settings | None = None
) -> list[Takedown] | None:
    """Today's re-check, unless another worker did it already or is doing it now (None then)."""
    return recheck_today(engine, district=district, holder=holder_name(), force=force, settings=settings).created


def seconds_until(at: str, *, zone: str, now: datetime | None = None) -> float:
    """Seconds from now to the next HH:MM in the district's time zone."""
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(zone))
    hour, minute = (int(part) for part in at.split(":"))
    target = datetime.combine(local.date(), time(hour, minute), tzinfo=local.tzinfo)
    if target <= local:
        target = datetime.combine(local.date() + timedelta(days=1), time(hour, minute), tzinfo=local.tzinfo)
    return (target - local).total_seconds()


class DailyRecheck(threading.Thread):
    """Runs the day's re-check at start and then every day at `at`, and again when the host that held it
    went quiet; stop() ends it at once."""

    def __init__(self, engine: Engine, *, district: District, at: str, settings: Settings | None = None) -> None:
        super().__init__(name="daily-recheck", daemon=True)
        self.engine, self.district, self.at, self.settings = engine, district, at, settings
        self.holder = holder_name()
        self._stop_event = threading.Event()

    def run(self) -> None:
        retry_at = self._run_guarded()
        while not self._stop_event.wait(self._seconds_to_next(retry_at)):
            retry_at = self._run_guarded()

    def _seconds_to_next(self, retry_at: datetime | None) -> float:
        next_day = seconds_until(self.at, zone=self.district.time_zone)
        if retry_at is None:
            return next_day
        return min(next_day, max(1.0, (retry_at - utcnow()).total_seconds() + 1))

    def _run_guarded(self) -> datetime | None:
        """One attempt; when another host holds the lease, the moment to look again (it may have died)."""
        try:
            outcome = recheck_today(self.engine, district=self.district, holder=self.holder, settings=self.settings)
        except Exception:  # a failed night must not end the thread: tomorrow tries again
            log.exception("daily re-check failed; it runs again at %s", self.at)
            return None
        if outcome.created:
            log.info("daily re-check: %d new takedown request(s)", len(outcome.created))
        return outcome.busy_until

    def stop(self) -> None:
        self._stop_event.set()

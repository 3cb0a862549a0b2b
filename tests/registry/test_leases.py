"""Leases: one host at a time does run-once work, and another takes it over once a silent holder's lease ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from registry.core.leases import release_lease, take_lease

START = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


def test_one_holder_at_a_time_and_another_once_the_lease_ends(session):
    assert take_lease(session, name="daily_recheck", holder="host-a", length=HALF_HOUR, now=START) is None
    busy = take_lease(
        session, name="daily_recheck", holder="host-b", length=HALF_HOUR, now=START + timedelta(minutes=1)
    )
    assert busy == START + HALF_HOUR
    # The holder renews its own lease; another still waits for the new end.
    later = START + timedelta(minutes=20)
    assert take_lease(session, name="daily_recheck", holder="host-a", length=HALF_HOUR, now=later) is None
    assert take_lease(session, name="daily_recheck", holder="host-b", length=HALF_HOUR, now=later) == later + HALF_HOUR
    # host-a goes silent: once its lease ends, host-b has it.
    ended = later + HALF_HOUR
    assert take_lease(session, name="daily_recheck", holder="host-b", length=HALF_HOUR, now=ended) is None
    assert take_lease(session, name="other_work", holder="host-a", length=HALF_HOUR, now=ended) is None  # apart


def test_a_late_release_does_not_take_the_lease_from_the_host_that_took_it_over(session):
    take_lease(session, name="daily_recheck", holder="host-a", length=HALF_HOUR, now=START)
    take_lease(session, name="daily_recheck", holder="host-b", length=HALF_HOUR, now=START + HALF_HOUR)
    release_lease(session, name="daily_recheck", holder="host-a")  # host-a wakes up and finishes
    now = START + HALF_HOUR + timedelta(minutes=1)
    assert take_lease(session, name="daily_recheck", holder="host-c", length=HALF_HOUR, now=now) is not None
    release_lease(session, name="daily_recheck", holder="host-b")
    assert take_lease(session, name="daily_recheck", holder="host-c", length=HALF_HOUR, now=now) is None


def test_a_lease_of_a_process_of_this_host_that_runs_no_more_is_taken_over_before_it_ends(session):
    """A host restarted in the middle of the daily re-check takes the work up again at once; a lease of another
    host's process still runs its course."""
    from registry.core.leases import holder_name

    here, pid, started, rest = holder_name().split(":", 3)
    crashed = f"{here}:{pid}:{int(started) + 1}:{rest}"  # this host, a process that is not running
    take_lease(session, name="daily_recheck", holder=crashed, length=HALF_HOUR, now=START)
    assert take_lease(session, name="daily_recheck", holder=holder_name(), length=HALF_HOUR, now=START) is None
    take_lease(session, name="other_work", holder="another-host:1:1:abcdef12", length=HALF_HOUR, now=START)
    assert (
        take_lease(session, name="other_work", holder=holder_name(), length=HALF_HOUR, now=START) == START + HALF_HOUR
    )

"""The rate limits' counts in the database: a sliding window per key, shared by every process that counts."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlmodel import Session, select

from registry.core.db import new_session
from registry.core.rate_counts import count_request, forget_old_counts
from registry.models.shared import RateCount
from tests.conftest import fresh_database

WINDOW = 60


def hit(session: Session, key: str, *, limit: int, at: float) -> float | None:
    return count_request(session, key=key, limit=limit, window=WINDOW, now=at)


def test_a_key_is_let_in_up_to_its_limit_and_then_told_how_long_to_wait(session):
    assert hit(session, "a", limit=2, at=1000) is None  # the window from 960 to 1020
    assert hit(session, "a", limit=2, at=1010) is None
    assert hit(session, "a", limit=2, at=1015) == pytest.approx(5)  # this window ends, and the last one weighs nothing
    assert hit(session, "b", limit=2, at=1015) is None  # keys are counted apart


def test_the_previous_window_weighs_by_how_much_of_it_is_still_within_the_last_minute(session):
    for at in (1000, 1010):
        assert hit(session, "a", limit=2, at=at) is None
    # At the turn of the window both requests are a few seconds old: a burst across the turn is refused.
    assert hit(session, "a", limit=2, at=1020) is not None
    # A quarter into the window, they weigh 2 × 3/4 = 1.5, read as 1: one more may come.
    assert hit(session, "a", limit=2, at=1035) is None
    wait = hit(session, "a", limit=2, at=1036)
    assert wait == pytest.approx(30 - 16)  # the old window must weigh under 1: past its half, at 1050
    assert hit(session, "a", limit=2, at=1049) is not None
    assert hit(session, "a", limit=2, at=1051) is None


def test_refused_requests_are_not_counted(session):
    for at in (1000, 1001, 1002):
        hit(session, "a", limit=1, at=at)
    counted = session.exec(select(RateCount.hits).where(RateCount.key == "a")).all()
    assert counted == [1]


def test_old_windows_are_forgotten_and_the_ones_that_still_weigh_are_kept(session):
    for n in range(50):
        hit(session, f"sprayed-{n}", limit=5, at=1000)
    hit(session, "recent", limit=5, at=1090)  # the window from 1080; 960's no longer weighs from 1080 on
    assert forget_old_counts(session, window=WINDOW, now=1150) == 50
    assert session.exec(select(RateCount.key)).all() == ["recent"]


def test_account_names_longer_than_a_key_are_still_counted_apart(session):
    stem = "sign_in:account:" + "a" * 250
    assert hit(session, stem + "1", limit=1, at=1000) is None
    assert hit(session, stem + "2", limit=1, at=1000) is None
    assert hit(session, stem + "1", limit=1, at=1001) is not None


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_requests_counted_at_the_same_moment_never_pass_the_limit_together(kind: str, tmp_path: Path):
    """Twelve processes' worth of requests at once, each in its own transaction: exactly the limit is let in."""
    with fresh_database(kind, tmp_path, prefix="registry_rate_counts") as engine:
        start = threading.Barrier(12)
        let_in: list[bool] = []

        def one_request() -> None:
            start.wait()
            with new_session(engine) as session:
                waited = count_request(session, key="client:203.0.113.7", limit=5, window=WINDOW, now=1000)
                session.commit()
            let_in.append(waited is None)

        threads = [threading.Thread(target=one_request) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(let_in) == [False] * 7 + [True] * 5
        with new_session(engine) as session:
            assert session.exec(select(RateCount.hits)).all() == [5]

"""Two password changes of one account at the same moment, on SQLite and on PostgreSQL: one wins, the other
is refused cleanly, and only the winner's new sign-in works."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from registry.accounts import security, sign_in
from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.core.db import committed, new_session, unit_of_work
from registry.core.errors import RegistryError
from registry.models.accounts import User
from registry.trust import audit_log
from tests.conftest import PASSWORD, fresh_database

NEW = ("a brand new choice 41", "another fresh phrase 87")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path, prefix="registry_password_race") as engine:
        yield engine


def _change(engine: Engine, user_id: int, new: str, both_signed_in: threading.Barrier) -> int | RegistryError:
    """One request of POST /auth/password: the sign-in lookup, its transaction ended, then the change."""
    session = new_session(engine, expire_on_commit=False)
    user = session.get(User, user_id)
    assert user is not None
    session.commit()  # as api/deps.py's end_lookup does before the endpoint runs
    both_signed_in.wait(timeout=30)
    try:
        with committed(session, actor=f"user:{user_id}"):
            accounts.change_password(
                session,
                user=user,
                current=PASSWORD,
                new=new,
                address="10.0.0.7",
                backoff=sign_in.Backoff(max_failures=5, minutes=15),
            )
    except RegistryError as exc:
        return exc
    return user.session_version  # the session number the fresh sign-in carries


def test_two_password_changes_at_once_one_wins_and_the_other_is_refused(engine: Engine):
    with unit_of_work(engine) as session:
        user = accounts.add_user(
            session,
            data=UserCreate(email="coach@district.example.org", full_name="Coach", role="employee", password=PASSWORD),
        )
        user_id, version = user.id or 0, user.session_version
    barrier = threading.Barrier(2)
    results: list[int | RegistryError | None] = [None, None]

    def run(index: int) -> None:
        results[index] = _change(engine, user_id, NEW[index], barrier)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    won = [i for i, r in enumerate(results) if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, RegistryError)]
    assert len(won) == 1 and len(refused) == 1, results
    assert refused[0].status_code == 409 and "sign in again" in refused[0].message.lower(), refused[0].message
    with new_session(engine) as session:
        stored = session.get(User, user_id)
        assert stored is not None
        assert stored.session_version == results[won[0]] == version + 1  # the loser's sign-in is not valid
        assert security.verify_password(stored.password_hash, NEW[won[0]])
        assert not security.verify_password(stored.password_hash, NEW[1 - won[0]])
        assert audit_log.verify(session).ok

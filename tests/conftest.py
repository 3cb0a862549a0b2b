"""Shared fixtures: a migrated SQLite and PostgreSQL database, each test rolled back; settings; users.

The web app and its test client are in tests/api/conftest.py, so that the engine and media tests
(tests/registry/policy, tests/media) run without importing it. Markers: a test given the parameter
"postgresql" is marked ``postgres``, tests/e2e are marked ``browser``; ``./scripts/test --fast``
deselects both, ``slow``, ``exclusive`` and ``s3`` (the tests using ``s3_server``, a SeaweedFS they start).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from registry.accounts import security
from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.core.db import make_engine, new_session
from registry.core.migrate import upgrade
from registry.core.settings import Settings
from tests.object_store import S3Server, seaweedfs
from tests.paths import FACES as FACES  # noqa: F401 - tests.paths is their home; kept here for older imports
from tests.paths import ROOT as ROOT  # noqa: F401

# Tests date forms with the machine's date.today(); the district's own day is tested where it matters
# (tests/registry/policy/test_ledger.py).
os.environ.setdefault("REGISTRY_TIME_ZONE", "UTC")
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery"
# Rate limits high enough that no test is throttled by accident; tests/api/test_rate_limits.py sets its own.
GENEROUS_LIMITS: dict[str, Any] = {
    f"rate_limit_{what}": 100_000
    for what in ("sign_in_per_client", "sign_in_per_account", "uploads_per_client", "uploads_per_account")
}
# The closer look's time limit sends an unfinished search to review (fail-closed). On a shared, busy
# test machine 60 s can run out for a photo that takes 10 s on a quiet one, and a test expecting a
# decision would get a review instead; tests of the limit itself (test_hard_faces.py) set their own.
GENEROUS_LIMITS["harder_search_seconds"] = 900.0
# Test accounts only: Argon2id at its cheapest (microseconds, not ~0.2 s a hash). The service's own
# hasher is untouched (tests/registry/test_password_hashing.py runs it in a fresh process).
CHEAP_PASSWORD_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in callspec.params.values():
            item.add_marker(pytest.mark.postgres)
        if "s3_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.s3)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3 server (SeaweedFS) for this test session; tests using it are marked ``s3``."""
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def s3_url(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """``REGISTRY_STORAGE_URL`` of a store of this test's own, its endpoint and keys in the environment."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return s3_server.fresh_url()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "PASSWORD_HASHER", CHEAP_PASSWORD_HASHER)
        yield


def _pg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def sqlalchemy_pg_url(database: str) -> str:
    base = _pg(PG_ADMIN_URL).rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{database}"


def create_pg_database(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_pg(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_pg_database(name: str) -> None:
    with psycopg.connect(_pg(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(kind: str, directory: Path, *, prefix: str) -> Iterator[Engine]:
    """A new, migrated database of ``kind`` ("sqlite" in ``directory``, or "postgresql" named after ``prefix``),
    dropped at the end: for tests whose transactions must see each other's commits."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{directory / 'registry.db'}")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    name = create_pg_database(prefix)
    engine = make_engine(sqlalchemy_pg_url(name))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        drop_pg_database(name)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path_factory.mktemp("db"), prefix="registry_test") as engine:
        yield engine


@pytest.fixture
def connection(migrated_engine: Engine) -> Iterator[Connection]:
    """One transaction per test, rolled back at the end: every test starts from an empty database."""
    with migrated_engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    with new_session(connection, expire_on_commit=False, join_transaction_mode="create_savepoint") as session:
        yield session


# The same photo sent again for the same question answers with its first clearance (registry/clearances/repeats.py):
# the API tests send one photo many times to compare decisions, so there each upload is a new check;
# tests/api/test_repeat_uploads.py and the browser tests keep the service's default.
EVERY_UPLOAD_CHECKED: dict[str, Any] = {"repeat_upload_minutes": 0}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        secret_key="test-secret-" + "x" * 32,
        **GENEROUS_LIMITS,
        **EVERY_UPLOAD_CHECKED,
    )


@pytest.fixture
def make_user(session: Session, settings: Settings) -> Callable[..., dict[str, str]]:
    """Creates an account with a role and returns the Authorization header of a fresh access token."""
    counter = iter(range(1_000_000))

    def make(role: str, *, person_id: int | None = None) -> dict[str, str]:
        n = next(counter)
        user = accounts.add_user(
            session,
            data=UserCreate(
                email=f"{role}{n}@district.example.org",
                full_name=f"{role.title()} {n}",
                role=role,
                password=PASSWORD,
                person_id=person_id,
            ),
        )
        session.commit()
        assert user.id is not None
        token, _ = security.issue_access_token(user_id=user.id, secret=settings.secret_key, minutes=5)
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def office(make_user: Callable[..., dict[str, str]]) -> dict[str, str]:
    return make_user("office_staff")


@pytest.fixture
def admin(make_user: Callable[..., dict[str, str]]) -> dict[str, str]:
    return make_user("admin")


@pytest.fixture
def employee(make_user: Callable[..., dict[str, str]]) -> dict[str, str]:
    return make_user("employee")

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import registry.tables  # noqa: F401
from registry.db import make_engine
from registry.migrate import downgrade, upgrade
from tests.conftest import create_pg_database, drop_pg_database, sqlalchemy_pg_url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    name = create_pg_database("registry_migrations")
    engine = make_engine(sqlalchemy_pg_url(name))
    yield engine
    engine.dispose()
    drop_pg_database(name)


def test_migrations_build_exactly_the_models_and_come_back_down(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], "the migrations and registry/models.py disagree"
    assert set(SQLModel.metadata.tables) <= set(inspect(empty_engine).get_table_names())

    upgrade(empty_engine)  # a second run is harmless

    downgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}

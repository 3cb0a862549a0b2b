from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    inspect,
    text,
)
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

import registry.models  # noqa: F401
from registry.core.db import make_engine, new_session
from registry.core.migrate import downgrade, upgrade
from registry.models.audit import AuditEntry
from registry.models.clearances import Clearance
from registry.models.consents import Consent
from registry.people import service as people
from registry.takedowns import service as takedowns
from tests.conftest import create_pg_database, drop_pg_database, sqlalchemy_pg_url
from tests.district import DISTRICT


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
    assert differences == [], "the migrations and the tables in registry/models/ disagree"
    assert set(SQLModel.metadata.tables) <= set(inspect(empty_engine).get_table_names())

    upgrade(empty_engine)  # a second run is harmless

    downgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}


def _insert(connection: Connection, table: Table, **values: object) -> int:
    """A row with the given values; every other required column gets a plain value of its type."""
    plain = {
        Integer: 0,
        String: "x",
        Boolean: False,
        Date: date(2026, 9, 1),
        DateTime: datetime(2026, 9, 1, 12),
        JSON: [],
        Float: 0.0,
        LargeBinary: b"",
    }
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        values[column.name] = next(v for t, v in plain.items() if isinstance(column.type, t))
    key = connection.execute(table.insert().values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def test_the_consent_ledger_migration_carries_records_over_to_the_new_reading(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0005")
    tables = MetaData()
    tables.reflect(empty_engine)
    with empty_engine.begin() as connection:
        office = _insert(connection, tables.tables["users"], email="office@example.org", role="office_staff")
        maya = _insert(connection, tables.tables["people"], external_id="S-1", kind="student", name="Maya Lopez")
        consents = tables.tables["consents"]
        grant = _insert(
            connection,
            consents,
            person_id=maya,
            kind="image_release",
            status="granted",
            scopes=["personal_social_media", "district_website"],
            signer_relationship="parent",
            signed_on=date(2026, 9, 1),
            valid_from=date(2026, 9, 1),
            valid_until=date(2027, 6, 30),
            entered_by_id=office,
        )
        refusal = _insert(
            connection,
            consents,
            person_id=maya,
            kind="image_release",
            status="refused",
            scopes=["district_website"],
            signer_relationship="parent",
            signed_on=date(2026, 10, 1),
            valid_from=date(2026, 10, 1),
            valid_until=date(2027, 6, 30),
            entered_by_id=office,
        )
        event = _insert(
            connection,
            tables.tables["events"],
            name="Class visit",
            kind="classroom",
            public=False,
            starts_at=datetime(2026, 11, 1, 9),
            ends_at=datetime(2026, 11, 1, 11),
            created_by_id=office,
        )
        posted = _insert(
            connection,
            tables.tables["clearances"],
            uploader_id=office,
            event_id=event,
            context_kind="classroom",
            context_public=False,
            destination="personal_social_media",
            decision="allowed",
            tags=[],
            reasons=[],
            review_reasons=[],
            taken_at=None,
        )
        _insert(
            connection,
            tables.tables["clearance_faces"],
            clearance_id=posted,
            index=0,
            band="identified",
            person_id=maya,
            verdict="allowed",
            candidates=[],
        )
        _insert(connection, tables.tables["clearance_consents"], clearance_id=posted, consent_id=grant)

    upgrade(empty_engine)
    with new_session(empty_engine) as session:
        [logged] = session.exec(select(AuditEntry).where(AuditEntry.table_name == "consents")).all()
        assert logged.row_id == str(refusal) and logged.actor.startswith("migration:0006")  # recorded, with why
        assert logged.changes["after"] == {"valid_from": "2026-10-01", "valid_until": None}
        old_refusal = session.get(Consent, refusal)
        assert old_refusal is not None and old_refusal.valid_until is None  # a refusal never runs out
        clearance = session.get(Clearance, posted)
        assert clearance is not None and clearance.context_check == "no_camera_time"
        session.info["actor"] = "system:daily-recheck"
        [takedown] = takedowns.daily_recheck(session, district=DISTRICT, at=datetime(2026, 11, 2, 12, tzinfo=UTC))
        assert takedown.clearance_id == posted and takedown.consent_id == refusal  # the newer form decides
        session.commit()
        audited = session.exec(select(AuditEntry).where(AuditEntry.table_name == "takedowns")).all()
        assert [entry.row_id for entry in audited] == [str(takedown.id)]

    downgrade(empty_engine, "0005")
    with empty_engine.connect() as connection:
        ends = connection.execute(text(f"SELECT valid_until FROM consents WHERE id = {refusal}")).scalar_one()
        assert str(ends) == "2027-06-30"
        assert connection.execute(text("SELECT count(*) FROM takedowns")).scalar_one() == 1


def test_people_recorded_before_the_search_key_are_found_by_a_guardians_name(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0009")
    tables = MetaData()
    tables.reflect(empty_engine)
    with empty_engine.begin() as connection:
        liam = _insert(connection, tables.tables["people"], external_id="S-7", kind="student", name="Liam O'Brien")
        _insert(connection, tables.tables["guardians"], student_id=liam, name="José Álvarez", relationship="parent")
        _insert(connection, tables.tables["people"], external_id="E-1", kind="employee", name="Coach Rivera")

    upgrade(empty_engine)
    with new_session(empty_engine) as session:
        assert [p.name for p in people.list_people(session, query="jose alvarez")[0]] == ["Liam O'Brien"]
        assert [p.name for p in people.list_people(session, query="OBRIEN s7")[0]] == ["Liam O'Brien"]
        assert [p.name for p in people.list_people(session, query="rivera")[0]] == ["Coach Rivera"]

"""Backups taken while people keep writing, restored into a fresh registry whose audit chain verifies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.consents.schemas import ConsentCreate
from registry.consents.service import attach_evidence, record_consent
from registry.core.db import make_engine, unit_of_work
from registry.core.migrate import upgrade
from registry.core.settings import Settings, get_settings
from registry.core.storage import storage_for
from registry.models.people import Person
from registry.people.schemas import PersonCreate
from registry.people.service import add_person
from registry.trust import audit_log
from registry.trust.backup import BackupError, make_backup
from registry.trust.restore import restore_backup
from tests.conftest import PASSWORD, create_pg_database, drop_pg_database, sqlalchemy_pg_url
from tests.district import DISTRICT
from tests.scan_helpers import signed_form_pdf

PDF = signed_form_pdf()
WRITES_PER_THREAD = 15


@pytest.fixture(params=["sqlite", "postgresql"])
def registries(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Settings, Settings]]:
    """A registry in use and an empty one to restore into, on the same kind of database."""
    made = []

    def settings(name: str) -> Settings:
        extra = {}
        if request.param == "postgresql":
            made.append(create_pg_database(f"registry_backup_{name}"))
            extra["DATABASE_URL"] = sqlalchemy_pg_url(made[-1])
        return Settings(environment="test", data_dir=tmp_path / name, secret_key="test-secret-" + "x" * 32, **extra)  # type: ignore[arg-type]

    yield settings("live"), settings("fresh")
    for name in made:
        drop_pg_database(name)


def _seed(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    with unit_of_work(engine, actor="test:seed") as session:
        office = accounts.add_user(
            session,
            data=UserCreate(
                email="office@district.example.org", full_name="Office", role="office_staff", password=PASSWORD
            ),
        )
        person = add_person(session, data=PersonCreate(external_id="S-1", kind="student", name="Maya Lopez"))
        consent = record_consent(
            session,
            data=ConsentCreate(
                person_id=person.id or 0,
                kind="image_release",
                status="granted",
                scopes=["personal_social_media"],
                signer_name="Ana Lopez",
                signer_relationship="parent",
                signed_on=date(2026, 9, 2),
            ),
            entered_by_id=office.id or 0,
            district=DISTRICT,
        )
        attach_evidence(
            session,
            consent=consent,
            data=PDF,
            filename="form.pdf",
            store=storage_for(settings),
            max_bytes=1024 * 1024,
            max_decode_bytes=settings.max_decode_bytes,
            uploaded_by_id=office.id or 0,
        )
    engine.dispose()


def _keep_writing(settings: Settings, thread: int) -> None:
    engine = make_engine(settings.sqlalchemy_url)
    for n in range(WRITES_PER_THREAD):
        with unit_of_work(engine, actor=f"test:writer-{thread}") as session:
            add_person(session, data=PersonCreate(external_id=f"W-{thread}-{n}", kind="employee", name=f"W {n}"))
    engine.dispose()


def test_a_backup_taken_during_writes_restores_into_a_fresh_registry_with_a_verified_chain(registries, tmp_path):
    live, fresh = registries
    _seed(live)
    writers = [threading.Thread(target=_keep_writing, args=(live, t)) for t in range(2)]
    for writer in writers:
        writer.start()
    manifest = make_backup(live, tmp_path / "backup.tar")
    for writer in writers:
        writer.join()

    restore_backup(fresh, tmp_path / "backup.tar")
    engine = make_engine(fresh.sqlalchemy_url)
    upgrade(engine)
    head = manifest["audit_head"]
    with unit_of_work(engine) as session:
        result = audit_log.verify(session, expected_head_id=head["last_id"], expected_head_hash=head["hash"])
        people = session.exec(select(func.count()).select_from(Person)).one()
    engine.dispose()
    assert result.ok, result.problem
    assert result.head.last_id == head["last_id"]  # the database and its manifest are the same moment
    assert 1 <= people <= 1 + 2 * WRITES_PER_THREAD
    assert (fresh.evidence_dir / __import__("hashlib").sha256(PDF).hexdigest()).read_bytes() == PDF

    live_engine = make_engine(live.sqlalchemy_url)  # concurrent writers were chained in commit order
    with unit_of_work(live_engine) as session:
        assert audit_log.verify(session).ok
        assert session.exec(select(func.count()).select_from(Person)).one() == 1 + 2 * WRITES_PER_THREAD
    live_engine.dispose()

    with pytest.raises(BackupError, match="not empty"):
        restore_backup(fresh, tmp_path / "backup.tar")
    restore_backup(fresh, tmp_path / "backup.tar", force=True)


def test_the_commands_verify_export_the_head_back_up_and_refuse_to_overwrite(tmp_path, monkeypatch):
    from scripts.cli import app

    live = tmp_path / "live"
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(live))
    monkeypatch.setenv("REGISTRY_SECRET_KEY", "test-secret-" + "x" * 32)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        _seed(get_settings())
        assert runner.invoke(app, ["audit-verify"]).exit_code == 0
        head = runner.invoke(app, ["audit-head"])
        assert head.exit_code == 0 and '"last_id":' in head.output
        backed_up = runner.invoke(app, ["backup", str(tmp_path / "b.tar")])
        assert backed_up.exit_code == 0, backed_up.output
        refused = runner.invoke(app, ["restore", str(tmp_path / "b.tar")])  # onto the live registry
        assert refused.exit_code == 2 and "not empty" in refused.output

        engine = make_engine(get_settings().sqlalchemy_url)
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE audit_entries SET actor = 'user:999' WHERE id = 2")
        engine.dispose()
        broken = runner.invoke(app, ["audit-verify"])
        assert broken.exit_code == 1 and "entry 2" in broken.output

        monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "fresh"))
        get_settings.cache_clear()
        restored = runner.invoke(app, ["restore", str(tmp_path / "b.tar")])
        assert restored.exit_code == 0, restored.output
        assert "Audit log verified" in restored.output
    finally:
        get_settings.cache_clear()


def test_a_backup_carries_the_buckets_photos_and_scans_and_restores_them_into_another(tmp_path, s3_server, s3_url):
    def registry(name: str, url: str) -> Settings:
        return Settings(
            environment="test", data_dir=tmp_path / name, storage_url=url, secret_key="test-secret-" + "x" * 32
        )

    live, fresh = registry("live", s3_url), registry("fresh", s3_server.fresh_url())
    _seed(live)
    storage_for(live).put("uploads/0123abcd", b"\xff\xd8\xff a kept photo")
    manifest = make_backup(live, tmp_path / "backup.tar")
    assert manifest["files"] == {"evidence": 1, "uploads": 1}
    assert not (live.data_dir / "evidence").exists()  # the scan was only ever in the bucket

    storage_for(fresh).put("uploads/stray", b"not from the backup")
    with pytest.raises(BackupError, match="holds uploads"):
        restore_backup(fresh, tmp_path / "backup.tar")
    restore_backup(fresh, tmp_path / "backup.tar", force=True)
    store = storage_for(fresh)
    assert list(store.keys("uploads/")) == ["uploads/0123abcd"]  # the stray object went with --force
    assert store.get("uploads/0123abcd") == b"\xff\xd8\xff a kept photo"
    assert store.get(f"evidence/{__import__('hashlib').sha256(PDF).hexdigest()}") == PDF
    assert not (fresh.data_dir / "uploads").exists() and not (fresh.data_dir / "evidence").exists()

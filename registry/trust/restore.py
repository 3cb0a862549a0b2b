"""Putting a backup (registry/trust/backup.py) back: into an empty registry, or over one with force."""

from __future__ import annotations

import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import psycopg

from registry.core.settings import Settings
from registry.core.storage import storage_for
from registry.trust.backup import FOLDERS, BackupError, Database, read_manifest

_DUMPS = ("database.sqlite", "database.pgdump")


def what_is_there(settings: Settings, db: Database) -> list[str]:
    """Why the target is not empty (nothing: safe to restore into)."""
    found = []
    if db.kind == "sqlite":
        assert db.sqlite_path is not None
        if db.sqlite_path.exists() and db.sqlite_path.stat().st_size:
            with sqlite3.connect(db.sqlite_path) as connection:
                tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
            if tables and tables[0]:
                found.append(f"the database {db.sqlite_path} has {tables[0]} table(s)")
    else:
        with psycopg.connect(db.libpq_url, password=db.password) as connection:
            row = connection.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
        if row and row[0]:
            found.append(f"the PostgreSQL database has {row[0]} table(s)")
    store = storage_for(settings)
    for folder in FOLDERS:
        if next(iter(store.keys(f"{folder}/")), None) is not None:
            found.append(f"{store.url} holds {folder}")
    return found


def _members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Only what a backup holds: no links, no paths outside the folders, nothing else."""
    members = []
    for member in archive.getmembers():
        parts = member.name.split("/")
        expected = (len(parts) == 1 and member.name in (*_DUMPS, "manifest.json")) or (
            len(parts) == 2 and parts[0] in FOLDERS and parts[1] not in ("", ".", "..")
        )
        if not member.isfile() or not expected:
            raise BackupError(f"The backup holds an unexpected entry {member.name!r}; it was not made by this tool.")
        members.append(member)
    return members


def _restore_sqlite(db: Database, dump: Path) -> None:
    assert db.sqlite_path is not None
    db.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db.sqlite_path}{suffix}").unlink(missing_ok=True)
    source, target = sqlite3.connect(dump), sqlite3.connect(db.sqlite_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _restore_postgresql(db: Database, dump: Path, *, wipe: bool) -> None:
    if wipe:
        with psycopg.connect(db.libpq_url, password=db.password, autocommit=True) as connection:
            connection.execute("DROP SCHEMA public CASCADE")
            connection.execute("CREATE SCHEMA public")
    done = subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "-d",
            db.libpq_url,
            str(dump),
        ],
        env=db.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


def restore_backup(settings: Settings, path: Path, *, force: bool = False) -> dict[str, Any]:
    """Restores the database and the files; returns the manifest (its audit head is the one to verify)."""
    manifest = read_manifest(path)
    db = Database.of(settings)
    if manifest.get("database") != db.kind:
        raise BackupError(
            f"This is a backup of a {manifest.get('database')} database, but this registry is "
            f"set up for {db.kind}. Set DATABASE_URL to match the backup."
        )
    there = what_is_there(settings, db)
    if there and not force:
        raise BackupError(
            "The target is not empty (" + "; ".join(there) + "). Restore into an empty registry, "
            "or pass --force to replace everything in it with the backup."
        )
    with tempfile.TemporaryDirectory(prefix="registry-restore-") as work, tarfile.open(path) as archive:
        archive.extractall(work, members=_members(archive), filter="data")
        if db.kind == "sqlite":
            _restore_sqlite(db, Path(work) / "database.sqlite")
        else:
            _restore_postgresql(db, Path(work) / "database.pgdump", wipe=bool(there))
        _restore_objects(settings, Path(work))
    return manifest


def _restore_objects(settings: Settings, work: Path) -> None:
    """Every object of the backup into the store; then what the store held that the backup has not goes."""
    store = storage_for(settings)
    for folder in FOLDERS:
        source = work / folder
        restored = set()
        for path in sorted(source.iterdir()) if source.is_dir() else []:
            key = f"{folder}/{path.name}"
            store.put_file(key, path)
            restored.add(key)
        for key in list(store.keys(f"{folder}/")):
            if key not in restored:
                store.delete(key)

"""Backups taken while the service runs, and restoring one into an empty registry.

A backup is one tar file:
  manifest.json      format, when, which database kind, the audit head inside the snapshot, the files
  database.sqlite    SQLite: the online backup API's consistent copy      } one or the other
  database.pgdump    PostgreSQL: `pg_dump -Fc` of an exported snapshot    }
  evidence/, uploads/  the store's scanned forms and kept photos (the data folder, or a bucket)

The database is copied first, then the objects: an upload committed after the snapshot is carried as an
unreferenced file (swept at the next start); one deleted in between (a purge) is left out. Each object is
copied through a temporary file, so a bucket's photos never need to fit in memory.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from registry.core.settings import Settings
from registry.core.storage import NotStored, storage_for
from registry.models.audit import GENESIS_HASH
from registry.models.base import utcnow

FORMAT = "consent-registry-backup/1"
FOLDERS = ("evidence", "uploads")
_HEAD_SQL = "SELECT id, hash FROM audit_entries ORDER BY id DESC LIMIT 1"


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class Database:
    kind: str  # sqlite or postgresql
    sqlite_path: Path | None = None
    libpq_url: str = ""
    password: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> Database:
        url = make_url(settings.sqlalchemy_url)
        if url.get_backend_name() == "sqlite":
            return cls("sqlite", sqlite_path=Path(url.database or ""))
        plain = url.set(drivername="postgresql", password=None)
        return cls("postgresql", libpq_url=plain.render_as_string(hide_password=False), password=url.password)

    def env(self) -> dict[str, str]:
        return {**os.environ, **({"PGPASSWORD": self.password} if self.password else {})}


def _head(rows: list[Any]) -> dict[str, Any]:
    return {"last_id": int(rows[0][0]), "hash": str(rows[0][1])} if rows else {"last_id": 0, "hash": GENESIS_HASH}


def _snapshot_sqlite(db: Database, target: Path) -> dict[str, Any]:
    assert db.sqlite_path is not None
    if not db.sqlite_path.exists():
        raise BackupError(f"There is no database at {db.sqlite_path}.")
    source = sqlite3.connect(db.sqlite_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # one step: a consistent copy even while writers go on (WAL)
        return _head(copy.execute(_HEAD_SQL).fetchall())
    finally:
        copy.close()
        source.close()


def _snapshot_postgresql(db: Database, target: Path) -> dict[str, Any]:
    """pg_dump of a snapshot exported by a transaction that also reads the audit head: the two agree."""
    with psycopg.connect(db.libpq_url, password=db.password, autocommit=True) as connection:
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")  # one snapshot for all below
        snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()
        head = _head(connection.execute(_HEAD_SQL).fetchall())
        done = subprocess.run(
            [
                "pg_dump",
                "-Fc",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot[0] if snapshot else ''}",
                "-f",
                str(target),
                "-d",
                db.libpq_url,
            ],
            env=db.env(),
            capture_output=True,
            text=True,
            check=False,
        )
        connection.execute("COMMIT")
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return head


def make_backup(settings: Settings, path: Path) -> dict[str, Any]:
    """Writes the backup to `path` (atomically: a `.partial` file renamed at the end) and returns its manifest."""
    db = Database.of(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="registry-backup-") as work:
        dump = Path(work) / ("database.sqlite" if db.kind == "sqlite" else "database.pgdump")
        head = _snapshot_sqlite(db, dump) if db.kind == "sqlite" else _snapshot_postgresql(db, dump)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": utcnow().isoformat(),
            "database": db.kind,
            "audit_head": head,
            "files": {},
        }
        try:
            with tarfile.open(partial, "w") as archive:
                archive.add(dump, arcname=dump.name)
                manifest["files"] = _add_objects(archive, settings, Path(work) / "object")
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size = len(data)
                with tempfile.TemporaryFile() as handle:
                    handle.write(data)
                    handle.seek(0)
                    archive.addfile(info, handle)
        except BaseException:
            partial.unlink(missing_ok=True)  # a backup cut off (the store out of reach) is no backup
            raise
    os.replace(partial, path)
    return manifest


def _add_objects(archive: tarfile.TarFile, settings: Settings, copy: Path) -> dict[str, int]:
    """The store's scans and kept photos, each through the temporary file ``copy``; how many of each."""
    store = storage_for(settings)
    counts = {}
    for folder in FOLDERS:
        kept = 0
        for key in list(store.keys(f"{folder}/")):
            if "/" in key[len(folder) + 1 :]:
                continue  # not one of the service's objects
            try:
                store.get_file(key, copy)
            except NotStored:  # deleted after the listing (retention, purge)
                continue
            archive.add(copy, arcname=key)
            kept += 1
        counts[folder] = kept
    return counts


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path) as archive:
            member = archive.extractfile("manifest.json")
            manifest: dict[str, Any] = json.loads(member.read()) if member else {}
    except (OSError, KeyError, tarfile.TarError, ValueError) as exc:
        raise BackupError(f"{path} is not a Consent Registry backup: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Consent Registry backup (format {manifest.get('format')!r}).")
    return manifest

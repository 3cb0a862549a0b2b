"""Files and transactions kept in step, whatever moment the process dies at.

The order of writes makes a crash leave at worst an unreferenced file, never a record pointing at
nothing: a new file is written before its row commits; an old file is deleted only after the row
that stops referring to it commits. `sweep_orphans` (run at service start, before any request) removes
what a crash between the two left behind.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Column
from sqlalchemy.orm import Session
from sqlmodel import Session as ModelSession
from sqlmodel import SQLModel, select

from registry.core.settings import Settings
from registry.models.consents import ConsentEvidence

CRASH_VARIABLE = "REGISTRY_CRASH_AT"
_FILES_TO_DELETE = "files_to_delete_after_commit"
log = logging.getLogger(__name__)


def crash_here_if_testing(point: str) -> None:
    """Ends the process on the spot when REGISTRY_CRASH_AT names this point: the crash tests' hook.

    os._exit skips every cleanup (no rollback, no finally, no buffered writes), like a power cut.
    """
    if os.environ.get(CRASH_VARIABLE) == point:
        os._exit(70)


def delete_after_commit(session: Session, paths: Iterable[Path]) -> None:
    """The files go once this session's transaction commits; if it rolls back they stay, still referenced."""
    session.info.setdefault(_FILES_TO_DELETE, []).extend(paths)


def delete_files(session: Session) -> None:
    """After a commit: the files that the committed rows stopped referring to go (see registry/core/db.py)."""
    paths = session.info.pop(_FILES_TO_DELETE, [])
    if paths:
        crash_here_if_testing("before-deleting-files")
    for path in paths:
        path.unlink(missing_ok=True)


def keep_files(session: Session) -> None:
    """After a rollback: the files stay, still referenced."""
    session.info.pop(_FILES_TO_DELETE, None)


def upload_columns() -> list[Column[Any]]:
    """Every `photo_file` column: clearances, and any other table holding a file in the uploads folder
    (album items waiting for their turn)."""
    import registry.models  # noqa: F401  (late: the table modules import this one)

    return [table.c.photo_file for table in SQLModel.metadata.tables.values() if "photo_file" in table.c]


def referenced_uploads(session: ModelSession) -> set[str]:
    names: set[str] = set()
    for column in upload_columns():
        names.update(session.execute(select(column).where(column.is_not(None))).scalars())
    return names


def sweep_orphans(session: ModelSession, settings: Settings, *, older_than_seconds: float = 0) -> list[Path]:
    """Removes uploads no clearance names, scans no evidence names, half-written `.partial` files, and the
    reference photos of enrolment previews nobody saved or cancelled.

    At service start nothing is in flight, so everything unreferenced goes. While the service runs
    (the daily retention job), pass `older_than_seconds` so an upload whose transaction has not
    committed yet is left alone.
    """
    uploads = referenced_uploads(session)
    scans = set(session.exec(select(ConsentEvidence.sha256)))
    cutoff = time.time() - older_than_seconds
    removed = []
    previews: set[str] = set()  # an enrolment preview is never referenced: it is only waiting for a decision
    for directory, referenced in (
        (settings.uploads_dir, uploads),
        (settings.evidence_dir, scans),
        (settings.enrol_previews_dir, previews),
    ):
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            if path.is_file() and path.name not in referenced and path.stat().st_mtime <= cutoff:
                path.unlink(missing_ok=True)
                removed.append(path)
    if removed:
        log.warning("Removed %d file(s) left behind by an interrupted write.", len(removed))
    return removed

"""Stored objects and transactions kept in step, whatever moment the process dies at.

The order of writes makes a crash leave at worst an unreferenced object, never a record pointing at
nothing: a new object is written to the store before its row commits; an old one is deleted only after
the row that stops referring to it commits. `sweep_orphans` (run at service start, before any request)
removes what a crash between the two left behind, listing the store's keys (registry/core/storage.py).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column
from sqlalchemy.orm import Session
from sqlmodel import Session as ModelSession
from sqlmodel import SQLModel, select

from registry.core.settings import Settings
from registry.core.storage import FileStorage, Storage, StorageError, storage_for
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


def delete_after_commit(session: Session, store: Storage, keys: Iterable[str]) -> None:
    """The objects go once this session's transaction commits; if it rolls back they stay, still referenced."""
    session.info.setdefault(_FILES_TO_DELETE, []).extend((store, key) for key in keys)


def delete_files(session: Session) -> None:
    """After a commit: the objects that the committed rows stopped referring to go (see registry/core/db.py)."""
    doomed = session.info.pop(_FILES_TO_DELETE, [])
    if doomed:
        crash_here_if_testing("before-deleting-files")
    for store, key in doomed:
        try:
            store.delete(key)
        except StorageError as exc:  # committed already: the next sweep takes what is left
            log.warning("%s was not deleted (%s); the next sweep of unreferenced files will.", key, exc)


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


# A bucket is shared by every host of the service: when one host starts, another may be between writing an
# upload and committing its row, or a worker may be reading a photo put under ``analysis/``.
SHARED_STORE_GRACE_SECONDS = 3600


def sweep_at_start(session: ModelSession, settings: Settings) -> list[str]:
    """What a service sweeps as it starts: everything unreferenced in its own data folder (nothing of its own is
    in flight yet); in a bucket shared with other hosts, only what is older than ``SHARED_STORE_GRACE_SECONDS``."""
    shared = not isinstance(storage_for(settings), FileStorage)
    return sweep_orphans(session, settings, older_than_seconds=SHARED_STORE_GRACE_SECONDS if shared else 0)


def sweep_orphans(session: ModelSession, settings: Settings, *, older_than_seconds: float = 0) -> list[str]:
    """Removes uploads no clearance names, scans no evidence names, half-written `.partial` files, and the
    reference photos of enrolment previews nobody saved or cancelled; returns their keys.

    At service start nothing is in flight, so everything unreferenced goes. While the service runs
    (the daily retention job), pass `older_than_seconds` so an upload whose transaction has not
    committed yet is left alone.
    """
    store = storage_for(settings)
    uploads = referenced_uploads(session)
    scans = set(session.exec(select(ConsentEvidence.sha256)))
    cutoff = time.time() - older_than_seconds
    removed = []
    previews: set[str] = set()  # an enrolment preview is never referenced: it is only waiting for a decision
    for prefix, referenced in (("uploads/", uploads), ("evidence/", scans), ("enrol-previews/", previews)):
        for entry in list(store.entries(prefix)):
            name = entry.key[len(prefix) :]
            if "/" not in name and name not in referenced and entry.modified <= cutoff:
                store.delete(entry.key)
                removed.append(entry.key)
        if isinstance(store, FileStorage):  # a rename that never happened (an object store has none)
            for path in store.partial_files(prefix, older_than=cutoff):
                path.unlink(missing_ok=True)
                removed.append(path.relative_to(store.root).as_posix())
    # a photo handed to the face-reading workers (registry/analysis) is never referenced: its service deletes it
    # once read, so one left behind is from a service stopped mid-wait; a worker may still be reading a young one
    exchanged = time.time() - max(older_than_seconds, SHARED_STORE_GRACE_SECONDS)
    for entry in list(store.entries("analysis/")):
        if entry.modified <= exchanged:
            store.delete(entry.key)
            removed.append(entry.key)
    if removed:
        log.warning("Removed %d file(s) left behind by an interrupted write.", len(removed))
    return removed

"""Works through queued album photos: the pool analyses, this process matches, decides and records.

One runner per service process (and one in a `clear` command). Items are claimed one UPDATE at a
time (`WHERE status = 'queued'`), so runners in several workers or on several hosts never take
the same photo. At most ``pool.processes + 1`` photos are in flight, read from disk as they are
submitted: memory stays flat however large the album.

A photo whose runner stopped (restart, crash, Ctrl-C) stays 'running' until ``recover_abandoned``
hands it back to the queue: at start-up and every minute, for claims made by a process that is
gone from this host, or older than ``STALE_AFTER`` from anywhere. After ``MAX_ATTEMPTS`` it fails
with a reason instead, so a photo that kills its worker every time cannot loop for ever.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, wait
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from media.analysis import AnalysisSettings, PhotoAnalysis
from media.images import ImageRejected
from registry.albums.claims import Claimed, claim_items, release_item, stale_claims
from registry.albums.service import finish_if_done
from registry.clearances.check import Clearing, PhotoCheck
from registry.clearances.service import (
    record_or_search_again,
)
from registry.core.db import new_session, unit_of_work
from registry.core.errors import RegistryError
from registry.core.files import delete_after_commit
from registry.core.settings import Settings
from registry.core.storage import NotStored, storage_for
from registry.faces.analysis_pool import AnalysisPool, EngineStopped, analysis_settings
from registry.faces.templates import TemplateCache
from registry.models.accounts import User
from registry.models.albums import AlbumItem, AlbumJob
from registry.models.base import utcnow
from registry.models.clearances import Clearance
from registry.policy import PolicyPack

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
STALE_AFTER = timedelta(minutes=30)
RECOVER_EVERY_SECONDS = 60.0


class AlbumRunner:
    def __init__(
        self,
        engine: Engine,
        *,
        settings: Settings,
        pack: PolicyPack,
        templates: TemplateCache,
        pool: AnalysisPool,
        poll_seconds: float = 1.0,
        only_job: int | None = None,
    ) -> None:
        self.engine, self.settings, self.pool = engine, settings, pool
        # The pool reads the faces here (``_submit``); the clearing records them.
        self.clearing = Clearing(settings=settings, pack=pack, templates=templates)
        self.poll_seconds, self.only_job = poll_seconds, only_job
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._in_flight: dict[Future[PhotoAnalysis], Claimed] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_recovery = 0.0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="album-runner", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stops claiming; photos still in the pool are recorded if they finish within ``timeout``."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_pass()
            except Exception:  # noqa: BLE001 - the database may be away for a moment; never die for it
                log.exception("album runner pass failed; retrying")
                time.sleep(self.poll_seconds)
        deadline = time.monotonic() + 10
        while self._in_flight and time.monotonic() < deadline:
            self._collect(timeout=0.5)

    def run_pass(self) -> int:
        """Recover (now and then), top up the pool, record what finished; returns photos in flight."""
        if time.monotonic() - self._last_recovery > RECOVER_EVERY_SECONDS:
            self._last_recovery = time.monotonic()
            self.recover_abandoned()
        free = self.pool.processes + 1 - len(self._in_flight)
        if free > 0 and not self._stop.is_set():
            for claimed in claim_items(self.engine, limit=free, runner=self.identity, job_id=self.only_job):
                self._submit(claimed)
        if self._in_flight:
            self._collect(timeout=self.poll_seconds)
        else:
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
        return len(self._in_flight)

    def _submit(self, claimed: Claimed, how: AnalysisSettings | None = None) -> None:
        try:  # a store out of reach raises StorageError: the item stays claimed and is taken up again later
            photo = storage_for(self.settings).get(f"uploads/{claimed.photo_file}") if claimed.photo_file else None
        except NotStored:
            photo = None
        if photo is None:
            self._fail(
                claimed,
                "The uploaded file is no longer on the server (removed before it was checked); upload the photo again.",
            )
            return
        self._in_flight[self.pool.submit(photo, how or analysis_settings(self.settings))] = claimed

    def _collect(self, *, timeout: float) -> None:
        done, _ = wait(list(self._in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            claimed = self._in_flight.pop(future)
            try:
                analysis = self.pool.result(future)
            except EngineStopped as exc:
                if claimed.attempts < MAX_ATTEMPTS:
                    release_item(self.engine, claimed.item_id, runner=self.identity)
                else:
                    self._fail(claimed, exc.message)
                continue
            except ImageRejected as exc:
                self._fail(claimed, exc.message)
                continue
            except Exception as exc:  # noqa: BLE001 - one photo's surprise must not stop the album
                log.exception("album item %s could not be analysed", claimed.item_id)
                self._fail(claimed, f"This photo could not be checked ({type(exc).__name__}).")
                continue
            self._record(claimed, analysis)

    def _record(self, claimed: Claimed, analysis: PhotoAnalysis) -> None:
        """Records the photo's clearance, or sends it back to the pool for the closer look."""
        search_again = record_item(self.engine, claimed, analysis, using=self.clearing, runner=self.identity)
        if search_again is not None:
            self._submit(claimed, search_again)

    def _fail(self, claimed: Claimed, message: str) -> None:
        fail_claimed(self.engine, claimed, message, runner=self.identity, settings=self.settings)

    def recover_abandoned(self) -> int:
        """Requeues (or fails, after MAX_ATTEMPTS) photos claimed by runners that are gone."""
        with unit_of_work(self.engine, actor="system:albums") as session:
            items = stale_claims(session, runner=self.identity, older_than=utcnow() - STALE_AFTER)
            for item in items:
                if item.attempts >= MAX_ATTEMPTS:
                    fail_item(
                        session,
                        item,
                        f"Checking this photo was interrupted {item.attempts} times; upload it again.",
                        uploads=self.settings,
                    )
                else:
                    session.exec(
                        update(AlbumItem)
                        .where(
                            col(AlbumItem.id) == item.id,
                            col(AlbumItem.claimed_by) == item.claimed_by,
                        )
                        .values(status="queued", claimed_by=None, claimed_at=None)
                    )
            for job_id in {i.job_id for i in items}:
                finish_if_done(session, job_id)
            return len(items)


def record_item(
    engine: Engine, claimed: Claimed, analysis: PhotoAnalysis, *, using: Clearing, runner: str
) -> AnalysisSettings | None:
    """Records the photo's clearance once (nothing, if another runner holds the photo now); or, nothing
    recorded, how to read it again for the closer look (whose result says it searched harder, so it is
    recorded). The album runner and the queue's workers (registry/analysis/worker.py) both record here."""
    with new_session(engine, expire_on_commit=False) as peek:
        job = peek.get(AlbumJob, claimed.job_id)
        actor = f"user:{job.uploader_id}" if job else "system:albums"
    search_again: AnalysisSettings | None = None
    with unit_of_work(engine, actor=actor) as session:
        item = _still_mine(session, claimed.item_id, runner)
        job = session.get(AlbumJob, claimed.job_id)
        uploader = session.get(User, job.uploader_id) if job else None
        if item is None or job is None or uploader is None:
            return None
        check = PhotoCheck.asked_again(job, uploader=uploader, file_name=item.name)
        try:
            with session.begin_nested():  # a refused photo leaves nothing behind but its outcome
                outcome = record_or_search_again(session, check, analysis, using=using, photo_file=item.photo_file)
        except RegistryError as exc:
            item.status, item.error = "failed", exc.message[:500]
        else:
            if isinstance(outcome, Clearance):
                # The clearance owns the file from now on (retention and purges follow clearances).
                item.status, item.clearance_id, item.decision = "done", outcome.id, outcome.decision
                item.photo_file = None
            else:
                search_again = outcome
        if search_again is None:
            item.claimed_by = None
            session.add(item)
            session.flush()
            finish_if_done(session, claimed.job_id)
    return search_again


def fail_claimed(engine: Engine, claimed: Claimed, message: str, *, runner: str, settings: Settings) -> None:
    """The photo could not be checked (unless another runner holds it now): its item says why."""
    with unit_of_work(engine, actor="system:albums") as session:
        item = _still_mine(session, claimed.item_id, runner)
        if item is None:
            return
        fail_item(session, item, message, uploads=settings)
        finish_if_done(session, claimed.job_id)


def fail_item(session: Session, item: AlbumItem, message: str, *, uploads: Settings) -> None:
    """A failed photo's file is removed once this commits: no clearance refers to it and it may hold faces."""
    if item.photo_file:
        delete_after_commit(session, storage_for(uploads), [f"uploads/{item.photo_file}"])
    item.status, item.error, item.photo_file, item.claimed_by = "failed", message[:500], None, None
    session.add(item)
    session.flush()


def _still_mine(session: Session, item_id: int, runner: str) -> AlbumItem | None:
    """The item, unless another runner took it over meanwhile (then its result is theirs to record). Locked
    until the commit (on PostgreSQL): of two runners holding the same claim, the second finds it recorded."""
    return session.exec(
        select(AlbumItem)
        .where(AlbumItem.id == item_id, AlbumItem.status == "running", AlbumItem.claimed_by == runner)
        .with_for_update()
    ).first()

"""``registry worker``: a face-engine process on any host, taking photos from the queue one at a time.

It loads the face models once, then runs jobs: an album photo (``clear_album_item``: read it from the store,
find its faces, search more closely when a missed face could change an "allowed", and record its clearance,
as the album runner does) or a photo someone waits for (``analyse_stored``: its faces only, handed back
through the store). Every few seconds it also looks after the queue: jobs of a worker whose heartbeat
stopped (killed, its host cut off) are taken up again, album photos with no job get one, and a photo held
under a job that is over goes back to the queue.

Recorded once: a photo is claimed under its job's name (``job:<id>``), which a job taken up again keeps, and
its clearance is recorded only while that claim holds, under a row lock (``record_item``); the second of two
runs of one job finds it recorded and records nothing.

A worker the others gave up (its heartbeat did not reach the database for three heartbeats) notices, finishes
the photo it holds and joins the queue again as a new worker (``keep_beating``); procrastinate's own heartbeat
stops for good after one failure, unnoticed, when no periodic task is defined.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from procrastinate.job_context import JobContext
from procrastinate.worker import Worker
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from media.analysis import AnalysisSettings, PhotoAnalysis, analyse_photo, start_worker
from media.images import ImageRejected
from registry.albums.claims import claim_item, stale_claims
from registry.albums.runner import MAX_ATTEMPTS, STALE_AFTER, fail_claimed, record_item
from registry.analysis import exchange
from registry.analysis.queue import (
    ANALYSE_STORED,
    CLEAR_ITEM,
    QUEUES,
    album_priorities,
    ensure_schema,
    job_for,
    task_app,
)
from registry.clearances.check import Clearing
from registry.core.db import make_engine, unit_of_work
from registry.core.settings import Settings
from registry.core.storage import NotStored, Storage, storage_for
from registry.faces.analysis_pool import analysis_settings
from registry.faces.templates import TemplateCache
from registry.models.albums import AlbumItem
from registry.models.base import id_of, utcnow
from registry.policy.pack import load_active_pack

log = logging.getLogger("registry.worker")
LOOK_AFTER_SECONDS = 2.0
_JOB_CLAIM = re.compile(r"^job:(\d+)$")
JOB_STATUS = text("SELECT status::text FROM procrastinate_jobs WHERE id = :id")
KEEP_FINISHED_JOBS_HOURS = 1


@dataclass(frozen=True)
class Workplace:
    engine: Engine
    settings: Settings
    clearing: Clearing
    store: Storage


_here: Workplace | None = None


def _workplace() -> Workplace:
    if _here is None:
        raise RuntimeError("this process is not a registry worker")
    return _here


def clear_album_item(context: JobContext, item_id: int) -> None:
    place = _workplace()
    runner = f"job:{context.job.id}"
    claimed = claim_item(place.engine, item_id, runner=runner)
    if claimed is None:
        return  # recorded already, or another runner holds it
    if claimed.attempts > MAX_ATTEMPTS:
        message = f"Checking this photo was interrupted {claimed.attempts - 1} times; upload it again."
        fail_claimed(place.engine, claimed, message, runner=runner, settings=place.settings)
        return
    try:
        photo = place.store.get(f"uploads/{claimed.photo_file}") if claimed.photo_file else None
    except NotStored:
        photo = None
    if photo is None:
        message = (
            "The uploaded file is no longer on the server (removed before it was checked); upload the photo again."
        )
        fail_claimed(place.engine, claimed, message, runner=runner, settings=place.settings)
        return
    how: AnalysisSettings | None = analysis_settings(place.settings)
    while how is not None:  # twice at most: the closer look's result says it searched harder
        try:
            analysis = analyse_photo(photo, how)
        except ImageRejected as exc:
            fail_claimed(place.engine, claimed, exc.message, runner=runner, settings=place.settings)
            return
        how = record_item(place.engine, claimed, analysis, using=place.clearing, runner=runner)


def analyse_stored(token: str) -> None:
    place = _workplace()
    secret = place.settings.secret_key
    try:
        photo, how = exchange.read_request(place.store, secret, token)
    except NotStored:
        return  # its sender stopped waiting (the service answered 503) and the photo is gone: nothing to do
    try:
        outcome: PhotoAnalysis | exchange.Refusal = analyse_photo(photo, how)
    except ImageRejected as exc:
        outcome = exchange.Refusal(exc.message, exc.status_code)
    if exchange.still_wanted(place.store, token):  # nobody would read it, nor delete it
        exchange.put_result(place.store, secret, token, outcome)


def worker_app(settings: Settings) -> procrastinate.App:
    app = task_app(settings)
    app.task(name=CLEAR_ITEM, pass_context=True, retry=False)(clear_album_item)
    app.task(name=ANALYSE_STORED, retry=False)(analyse_stored)
    return app


async def look_after(app: procrastinate.App, engine: Engine, *, stalled_after: float) -> None:
    """Every few seconds: stalled jobs taken up again, photos with no job given one, orphaned claims freed;
    now and then, jobs finished more than an hour ago deleted."""
    rounds = 0
    while True:
        await asyncio.sleep(LOOK_AFTER_SECONDS)
        rounds += 1
        try:
            if rounds % 150 == 1:
                await app.job_manager.delete_old_jobs(
                    nb_hours=KEEP_FINISHED_JOBS_HOURS, include_failed=True, include_cancelled=True
                )
            for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
                log.warning("job %s of a worker gone silent: taken up again", job.id)
                await app.job_manager.retry_job(job)
            for item_id in await asyncio.to_thread(_held_by_jobs_over, app, engine):
                log.warning("album item %s held by a job that is over: queued again", item_id)
            for item_id, priority in (await asyncio.to_thread(album_priorities, engine)).items():
                with contextlib.suppress(AlreadyEnqueued):
                    await job_for(app, item_id, priority).defer_async(item_id=item_id)
        except (ConnectorException, DBAPIError) as exc:  # the database away for a moment (or this host cut off)
            log.warning("the database could not be reached to look after the queue; trying again (%s)", _cause(exc))
        except Exception:  # noqa: BLE001 - never die for it
            log.exception("looking after the queue failed; trying again")


def _cause(exc: BaseException) -> str:
    """The first line of what went wrong underneath (procrastinate's own message is only "Database error.")."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _held_by_jobs_over(app: procrastinate.App, engine: Engine) -> list[int]:
    """Album photos held under a job that is no longer running (it failed, or was cancelled), or by a local album
    runner for longer than ``STALE_AFTER`` (the service ran in the local mode before): queued again."""
    freed = []
    with unit_of_work(engine, actor="system:albums") as session:
        for item in stale_claims(session, runner="", older_than=utcnow() - STALE_AFTER):
            if not (item.claimed_by or "").startswith("job:"):
                item.status, item.claimed_by, item.claimed_at = "queued", None, None
                session.add(item)
                freed.append(id_of(item))
        held = session.exec(
            select(AlbumItem.id, AlbumItem.claimed_by).where(
                AlbumItem.status == "running", col(AlbumItem.claimed_by).like("job:%")
            )
        ).all()
        for item_id, claimed_by in held:
            assert item_id is not None
            match = _JOB_CLAIM.match(claimed_by or "")
            if match is None:
                continue
            found = session.execute(JOB_STATUS, {"id": int(match.group(1))}).scalar_one_or_none()
            if found in ("todo", "doing"):
                continue
            session.exec(
                update(AlbumItem)
                .where(col(AlbumItem.id) == item_id, col(AlbumItem.claimed_by) == claimed_by)
                .values(status="queued", claimed_by=None, claimed_at=None)
            )
            freed.append(item_id)
    return freed


def run_worker(settings: Settings, *, queues: tuple[str, ...] = QUEUES) -> None:
    """Loads the face models, then takes jobs until SIGTERM or SIGINT (a job under way is finished first)."""
    global _here
    engine = make_engine(settings.sqlalchemy_url)
    clearing = Clearing(settings=settings, pack=load_active_pack(settings.policy_pack), templates=TemplateCache())
    _here = Workplace(engine=engine, settings=settings, clearing=clearing, store=storage_for(settings))
    start_worker(None)  # the models, memory kept for the next photo
    ensure_schema(settings)
    app = worker_app(settings)
    heartbeat = settings.worker_heartbeat_seconds
    asyncio.run(_work(app, engine, queues=queues, heartbeat=heartbeat))


async def _work(app: procrastinate.App, engine: Engine, *, queues: tuple[str, ...], heartbeat: float) -> None:
    """Takes jobs until stopped. A worker the others gave up (its heartbeat did not reach the database for three
    heartbeats: its host was cut off, the database was away) finishes the photo it holds, recording nothing if
    another worker took it up, and joins the queue again as a new worker."""
    async with app.open_async():
        caretaker = asyncio.create_task(look_after(app, engine, stalled_after=3 * heartbeat))
        try:
            while True:
                try:
                    rejoin = await _one_worker(app, queues=queues, heartbeat=heartbeat)
                except ConnectorException as exc:  # joining needs the database: it may be away for a moment
                    log.warning("this worker could not join the queue; trying again (%s)", _cause(exc))
                    rejoin = True
                if not rejoin:
                    return  # stopped (SIGTERM, SIGINT)
                await asyncio.sleep(heartbeat)
        finally:
            caretaker.cancel()


async def _one_worker(app: procrastinate.App, *, queues: tuple[str, ...], heartbeat: float) -> bool:
    """Runs one procrastinate worker until it stops; True if it stopped because the others gave it up."""
    worker = Worker(
        app=app,
        queues=list(queues),
        concurrency=1,  # dlib holds the interpreter: one photo per process, one process per core
        name="registry-worker",
        update_heartbeat_interval=heartbeat,
        stalled_worker_timeout=3 * heartbeat,
    )
    given_up = asyncio.Event()
    guard = asyncio.create_task(keep_beating(app, worker, heartbeat=heartbeat, given_up=given_up))
    try:
        await worker.run()
    finally:
        guard.cancel()
    return given_up.is_set()


BEAT = "UPDATE procrastinate_workers SET last_heartbeat = now() WHERE id = %(worker_id)s RETURNING id"


async def keep_beating(app: procrastinate.App, worker: Worker, *, heartbeat: float, given_up: asyncio.Event) -> None:
    """Beats for ``worker`` every heartbeat, beside procrastinate's own beat (which stops for good, unnoticed,
    after one failure). When its row is gone (a starting worker pruned it) or no beat has reached the database
    for three heartbeats (its jobs were taken up again by the others), sets ``given_up`` and stops the worker."""
    loop = asyncio.get_running_loop()
    reached = loop.time()
    while True:
        await asyncio.sleep(heartbeat)
        if worker.worker_id is None:
            reached = loop.time()  # not registered yet
            continue
        try:
            beats = await asyncio.wait_for(
                app.connector.execute_query_all_async(BEAT, worker_id=worker.worker_id), timeout=heartbeat
            )
        except (ConnectorException, TimeoutError):
            if loop.time() - reached < 3 * heartbeat:
                continue
            log.warning("this worker's heartbeat has not reached the database for %.0f s", loop.time() - reached)
            beats = []
        if beats:
            reached = loop.time()
            continue
        # no row (a starting worker pruned this one), or no beat for three heartbeats
        log.warning(
            "worker %s was given up by the others (its photo is taken up again): it finishes the photo it holds "
            "and joins the queue again",
            worker.worker_id,
        )
        given_up.set()
        worker.stop()
        return

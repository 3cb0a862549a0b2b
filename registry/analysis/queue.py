"""Face analysis on a task engine: procrastinate, on the service's own PostgreSQL.

With ``REGISTRY_ANALYSIS=external`` the service reads no face itself: it hands each photo to a job, and
``registry worker`` processes on any host (same ``DATABASE_URL``, same store) take the jobs up. The
photo's bytes never travel in a job: an album photo is named by its item, a photo read for its sender (a
blurred copy, a reference face) by a token under ``analysis/`` in the store. Why procrastinate (and not
Dramatiq or Celery on Redis or RabbitMQ): benchmarks/queue_engines.py and the README's "Running on several
hosts".

Two queues, so that a host may run workers for one only; a worker takes the job of highest priority
first, whichever queue it is on:
- ``photos``: someone is waiting (a single photo, a blurred copy, a reference face), priority ``WAITING``;
- ``albums``: album photos, each with a priority that interleaves uploaders (see ``album_priorities``).
"""

from __future__ import annotations

import threading
from collections import defaultdict

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.schema import SchemaManager
from psycopg.conninfo import make_conninfo
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.core.db import new_session, postgres_link_options
from registry.core.settings import Settings
from registry.models.albums import AlbumItem, AlbumJob

PHOTOS, ALBUMS = "photos", "albums"
QUEUES = (PHOTOS, ALBUMS)
WAITING = 1000  # above every album photo
SCHEMA_LOCK = 0x5245_4749_5354  # an advisory lock's key, taken while the queue's tables are made
CLEAR_ITEM, ANALYSE_STORED = "registry.clear_album_item", "registry.analyse_stored"


class ExternalAnalysisUnavailable(Exception):
    """``REGISTRY_ANALYSIS=external`` cannot work with these settings."""


def conninfo(settings: Settings) -> str:
    """The PostgreSQL connection string procrastinate uses: the service's database itself.

    Raises ExternalAnalysisUnavailable on SQLite: jobs and their workers need a database every host reaches."""
    url = settings.sqlalchemy_url
    if not url.startswith("postgresql"):
        raise ExternalAnalysisUnavailable(
            "REGISTRY_ANALYSIS=external needs PostgreSQL: set DATABASE_URL=postgresql://user:password@host/db "
            "(the workers on other hosts use the same database), or leave REGISTRY_ANALYSIS unset (local) "
            "to read faces in this service's own processes."
        )
    url = "postgresql://" + url.split("://", 1)[1]
    return make_conninfo(url, **postgres_link_options(url))


def task_app(settings: Settings) -> procrastinate.App:
    """A procrastinate app on the service's database (not opened)."""
    return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(settings)))


def ensure_schema(settings: Settings) -> None:
    """Creates procrastinate's tables on first use; nothing when they are there. Several hosts starting at once
    take turns (an advisory lock), so the tables are made once."""
    with psycopg.connect(conninfo(settings)) as connection:
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        found = connection.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if not (found and found[0]):
            connection.execute(SchemaManager.get_schema())
        # leaving the block commits, and the lock goes with the transaction


def album_priorities(engine: Engine, *, job_id: int | None = None) -> dict[int, int]:
    """The priority of every queued album photo (of one album, with ``job_id``) that no job waits for yet:
    ``WAITING`` for an album of one photo (its sender follows it), otherwise minus its place among its
    uploader's queued photos, so that one uploader's 500 photos and another's 5 are taken up in turn, not one
    album after the other."""
    with new_session(engine) as session:
        statement = (
            select(AlbumItem.id, AlbumItem.job_id, AlbumJob.uploader_id)
            .join(AlbumJob, col(AlbumJob.id) == col(AlbumItem.job_id))
            .where(AlbumItem.status == "queued")
        )
        if job_id is not None:  # the album's uploader's queued photos: their places count
            uploader = select(AlbumJob.uploader_id).where(AlbumJob.id == job_id).scalar_subquery()
            statement = statement.where(col(AlbumJob.uploader_id) == uploader)
        rows = session.exec(statement.order_by(col(AlbumItem.id))).all()
        sizes = _album_sizes(session, {row[1] for row in rows})
        waiting = {
            lock
            for (lock,) in session.execute(
                text(
                    "SELECT queueing_lock FROM procrastinate_jobs"
                    " WHERE status = 'todo' AND queueing_lock LIKE 'album-item-%'"
                )
            )
        }
    places: dict[int, int] = defaultdict(int)
    priorities: dict[int, int] = {}
    for item_id, item_job, uploader_id in rows:
        assert item_id is not None
        priority = WAITING if sizes.get(item_job) == 1 else -places[uploader_id]
        places[uploader_id] += sizes.get(item_job) != 1
        if (job_id is None or item_job == job_id) and _lock(item_id) not in waiting:
            priorities[item_id] = priority
    return priorities


def _lock(item_id: int) -> str:
    return f"album-item-{item_id}"


def _album_sizes(session: Session, job_ids: set[int]) -> dict[int, int]:
    return dict(
        session.exec(
            select(AlbumItem.job_id, func.count())
            .where(col(AlbumItem.job_id).in_(job_ids))
            .group_by(col(AlbumItem.job_id))
        ).all()
    )


def job_for(app: procrastinate.App, item_id: int, priority: int) -> procrastinate.jobs.JobDeferrer:
    return app.configure_task(
        CLEAR_ITEM, queue=PHOTOS if priority == WAITING else ALBUMS, priority=priority, queueing_lock=_lock(item_id)
    )


class Dispatcher:
    """The service's side of the queue: hands album photos and photos to read over to the workers.

    ``wake`` (called once an album's photos are committed, as the local runner's is) defers a job for every
    queued album photo that has none waiting; the workers do the same every few seconds (``registry worker``),
    so a photo whose job was never deferred (the service stopped in between) is taken up all the same.
    """

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings
        self.app = task_app(settings)
        self._lock = threading.Lock()
        self._opened = False

    def open(self) -> procrastinate.App:
        with self._lock:
            if not self._opened:
                ensure_schema(self.settings)
                self.app.open()
                self._opened = True
        return self.app

    def close(self) -> None:
        with self._lock:
            if self._opened:
                self.app.close()
                self._opened = False

    def wake(self, job_id: int | None = None) -> int:
        """Defers a job for each queued photo (of one album) that has none; returns how many."""
        return defer_queued_items(self.open(), self.engine, job_id=job_id)

    def defer_analysis(self, token: str) -> int:
        """A photo someone waits for, stored under ``analysis/<token>``: the job's id."""
        job = self.open().configure_task(ANALYSE_STORED, queue=PHOTOS, priority=WAITING)
        return job.defer(token=token)

    def workers_alive(self, session: Session) -> int:
        """``registry worker`` processes whose last heartbeat is under three heartbeats old."""
        found = session.execute(
            text("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - make_interval(secs => :s)"),
            {"s": 3 * self.settings.worker_heartbeat_seconds},
        ).scalar_one()
        return int(found)

    def job_status(self, job_id: int) -> str | None:
        found = self.open().job_manager.list_jobs(id=job_id)
        return found[0].status if found else None


def defer_queued_items(app: procrastinate.App, engine: Engine, *, job_id: int | None = None) -> int:
    """One job per queued album photo that no job waits for (its queueing lock keeps it to one)."""
    deferred = 0
    for item_id, priority in album_priorities(engine, job_id=job_id).items():
        try:
            job_for(app, item_id, priority).defer(item_id=item_id)
            deferred += 1
        except AlreadyEnqueued:
            pass
    return deferred

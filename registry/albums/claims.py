"""Who is working on which album photo: claims, hand-backs, and claims whose runner is gone.

A claim names its runner as ``host:pid:token``; the token is new for every runner, so a process
that restarts with the same pid (pid 1 in a container) still sees its old claims as abandoned.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.core.db import unit_of_work
from registry.models.albums import AlbumItem
from registry.models.base import as_utc, id_of, utcnow


@dataclass(frozen=True)
class Claimed:
    item_id: int
    job_id: int
    photo_file: str | None
    attempts: int


def claim_items(engine: Engine, *, limit: int, runner: str, job_id: int | None = None) -> list[Claimed]:
    """Takes up to ``limit`` queued photos (of one album, or oldest first); another runner's are skipped."""
    claimed = []
    with unit_of_work(engine, actor="system:albums") as session:
        statement = select(AlbumItem.id).where(AlbumItem.status == "queued")
        if job_id is not None:
            statement = statement.where(AlbumItem.job_id == job_id)
        candidates = session.exec(statement.order_by(col(AlbumItem.id)).limit(limit)).all()
        for item_id in candidates:
            taken = session.exec(
                update(AlbumItem)
                .where(
                    col(AlbumItem.id) == item_id,
                    col(AlbumItem.status) == "queued",
                )
                .values(status="running", claimed_by=runner, claimed_at=utcnow(), attempts=col(AlbumItem.attempts) + 1)
            )
            if taken.rowcount == 1:
                item = session.get(AlbumItem, item_id, populate_existing=True)
                if item is not None:
                    claimed.append(Claimed(id_of(item), item.job_id, item.photo_file, item.attempts))
    return claimed


def claim_item(engine: Engine, item_id: int, *, runner: str) -> Claimed | None:
    """Takes one photo: queued, or already held under this very claim (a queue job taken up again after its
    worker died keeps its name). None when it is done, failed, or another runner holds it."""
    with unit_of_work(engine, actor="system:albums") as session:
        taken = session.exec(
            update(AlbumItem)
            .where(
                col(AlbumItem.id) == item_id,
                (col(AlbumItem.status) == "queued")
                | ((col(AlbumItem.status) == "running") & (col(AlbumItem.claimed_by) == runner)),
            )
            .values(status="running", claimed_by=runner, claimed_at=utcnow(), attempts=col(AlbumItem.attempts) + 1)
        )
        if taken.rowcount != 1:
            return None
        item = session.get(AlbumItem, item_id, populate_existing=True)
        return Claimed(id_of(item), item.job_id, item.photo_file, item.attempts) if item is not None else None


def release_item(engine: Engine, item_id: int, *, runner: str) -> None:
    """Back to the queue, untouched by this runner (its worker died with other photos in flight)."""
    with unit_of_work(engine, actor="system:albums") as session:
        session.exec(
            update(AlbumItem)
            .where(
                col(AlbumItem.id) == item_id,
                col(AlbumItem.claimed_by) == runner,
            )
            .values(status="queued", claimed_by=None, claimed_at=None)
        )


def stale_claims(session: Session, *, runner: str, older_than: datetime) -> list[AlbumItem]:
    """Running photos whose runner is gone: a dead process on this host, or a claim older than ``older_than``."""
    items = session.exec(select(AlbumItem).where(AlbumItem.status == "running")).all()
    return [i for i in items if i.claimed_by != runner and _abandoned(i, runner, older_than)]


def _abandoned(item: AlbumItem, runner: str, older_than: datetime) -> bool:
    if item.claimed_at is None or as_utc(item.claimed_at) < older_than:
        return True
    host, pid, token = _parts(item.claimed_by or "")
    my_host, my_pid, _ = _parts(runner)
    if host != my_host:
        return False  # another machine's runner: only the age tells
    if pid == my_pid:
        return True  # this process's pid, another runner's token: an earlier life of this process
    return not _alive(pid)


def _parts(claimed_by: str) -> tuple[str, int, str]:
    try:
        host, pid, token = claimed_by.rsplit(":", 2)
        return host, int(pid), token
    except ValueError:
        return "", -1, ""


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

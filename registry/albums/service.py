"""Album clearance: many photos cleared in the background, each an item with its own outcome.

Every uploaded photo is written to the uploads folder before the upload is answered, so the work
outlives the process that accepted it: registry/albums/runner.py claims queued items, and hands
items abandoned by a stopped process back to the queue (see ``recover_abandoned`` there).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from registry.accounts.permissions import Permission, may
from registry.albums.schemas import AlbumItemPublic, AlbumPublic
from registry.clearances.check import PhotoCheck
from registry.clearances.service import (
    get_clearance_for,
    resolve_check,
    store_upload,
)
from registry.consents import standing
from registry.core.errors import NotFound
from registry.core.settings import Settings
from registry.core.storage import storage_for
from registry.models.accounts import User
from registry.models.albums import AlbumItem, AlbumJob
from registry.models.base import id_of, utcnow
from registry.models.clearances import Clearance
from registry.policy import PolicyPack

STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed")
DECISIONS: tuple[str, ...] = ("allowed", "blocked", "needs_review")
# What each status says on the album's page and in the API (a photo waiting is never allowed anywhere).
STATUS_WORDS = {
    "queued": "waiting for a face check; this page updates",
    "running": "being checked; this page updates",
    "done": "checked",
    "failed": "could not be checked",
}


def start_album(session: Session, check: PhotoCheck, *, source: str, pack: PolicyPack) -> AlbumJob:
    """Checks the question as a single clearance would, before any photo is accepted; each photo of
    the album is then cleared with the same question (registry/albums/runner.py)."""
    resolve_check(session, check, pack=pack)
    job = AlbumJob(
        uploader_id=id_of(check.uploader),
        event_id=check.event_id,
        context_kind=None if check.event_id is not None else check.context_kind,
        context_public=None if check.event_id is not None else check.context_public,
        destination=check.destination,
        tags=sorted(set(check.tags)),
        caption=check.caption,
        source=source,
    )
    session.add(job)
    session.flush()
    return job


def add_photo(
    session: Session,
    *,
    job: AlbumJob,
    position: int,
    name: str,
    error: str | None,
    settings: Settings,
    data: bytes | None = None,
    photo_file: str | None = None,
) -> AlbumItem:
    """Queues a photo (kept in the store first: ``photo_file`` under ``uploads/``, or ``data`` to keep), or
    records at once why it cannot be cleared."""
    item = AlbumItem(
        job_id=id_of(job),
        position=position,
        name=name[:255],
        status="failed" if error else "queued",
        error=error[:500] if error else None,
    )
    if error is None:
        item.photo_file = (
            photo_file
            if photo_file is not None
            else (store_upload(storage_for(settings), data) if data is not None else None)
        )
    session.add(item)
    session.flush()
    return item


def queue_photo(
    session: Session, check: PhotoCheck, photo: bytes, *, source: str, pack: PolicyPack, settings: Settings
) -> AlbumJob:
    """One photo that could not be read while its sender waited: kept and queued as an album of one, cleared
    by the album runner exactly as the request would have cleared it, and followed like any album."""
    job = start_album(session, check, source=source, pack=pack)
    add_photo(session, job=job, position=0, name=check.file_name or "photo", error=None, settings=settings, data=photo)
    return job


def finish_if_done(session: Session, job_id: int) -> None:
    job = session.get(AlbumJob, job_id)
    if job is None or job.finished_at is not None:
        return
    left = session.exec(
        select(func.count())
        .select_from(AlbumItem)
        .where(AlbumItem.job_id == job_id, col(AlbumItem.status).in_(("queued", "running")))
    ).one()
    if not left:
        job.finished_at = utcnow()
        session.add(job)
        session.flush()


def get_album_for(session: Session, album_id: int, user: User) -> AlbumJob:
    """The album, if this user may see it: employees see their own only (others look absent)."""
    job = session.get(AlbumJob, album_id)
    if job is None or (not may(user.role, Permission.SEE_EVERY_CLEARANCE) and job.uploader_id != user.id):
        raise NotFound(f"No album with id {album_id}.")
    return job


def list_albums(session: Session, *, user: User, limit: int, offset: int) -> tuple[list[AlbumJob], int]:
    statement = select(AlbumJob)
    if not may(user.role, Permission.SEE_EVERY_CLEARANCE):
        statement = statement.where(AlbumJob.uploader_id == user.id)
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(col(AlbumJob.id).desc()).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def album_items(session: Session, job_id: int) -> list[AlbumItem]:
    return list(
        session.exec(
            select(AlbumItem).where(AlbumItem.job_id == job_id).order_by(col(AlbumItem.position), col(AlbumItem.id))
        )
    )


def photos_now(session: Session, clearance_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each cleared photo's decision and standing now, as "My photos" shows them: after a reviewer's act, a
    withdrawn consent, a takedown confirmed (in two queries however many photos)."""
    if not clearance_ids:
        return {}
    takedowns = standing.first_takedowns(session, clearance_ids)
    rows = session.exec(select(Clearance).where(col(Clearance.id).in_(sorted(set(clearance_ids)))))
    return {id_of(c): (c.decision, standing.standing_with(c, takedowns.get(id_of(c))).standing) for c in rows}


def album_public(session: Session, job: AlbumJob, *, thumbnail_url: str) -> AlbumPublic:
    """Progress by status and by decision now, and every item with its standing now; ``thumbnail_url`` has
    {album} and {item}."""
    items = album_items(session, id_of(job))
    now = photos_now(session, [i.clearance_id for i in items if i.clearance_id])
    counts = dict.fromkeys(STATUSES, 0)
    decisions = dict.fromkeys(DECISIONS, 0)
    for item in items:
        counts[item.status] += 1
        if item.clearance_id in now:
            decisions[now[item.clearance_id][0]] += 1
    return AlbumPublic(
        **job.model_dump(exclude={"finished_at"}),
        finished_at=job.finished_at,
        finished=counts["queued"] == counts["running"] == 0,
        total=len(items),
        counts=counts,
        decisions=decisions,
        items=[
            AlbumItemPublic(
                id=id_of(i),
                position=i.position,
                name=i.name,
                status=i.status,
                status_words=STATUS_WORDS[i.status],
                error=i.error,
                clearance_id=i.clearance_id,
                decision=now[i.clearance_id][0] if i.clearance_id in now else i.decision,
                standing=now[i.clearance_id][1] if i.clearance_id in now else None,
                thumbnail_url=thumbnail_url.format(album=job.id, item=i.id) if i.clearance_id else None,
            )
            for i in items
        ],
    )


def album_of(session: Session, clearance_id: int) -> int | None:
    """The album a cleared photo was sent in, if any."""
    job_id = session.exec(select(AlbumItem.job_id).where(AlbumItem.clearance_id == clearance_id)).first()
    return int(job_id) if job_id is not None else None


def item_thumbnail(session: Session, *, album_id: int, item_id: int, user: User) -> bytes:
    """The 240 px copy of one cleared photo of an album this user may see."""
    job = get_album_for(session, album_id, user)
    item = session.get(AlbumItem, item_id)
    if item is None or item.job_id != job.id or item.clearance_id is None:
        raise NotFound(f"Album {album_id} has no cleared photo {item_id}.")
    clearance = get_clearance_for(session, item.clearance_id, user)
    if clearance.thumbnail is None:
        raise NotFound("No thumbnail is kept for this photo.")
    return clearance.thumbnail

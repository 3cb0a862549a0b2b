"""Where the service reads faces (``REGISTRY_ANALYSIS``), and the single photo cleared by a worker.

``analyser`` is the one seam: everything that reads faces for someone waiting (a photo to clear in the local
mode, a blurred copy, a reference face and its preview) asks it for the function to call. Locally that is
the service's own worker pool; externally it hands the photo to a ``registry worker`` and waits.

A photo to clear is different in the external mode: its worker records its clearance too, so that a photo
whose sender stopped waiting still completes. ``clear_by_worker`` keeps it as an album of one photo on the
``photos`` queue (ahead of every album), waits for its clearance up to ``REGISTRY_ANALYSIS_WAIT_SECONDS``, and
answers with the clearance, or with the album still queued, which completes when the worker records it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from sqlmodel import Session, select

from media.analysis import AnalysisSettings, PhotoAnalysis
from media.images import ImageRejected
from registry.albums import service as albums
from registry.analysis.exchange import ExternalAnalysis
from registry.analysis.queue import Dispatcher
from registry.clearances.check import Clearing, PhotoCheck
from registry.clearances.repeats import earlier_clearance
from registry.core.db import end_before_slow_work, hand_over
from registry.core.settings import Settings
from registry.faces.analysis_pool import AnalysisPool
from registry.models.albums import AlbumItem, AlbumJob
from registry.models.base import id_of
from registry.models.clearances import Clearance

Analyse = Callable[[bytes, AnalysisSettings], PhotoAnalysis]
POLL_SECONDS = 0.1


def analyser(settings: Settings, *, pool: Callable[[], AnalysisPool], dispatcher: Dispatcher | None) -> Analyse:
    """The function that reads a photo's faces for someone waiting, in this mode. ``pool`` gives the local pool
    in force when a photo is read (the app's, which may be replaced after the app is made)."""
    if settings.analysis == "external":
        if dispatcher is None:
            raise ValueError("REGISTRY_ANALYSIS=external needs the queue's dispatcher")
        return ExternalAnalysis(dispatcher, settings).analyse

    def in_the_pool(photo: bytes, how: AnalysisSettings) -> PhotoAnalysis:
        return pool().analyse(photo, how)

    return in_the_pool


class WaitingForFaceCheck(Exception):
    """The photo is kept and queued; its worker has not recorded it yet. ``album`` follows it."""

    def __init__(self, album: AlbumJob) -> None:
        super().__init__(f"album {album.id}")
        self.album = album


def clear_by_worker(
    session: Session, check: PhotoCheck, photo: bytes, *, using: Clearing, dispatcher: Dispatcher, source: str
) -> Clearance:
    """The photo's clearance as its worker recorded it, within ``analysis_wait_seconds``; WaitingForFaceCheck
    past that (the photo stays queued and is recorded once, by its worker); the photo's own ImageRejected
    when the worker could not read it. The same upload sent again within the repeat window answers with its
    first clearance, as in the local mode."""
    settings = using.settings
    if settings.repeat_upload_minutes and check.redacted_of is None:
        sha256 = hashlib.sha256(photo).hexdigest()
        earlier = earlier_clearance(session, check, sha256=sha256, minutes=settings.repeat_upload_minutes, using=using)
        if earlier is not None:
            return earlier
    job = albums.queue_photo(session, check, photo, source=source, pack=using.pack, settings=settings)
    job_id = id_of(job)
    hand_over(session)  # the worker must see the photo's item
    dispatcher.wake(job_id)
    deadline = time.monotonic() + settings.analysis_wait_seconds
    while True:
        item = _item_of(session, job_id)
        if item.status == "done" and item.clearance_id is not None:
            clearance = session.get(Clearance, item.clearance_id)
            if clearance is not None:
                return clearance
        if item.status == "failed":
            raise ImageRejected(item.error or "This photo could not be checked.")
        if time.monotonic() >= deadline:
            album = session.get(AlbumJob, job_id)
            assert album is not None
            raise WaitingForFaceCheck(album)
        end_before_slow_work(session)  # no transaction while waiting; the next read sees the worker's commit
        time.sleep(POLL_SECONDS)


def _item_of(session: Session, job_id: int) -> AlbumItem:
    statement = select(AlbumItem).where(AlbumItem.job_id == job_id).execution_options(populate_existing=True)
    return session.exec(statement).one()

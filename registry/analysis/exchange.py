"""A photo read for someone who waits (a blurred copy, a reference face): handed to a worker through the store.

The service puts the photo and how to read it under ``analysis/<token>.*`` and defers a job naming the token;
the worker reads them, analyses, and puts the outcome beside them; the service, waiting on the job's status,
reads the outcome and removes all three. What is read back from the store is signed with the service's secret
key (the workers share it), so an object planted in the store is refused, never unpickled.
"""

from __future__ import annotations

import hashlib
import hmac
import pickle
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from media.analysis import AnalysisSettings, PhotoAnalysis
from media.images import ImageRejected
from registry.analysis.queue import Dispatcher
from registry.core.errors import Busy
from registry.core.settings import Settings
from registry.core.storage import Storage, storage_for
from registry.faces.analysis_pool import EngineStopped

PREFIX = "analysis"


class Tampered(Exception):
    """An object under analysis/ whose signature does not match: never read."""


@dataclass(frozen=True)
class Refusal:
    """The photo's own ImageRejected, as plain values (its class may not rebuild from its message)."""

    message: str
    status_code: int


def _key(token: str, part: str) -> str:
    return f"{PREFIX}/{token}.{part}"


def _sealed(secret: str, value: object) -> bytes:
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return hmac.new(secret.encode(), body, hashlib.sha256).digest() + body


def _opened(secret: str, blob: bytes) -> object:
    tag, body = blob[:32], blob[32:]
    if not hmac.compare_digest(tag, hmac.new(secret.encode(), body, hashlib.sha256).digest()):
        raise Tampered("an analysis object in the store is not signed with this service's secret key")
    return pickle.loads(body)  # noqa: S301 - signed by this service (above)


def put_request(store: Storage, secret: str, photo: bytes, how: AnalysisSettings) -> str:
    token = uuid.uuid4().hex
    store.put(_key(token, "photo"), photo)
    store.put(_key(token, "how"), _sealed(secret, how))
    return token


def read_request(store: Storage, secret: str, token: str) -> tuple[bytes, AnalysisSettings]:
    how = _opened(secret, store.get(_key(token, "how")))
    if not isinstance(how, AnalysisSettings):
        raise Tampered("not an AnalysisSettings")
    return store.get(_key(token, "photo")), how


def still_wanted(store: Storage, token: str) -> bool:
    """The service still waits for this photo's faces (it deletes the request when it stops waiting)."""
    return store.exists(_key(token, "how"))


def put_result(store: Storage, secret: str, token: str, outcome: PhotoAnalysis | Refusal) -> None:
    store.put(_key(token, "result"), _sealed(secret, outcome))


def read_result(store: Storage, secret: str, token: str) -> PhotoAnalysis:
    """The analysis, or the photo's refusal raised as an ImageRejected with its status."""
    outcome = _opened(secret, store.get(_key(token, "result")))
    if isinstance(outcome, Refusal):
        refused = ImageRejected(outcome.message)
        refused.status_code = outcome.status_code
        raise refused
    if not isinstance(outcome, PhotoAnalysis):
        raise Tampered("not a PhotoAnalysis")
    return outcome


def forget(store: Storage, token: str) -> None:
    for part in ("photo", "how", "result"):
        store.delete(_key(token, part))


class ExternalAnalysis:
    """The seam's external side: ``analyse(photo, how)`` hands the photo to a worker and waits for its faces,
    at most ``REGISTRY_ANALYSIS_WAIT_SECONDS``; past that the photo is dropped and the caller gets Busy (503)."""

    POLL_SECONDS = 0.05

    def __init__(self, dispatcher: Dispatcher, settings: Settings) -> None:
        self.dispatcher, self.settings = dispatcher, settings
        self.store = storage_for(settings)

    def analyse(self, photo: bytes, how: AnalysisSettings) -> PhotoAnalysis:
        token = put_request(self.store, self.settings.secret_key, photo, how)
        try:
            job_id = self.dispatcher.defer_analysis(token)
            status = wait_for_job(self.dispatcher.job_status, job_id, seconds=self.settings.analysis_wait_seconds)
            if status == "succeeded":
                return read_result(self.store, self.settings.secret_key, token)
            if status == "failed":
                raise EngineStopped()
            self.dispatcher.open().job_manager.cancel_job_by_id(job_id, abort=False)
            raise Busy(
                "Every face-engine worker is busy: nothing of this photo was kept. Try again in a minute.",
                retry_after=30,
            )
        finally:
            forget(self.store, token)


def wait_for_job(status_of: Callable[[int], str | None], job_id: int, *, seconds: float) -> str | None:
    """The job's status once it is over (succeeded, failed, ...), or as it stands after ``seconds``."""
    deadline = time.monotonic() + seconds
    pause = ExternalAnalysis.POLL_SECONDS
    while True:
        status = status_of(job_id)
        if status not in ("todo", "doing") or time.monotonic() >= deadline:
            return status
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 1.5, 0.5)

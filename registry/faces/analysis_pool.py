"""The worker processes that do the heavy half of every clearance, one pool per service process.

dlib holds the GIL while it detects and encodes, so threads cannot use a second core; worker
processes can. They are forked from a 'forkserver' that has imported face_recognition and loaded
its models once and runs no threads, so no worker inherits dlib mid-use and the ~100 MB of models
are shared copy-on-write. A photo that crashes the face engine kills only its worker: the pool is
replaced and the caller gets ``EngineStopped`` instead of the service going down.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from media.analysis import AnalysisSettings, PhotoAnalysis, analyse_photo, start_worker
from media.finding import SearchLimits
from media.images import ImageRejected
from registry.core.settings import Settings

T = TypeVar("T")


class EngineStopped(ImageRejected):
    """A worker process died while reading a photo (a crafted file, or out of memory)."""

    status_code = 422

    def __init__(self) -> None:
        super().__init__(
            "The face engine stopped while reading this photo, so it cannot be checked. "
            "Export it again as a JPEG and upload the new file."
        )


def analysis_settings(settings: Settings, *, face_thumbnails: bool = False) -> AnalysisSettings:
    """The first search of a photo to clear; with ``face_thumbnails``, of a reference photo to enrol (dlib's HOG:
    a reference photo must show one clear, upright face)."""
    return AnalysisSettings(
        detect_max_side=settings.detect_max_side,
        max_pixels=settings.max_pixels,
        max_decode_bytes=settings.max_decode_bytes,
        face_thumbnails=face_thumbnails,
        encode=settings.face_recognition != "off",
        first_search="hog" if face_thumbnails else "upright",
        harder=search_limits(settings),
    )


def search_limits(settings: Settings) -> SearchLimits:
    """The numbers every search of a photo to clear keeps to."""
    return SearchLimits(
        side=settings.detect_max_side,
        min_face_px=settings.min_face_px,
        seconds=settings.harder_search_seconds,
        max_pixels=settings.harder_search_max_pixels,
    )


def pool_size(settings: Settings) -> int:
    return settings.analysis_processes or os.cpu_count() or 1


def _loaded_worker(pause: float) -> int:
    """Runs in a worker, after its initializer (``start_worker``) has loaded the models: its process id.
    The pause keeps this worker busy so that a worker still loading gets a task of the same round."""
    time.sleep(pause)
    return os.getpid()


WARM_PAUSE = 0.05
WARM_DEADLINE = 300.0  # seconds: a machine so slow or busy must still start; healthz then says "starting"


class AnalysisPool:
    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._loaded: frozenset[int] = frozenset()  # workers known to have loaded the face models
        self._warming: threading.Thread | None = None

    def warm(self) -> frozenset[int]:
        """Starts every worker process and returns once each has loaded the face models (each has
        answered a task, which runs only after its initializer), so that no photo pays for it."""
        deadline = time.monotonic() + WARM_DEADLINE
        while True:
            futures = [self.submit_call(_loaded_worker, WARM_PAUSE) for _ in range(self.processes)]
            answered = {self.result(f) for f in futures}
            with self._lock:
                self._loaded |= answered
            if self.ready or time.monotonic() > deadline:
                return self.worker_pids()

    def warm_in_background(self) -> None:
        """Warms the pool in a thread of its own unless that is under way (after a worker died, say)."""
        with self._lock:
            if self._warming is not None and self._warming.is_alive():
                return
            self._warming = threading.Thread(target=self.warm, name="face-engine-warm-up", daemon=True)
            self._warming.start()

    def worker_pids(self) -> frozenset[int]:
        """The worker processes running now."""
        with self._lock:
            executor = self._executor
            return frozenset(executor._processes or {}) if executor is not None else frozenset()

    @property
    def ready(self) -> bool:
        """Every worker is running and has loaded the models: a photo now costs only its own work."""
        with self._lock:
            executor = self._executor
            if executor is None or executor._broken:
                return False
            running = frozenset(executor._processes or {})
            return len(running) == self.processes and running <= self._loaded

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is not None and self._executor._broken:
                # A worker died (see EngineStopped): the executor refuses new work; start afresh.
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
            if self._executor is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["media.analysis"])
                self._executor = ProcessPoolExecutor(
                    self.processes, mp_context=context, initializer=start_worker, initargs=(os.getpid(),)
                )
            return self._executor

    def submit(self, data: bytes, how: AnalysisSettings) -> Future[PhotoAnalysis]:
        return self.submit_call(analyse_photo, data, how)

    def submit_call(self, function: Callable[..., T], *args: object) -> Future[T]:
        try:
            return self._current().submit(function, *args)
        except BrokenProcessPool:  # broke between the check and the submit
            return self._current().submit(function, *args)

    def result(self, future: Future[T]) -> T:
        """The analysis, or the photo's own ImageRejected; EngineStopped if its worker died."""
        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise EngineStopped() from exc

    def analyse(self, data: bytes, how: AnalysisSettings) -> PhotoAnalysis:
        return self.result(self.submit(data, how))

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
            self._loaded = frozenset()
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


_shared: dict[int, AnalysisPool] = {}
_shared_lock = threading.Lock()


def shared_pool(processes: int) -> AnalysisPool:
    """One pool per process and size: every app, request and album in this process uses it."""
    with _shared_lock:
        if processes not in _shared:
            _shared[processes] = AnalysisPool(processes)
        return _shared[processes]

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
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from media.analysis import AnalysisSettings, PhotoAnalysis, analyse_photo, start_worker
from media.images import ImageRejected
from registry.core.settings import Settings


class EngineStopped(ImageRejected):
    """A worker process died while reading a photo (a crafted file, or out of memory)."""

    status_code = 422

    def __init__(self) -> None:
        super().__init__(
            "The face engine stopped while reading this photo, so it cannot be checked. "
            "Export it again as a JPEG and upload the new file."
        )


def analysis_settings(settings: Settings, *, face_thumbnails: bool = False) -> AnalysisSettings:
    return AnalysisSettings(
        detect_max_side=settings.detect_max_side, max_pixels=settings.max_pixels, face_thumbnails=face_thumbnails
    )


def pool_size(settings: Settings) -> int:
    return settings.analysis_processes or os.cpu_count() or 1


class AnalysisPool:
    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

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
        try:
            return self._current().submit(analyse_photo, data, how)
        except BrokenProcessPool:  # broke between the check and the submit
            return self._current().submit(analyse_photo, data, how)

    def result(self, future: Future[PhotoAnalysis]) -> PhotoAnalysis:
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

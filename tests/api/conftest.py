"""The web app on the test's connection, and a client for it (only the API tests import the app)."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection

from api.main import create_app
from media.analysis import AnalysisSettings, PhotoAnalysis
from registry.core.settings import Settings
from registry.faces.analysis_pool import AnalysisPool

# What the face engine read from each photo, by the photo's bytes and the numbers it was read with, for the
# modules marked ``reuses_analysis``: kept for the test process (one xdist worker), as pickles, so that each
# test gets its own copy exactly as it would from a worker process.
_ANALYSES: dict[tuple[bytes, bytes], bytes] = {}


class ReusedAnalysis:
    """The app's analysis pool, except that the same bytes read with the same settings are read once.

    For tests about what is decided and recorded from a photo's faces (consents, naming, disclosure,
    takedowns...), not about finding them: the analysis is a pure function of the bytes and the settings
    (``media.analysis.analyse_photo``), the first test to send a photo reads it for real, and the others
    get that same result, as a worker process would hand it back. A photo the engine refuses is read
    every time (refusals are not kept). Tests of the engine, its limits, its pool, its time or its memory
    are not marked and read every photo."""

    def __init__(self, pool: AnalysisPool) -> None:
        self._pool = pool

    @staticmethod
    def _key(data: bytes, how: AnalysisSettings) -> tuple[bytes, bytes]:
        return hashlib.sha256(data).digest(), pickle.dumps(how)

    def submit(self, data: bytes, how: AnalysisSettings) -> Future[PhotoAnalysis]:
        key = self._key(data, how)
        if key in _ANALYSES:
            done: Future[PhotoAnalysis] = Future()
            done.set_result(pickle.loads(_ANALYSES[key]))
            return done
        future = self._pool.submit(data, how)

        def keep(finished: Future[PhotoAnalysis]) -> None:
            if not finished.cancelled() and finished.exception() is None:
                _ANALYSES[key] = pickle.dumps(finished.result())

        future.add_done_callback(keep)
        return future

    def analyse(self, data: bytes, how: AnalysisSettings) -> PhotoAnalysis:
        return self.result(self.submit(data, how))

    def __getattr__(self, name: str) -> Any:  # processes, result, warm, shutdown...: the pool's own
        return getattr(self._pool, name)


@pytest.fixture
def app(request: pytest.FixtureRequest, settings: Settings, connection: Connection) -> FastAPI:
    app = create_app(settings, bind=connection)
    if request.node.get_closest_marker("reuses_analysis") is not None:
        app.state.analysis_pool = ReusedAnalysis(app.state.analysis_pool)
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client

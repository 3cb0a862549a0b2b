"""The web app on the test's connection, and a client for it (only the API tests import the app)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection

from api.main import create_app
from registry.core.settings import Settings


@pytest.fixture
def app(settings: Settings, connection: Connection) -> FastAPI:
    return create_app(settings, bind=connection)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client

"""An app on a database of its own (the album runner needs sessions of its own, not a test's shared
connection), its users, and waiting for an album to finish."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.engine import Engine

from api.main import create_app
from registry.accounts import security
from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.core.db import make_engine, new_session
from registry.core.migrate import upgrade
from registry.core.settings import Settings
from tests.conftest import GENEROUS_LIMITS, PASSWORD


def album_settings(tmp_path: Path) -> Settings:
    return Settings(
        environment="test", data_dir=tmp_path / "data", secret_key="test-secret-" + "x" * 32, **GENEROUS_LIMITS
    )


@pytest.fixture
def album_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'albums.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def add_account(engine: Engine, settings: Settings, role: str, email: str) -> dict[str, str]:
    with new_session(engine, expire_on_commit=False) as session:
        user = accounts.add_user(
            session, data=UserCreate(email=email, full_name=email.split("@")[0], role=role, password=PASSWORD)
        )
        session.commit()
    token, _ = security.issue_access_token(user_id=int(user.id or 0), secret=settings.secret_key, minutes=10)
    return {"Authorization": f"Bearer {token}"}


def album_client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings, bind=engine))


def wait_finished(client: TestClient, headers: dict[str, str], album_id: int, *, polls: int = 600) -> dict:
    for _ in range(polls):
        album = client.get(f"/api/v1/albums/{album_id}", headers=headers).json()
        if album["finished"]:
            return album
        time.sleep(0.1)
    raise AssertionError(f"album {album_id} did not finish: {album['counts']}")


def blank_jpeg() -> bytes:
    """A photo with no face in it (a plain sky)."""
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 170, 230)).save(out, "JPEG")
    return out.getvalue()

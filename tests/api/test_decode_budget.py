"""The memory one photo may take while it is decoded is the operator's setting (REGISTRY_MAX_DECODE_BYTES):
a photo the default budget accepts is refused under a lower one, with the same plain 413 as any photo too
large to check, and the limit it was held to named."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.core.settings import Settings
from tests.api.clearance_helpers import clear
from tests.paths import FACES

PORTRAIT = "people/obama/obama-portrait.jpg"  # 910 x 1137: about 7 MB to decode


def test_the_default_budget_accepts_the_portrait(client, employee):
    assert Settings().max_decode_bytes == 512 * 1024 * 1024
    response = clear(client, employee, PORTRAIT)
    assert response.status_code == 201, response.text


@pytest.fixture
def tight_client(settings: Settings, connection) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"max_decode_bytes": 4 * 1024 * 1024}), bind=connection)
    with TestClient(app) as client:
        yield client


def test_a_lower_budget_refuses_the_same_portrait(tight_client, make_user):
    employee = make_user("employee")
    response = tight_client.post(
        "/api/v1/clearances",
        data={"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"},
        files={"photo": ("portrait.jpg", (FACES / PORTRAIT).read_bytes(), "image/jpeg")},
        headers=employee,
    )
    assert response.status_code == 413, response.text
    assert "memory to check (the limit is 4 MB)" in response.json()["detail"]
    assert "save it as a JPEG, or export a smaller copy" in response.json()["detail"]


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("REGISTRY_MAX_DECODE_BYTES", str(64 * 1024 * 1024))
    assert Settings().max_decode_bytes == 64 * 1024 * 1024
    monkeypatch.setenv("REGISTRY_MAX_DECODE_BYTES", "1000")
    with pytest.raises(ValueError, match="max_decode_bytes"):
        Settings()

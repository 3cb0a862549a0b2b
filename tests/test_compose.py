"""docker-compose.yml as Docker would read it (no Docker here): the single-host service by default, and the
object store and the face-analysis workers behind the `hosts` profile, each with the settings it needs."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from registry.core.settings import Settings
from tests.conftest import ROOT

AWS = {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}
# Read by the service's start (the first administrator) rather than by Settings.
NOT_SETTINGS = {"REGISTRY_ADMIN_EMAIL", "REGISTRY_ADMIN_PASSWORD"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def default(value: str) -> str:
    """What Compose puts in place of ${NAME:-default} when .env leaves NAME out."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_a_plain_up_starts_the_database_and_the_service_alone(compose):
    started = {name for name, service in compose["services"].items() if not service.get("profiles")}
    assert started == {"db", "registry"}
    environment = compose["services"]["registry"]["environment"]
    assert default(environment["REGISTRY_ANALYSIS"]) == "local"
    assert default(environment["REGISTRY_STORAGE_URL"]) == "file:///data"


def test_the_hosts_profile_adds_the_object_store_and_the_workers(compose):
    services = compose["services"]
    hosts = {name for name, service in services.items() if "hosts" in service.get("profiles", [])}
    assert hosts == {"objectstore", "objectstore-init", "worker"}
    store = services["objectstore"]
    assert store["image"].startswith("chrislusf/seaweedfs")
    assert store["command"][0] == "server" and "-s3" in store["command"]
    assert "-s3.port=8333" in store["command"]


def test_a_worker_analyses_for_the_api_hosts_and_keeps_photos_in_the_object_store(compose):
    worker = compose["services"]["worker"]
    assert worker["command"] == ["python", "-m", "scripts.cli", "worker"]
    environment = worker["environment"]
    assert environment["REGISTRY_ANALYSIS"] == "external"
    assert default(environment["REGISTRY_STORAGE_URL"]).startswith("s3://registry/")
    assert set(environment) >= AWS
    assert default(environment["AWS_ENDPOINT_URL"]) == "http://objectstore:8333"
    assert environment["DATABASE_URL"] == compose["services"]["registry"]["environment"]["DATABASE_URL"]
    assert worker["depends_on"]["objectstore-init"]["condition"] == "service_completed_successfully"
    assert worker["healthcheck"] == {"disable": True}


def test_the_bucket_the_workers_use_is_the_one_made_at_start(compose):
    script = compose["services"]["objectstore-init"]["command"][0]
    bucket = default(compose["services"]["worker"]["environment"]["REGISTRY_STORAGE_URL"]).split("/")[2]
    assert f"s3.bucket.create -name {bucket}" in script
    assert f"-buckets {bucket}" in script
    assert "$$AWS_ACCESS_KEY_ID" in script  # escaped: read by the container's shell, not by Compose


def test_every_registry_setting_named_is_one_the_service_reads(compose):
    known = {f"REGISTRY_{name.upper()}" for name in Settings.model_fields} | {"DATABASE_URL"}
    known |= {"REGISTRY_ANALYSIS", "REGISTRY_STORAGE_URL"}  # the job queue's and the object store's
    for name, service in compose["services"].items():
        named = {key for key in service.get("environment", {}) if key.startswith(("REGISTRY_", "DATABASE_"))}
        assert named - NOT_SETTINGS <= known, name

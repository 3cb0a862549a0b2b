"""Moving a data folder's photos and scans into a bucket: `./scripts/registry copy-to-store`."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from registry.core.settings import get_settings
from registry.core.storage import FileStorage, StorageError, storage_at
from registry.trust.store_copy import copy_folder_to_store

KEPT = {
    "uploads/4f1c": b"\xff\xd8\xff" + os.urandom(1_500_000),
    "uploads/9a2e": b"\xff\xd8\xff" + os.urandom(2_000),
    f"evidence/{'e' * 64}": b"%PDF-1.7 a signed form",
    "held-photos/3-tokenA": b"\x89PNG held",
    "held-photos/3-tokenA.name": b"game.png",
    "enrol-previews/0abc": b"\xff\xd8\xff preview",
}


def _data_folder(folder: Path) -> Path:
    for key, data in KEPT.items():
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes(data)
    (folder / "registry.db").write_bytes(b"SQLite format 3")  # the database stays where it is
    (folder / "uploads" / "5b.partial").write_bytes(b"half a photo")  # a write a crash cut off
    return folder


def test_a_data_folder_is_copied_verified_and_a_second_run_copies_nothing(tmp_path, s3_url, monkeypatch):
    from scripts.cli import app

    folder = _data_folder(tmp_path / "data")
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(folder))
    monkeypatch.setenv("REGISTRY_SECRET_KEY", "test-secret-" + "x" * 32)
    monkeypatch.setenv("REGISTRY_STORAGE_URL", s3_url)
    get_settings.cache_clear()
    runner = CliRunner()
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    try:
        first = runner.invoke(app, ["copy-to-store"])
        assert first.exit_code == 0, first.output
        assert "6 copied (0 of them replaced a different object), 0 already there, 0 failed" in first.output
        store = storage_at(s3_url)
        assert {key: store.get(key) for key in store.keys("")} == KEPT
        assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before  # the folder is unchanged

        store.put("uploads/4f1c", b"\xff\xd8\xff" + bytes(1_500_000))  # same size, other bytes: a bad copy
        store.delete("uploads/9a2e")  # a copy stopped half-way
        again = runner.invoke(app, ["copy-to-store"])
        assert again.exit_code == 0, again.output
        assert "2 copied (1 of them replaced a different object), 4 already there, 0 failed" in again.output
        assert store.sha256("uploads/4f1c") == hashlib.sha256(KEPT["uploads/4f1c"]).hexdigest()
    finally:
        get_settings.cache_clear()


def test_a_copy_without_a_bucket_or_onto_the_folder_itself_is_refused(tmp_path, monkeypatch):
    from scripts.cli import app

    folder = _data_folder(tmp_path / "data")
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(folder))
    monkeypatch.setenv("REGISTRY_SECRET_KEY", "test-secret-" + "x" * 32)
    monkeypatch.delenv("REGISTRY_STORAGE_URL", raising=False)
    get_settings.cache_clear()
    try:
        nowhere = CliRunner().invoke(app, ["copy-to-store"])
        assert nowhere.exit_code == 2 and "Name the bucket" in nowhere.output
    finally:
        get_settings.cache_clear()
    with pytest.raises(StorageError, match="already the store"):
        copy_folder_to_store(folder, FileStorage(folder))


def test_a_bucket_out_of_reach_stops_the_copy_with_the_reason(tmp_path, s3_url, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "nobody")
    with pytest.raises(StorageError, match="refused the keys"):
        copy_folder_to_store(_data_folder(tmp_path / "data"), storage_at(s3_url))


def test_the_service_does_not_start_on_a_bucket_it_cannot_reach(tmp_path, monkeypatch):
    from scripts.cli import app

    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REGISTRY_SECRET_KEY", "test-secret-" + "x" * 32)
    monkeypatch.setenv("REGISTRY_STORAGE_URL", "s3://registry-photos/district")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a-secret-value")
    get_settings.cache_clear()
    try:
        started = CliRunner().invoke(app, ["serve", "--port", "9"])
    finally:
        get_settings.cache_clear()
    assert started.exit_code == 2, started.output
    assert "will not start" in started.output and "at http://127.0.0.1:9 cannot be reached" in started.output
    assert "a-secret-value" not in started.output

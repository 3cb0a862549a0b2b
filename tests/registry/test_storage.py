"""The store behind every kept file: whole writes, plain keys, nothing read outside it.

The same contract holds for the data folder and for a real S3 server (SeaweedFS, tests/object_store.py).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from registry.core.settings import Settings
from registry.core.storage import FileStorage, NotStored, Storage, StorageError, storage_at, storage_for
from registry.core.storage_s3 import PART_BYTES
from tests.object_store import SECRET_KEY, S3Server


@pytest.fixture(params=["file", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "file":
        return storage_at(tmp_path.as_uri())
    return storage_at(request.getfixturevalue("s3_url"))


def test_an_object_is_kept_read_listed_and_deleted(store: Storage, tmp_path: Path) -> None:
    store.put("uploads/a1", b"photo")
    source = tmp_path / "scan.pdf"
    source.write_bytes(b"%PDF" * 400_000)
    store.put_file("evidence/abc", source)
    assert store.get("uploads/a1") == b"photo"
    assert store.get("evidence/abc") == source.read_bytes()
    assert store.sha256("evidence/abc") == hashlib.sha256(source.read_bytes()).hexdigest()
    assert list(store.keys("uploads/")) == ["uploads/a1"]
    assert [(e.key, e.size) for e in store.entries("evidence/")] == [("evidence/abc", 1_600_000)]
    assert abs(next(store.entries("uploads/")).modified - time.time()) < 3600  # a time, not a counter
    assert store.exists("evidence/abc")
    copy = tmp_path / "copy"
    store.get_file("evidence/abc", copy)
    assert copy.read_bytes() == source.read_bytes()
    store.delete("uploads/a1")
    store.delete("uploads/a1")  # twice is nothing
    assert not store.exists("uploads/a1")
    assert list(store.keys("uploads/")) == []
    with pytest.raises(NotStored):
        store.get("uploads/a1")
    with pytest.raises(NotStored):
        store.get_file("uploads/a1", copy)
    with pytest.raises(NotStored):
        store.sha256("uploads/a1")
    assert not list(tmp_path.rglob("*.partial"))


def test_keys_list_one_kind_only_and_never_a_half_written_file(store: Storage) -> None:
    for key in ("uploads/b", "uploads/a", "uploads-old/x", "evidence/e", "held-photos/1-t", "held-photos/1-t.name"):
        store.put(key, key.encode())
    if isinstance(store, FileStorage):
        (store.root / "uploads" / "c.partial").write_bytes(b"half")  # a crash before the rename
        (store.root / "registry.db").write_bytes(b"not an object")
    assert list(store.keys("uploads/")) == ["uploads/a", "uploads/b"]
    assert list(store.keys("held-photos/1-t")) == ["held-photos/1-t", "held-photos/1-t.name"]
    assert sorted(store.keys("")) == sorted(
        ["uploads/a", "uploads/b", "uploads-old/x", "evidence/e", "held-photos/1-t", "held-photos/1-t.name"]
    )


@pytest.mark.parametrize("key", ["../secret_key", "/etc/passwd", "uploads/../x", "uploads//x", "", "uploads/.x"])
def test_a_key_cannot_name_anything_outside_the_store(store: Storage, key: str) -> None:
    with pytest.raises(ValueError, match="not a storage key"):
        store.put(key, b"x")
    with pytest.raises(ValueError, match="not a storage key"):
        store.get(key)


def test_writers_at_once_each_leave_a_whole_object(store: Storage) -> None:
    payloads = [bytes([n]) * 300_000 for n in range(6)]
    threads = [threading.Thread(target=store.put, args=("uploads/same", p)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("uploads/same") in payloads


def test_an_unknown_kind_of_store_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="must start with file:// or s3://"):
        storage_at("ftp://host/x")
    with pytest.raises(ValueError, match="REGISTRY_STORAGE_URL"):
        Settings(environment="test", storage_url="minio://bucket")
    with pytest.raises(ValueError, match="keys go in AWS_"):
        storage_at("s3://key:secret@bucket/x")


def test_the_data_folder_is_the_store_unless_another_is_named(tmp_path: Path) -> None:
    plain = storage_for(Settings(environment="test", data_dir=tmp_path))
    assert isinstance(plain, FileStorage) and plain.root == tmp_path
    elsewhere = storage_for(Settings(environment="test", data_dir=tmp_path, storage_url=(tmp_path / "o").as_uri()))
    assert isinstance(elsewhere, FileStorage) and elsewhere.root == tmp_path / "o"


def test_a_large_photo_goes_to_the_bucket_in_parts_never_whole_in_memory(s3_url: str, tmp_path: Path) -> None:
    store = storage_at(s3_url)
    big = tmp_path / "big.jpg"
    with big.open("wb") as out:
        for _ in range(6):
            out.write(os.urandom(PART_BYTES))
    tracemalloc.start()
    try:
        store.put_file("uploads/big", big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert store.sha256("uploads/big") == hashlib.sha256(big.read_bytes()).hexdigest()
    assert peak < 3 * PART_BYTES, f"{peak / 2**20:.0f} MB held to send a {6 * PART_BYTES / 2**20:.0f} MB file"


def test_a_store_out_of_reach_says_so_without_showing_a_secret(
    s3_server: S3Server, s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-" + SECRET_KEY)
    refused = storage_at(s3_url)
    with pytest.raises(StorageError, match="refused the keys") as keys:
        refused.put("uploads/x", b"x")
    with pytest.raises(StorageError, match="refused the keys"):
        refused.check()
    assert SECRET_KEY not in str(keys.value) and SECRET_KEY not in refused.url
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)

    with pytest.raises(StorageError, match="bucket 'no-such-bucket' does not exist"):
        storage_at("s3://no-such-bucket/x").check()
    with pytest.raises(StorageError, match="does not exist"):
        storage_at("s3://no-such-bucket/x").put("uploads/x", b"x")

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://user:pw@127.0.0.1:9")  # nothing listens on port 9
    away = storage_at(s3_url)
    with pytest.raises(StorageError, match=r"at http://127.0.0.1:9 cannot be reached") as unreachable:
        away.get("uploads/x")
    assert "pw" not in str(unreachable.value)

    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(StorageError, match="Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        storage_at(s3_url)


def test_the_sweep_removes_what_no_record_names_from_a_bucket_too(session, s3_url: str, tmp_path: Path) -> None:
    from registry.core.files import sweep_orphans

    settings = Settings(environment="test", data_dir=tmp_path, storage_url=s3_url)
    store = storage_for(settings)
    for key in ("uploads/a1", "evidence/" + "b" * 64, "enrol-previews/c3", "held-photos/1-tok"):
        store.put(key, b"left behind by a crash")
    assert sweep_orphans(session, settings, older_than_seconds=3600) == []  # young: perhaps not committed yet
    swept = sweep_orphans(session, settings)
    assert sorted(swept) == ["enrol-previews/c3", "evidence/" + "b" * 64, "uploads/a1"]
    assert list(store.keys("")) == ["held-photos/1-tok"]  # held photos have their own half-hour clock


def test_a_host_starting_leaves_other_hosts_young_uploads_in_a_shared_bucket(
    session, s3_url: str, tmp_path: Path
) -> None:
    """Another host may be between writing an upload and committing its row, or a worker reading a photo
    handed to it: a host's start sweeps a bucket only of what is older than that could be."""
    import os
    import time

    from registry.core.files import SHARED_STORE_GRACE_SECONDS, sweep_at_start

    folder = Settings(environment="test", data_dir=tmp_path / "own")
    storage_for(folder).put("uploads/a1", b"an interrupted write of this host's own")
    assert sweep_at_start(session, folder) == ["uploads/a1"]  # its own folder: nothing else is in flight

    shared = Settings(environment="test", data_dir=tmp_path / "host", storage_url=s3_url)
    store = storage_for(shared)
    store.put("uploads/in-flight", b"another host's upload, its row not yet committed")
    store.put("analysis/t1.photo", b"a photo a worker is reading")
    assert sweep_at_start(session, shared) == []
    old = FileStorage(tmp_path / "old")  # an object's age, as a folder store can set it
    old.put("analysis/t2.photo", b"left by a service stopped mid-wait")
    hour_ago = time.time() - SHARED_STORE_GRACE_SECONDS - 60
    os.utime(old.path("analysis/t2.photo"), (hour_ago, hour_ago))
    assert sweep_at_start(session, Settings(environment="test", data_dir=tmp_path / "old")) == ["analysis/t2.photo"]
    assert sorted(store.keys("")) == ["analysis/t1.photo", "uploads/in-flight"]

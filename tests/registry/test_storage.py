"""The store behind every kept file: whole writes, plain keys, nothing read outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.core.storage import FileStorage, NotStored, storage_at


def test_an_object_is_kept_read_listed_and_deleted(tmp_path: Path) -> None:
    store = storage_at(tmp_path.as_uri())
    store.put("uploads/a1", b"photo")
    source = tmp_path / "scan.pdf"
    source.write_bytes(b"%PDF" * 400_000)
    store.put_file("evidence/abc", source)
    assert store.get("uploads/a1") == b"photo"
    assert store.get("evidence/abc") == source.read_bytes()
    assert list(store.keys("uploads/")) == ["uploads/a1"]
    assert store.exists("evidence/abc")
    store.delete("uploads/a1")
    store.delete("uploads/a1")  # twice is nothing
    assert not store.exists("uploads/a1")
    with pytest.raises(NotStored):
        store.get("uploads/a1")
    assert not list(tmp_path.rglob("*.partial"))


@pytest.mark.parametrize("key", ["../secret_key", "/etc/passwd", "uploads/../x", "uploads//x", "", "uploads/.x"])
def test_a_key_cannot_name_anything_outside_the_store(tmp_path: Path, key: str) -> None:
    store = FileStorage(tmp_path / "data")
    with pytest.raises(ValueError, match="not a storage key"):
        store.put(key, b"x")
    with pytest.raises(ValueError, match="not a storage key"):
        store.get(key)


def test_an_unknown_kind_of_store_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="must start with file://"):
        storage_at("ftp://host/x")

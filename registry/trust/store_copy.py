"""Copying a data folder's photos and scans into another store (a bucket), for moving to ``s3://``.

Safe to run again, and to stop half-way: an object already in the store with the same size and SHA-256
is left as it is; one that differs (a copy cut off, a wrong file) is written again. Every object written
is read back and its SHA-256 compared, so "copied" means verified.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from registry.core.storage import FileStorage, Storage, StorageError

KINDS = ("uploads", "evidence", "held-photos", "enrol-previews")


@dataclass
class CopyReport:
    copied: int = 0
    already_there: int = 0
    replaced: int = 0  # in the store, but with other bytes: written again
    failed: list[str] = field(default_factory=list)  # "key: why"

    @property
    def total(self) -> int:
        return self.copied + self.already_there + len(self.failed)


def copy_folder_to_store(
    folder: Path, store: Storage, *, progress: Callable[[CopyReport], None] | None = None
) -> CopyReport:
    """Every photo and scan of ``folder`` (a data folder) into ``store``; returns what was done."""
    if isinstance(store, FileStorage) and store.root.resolve() == folder.resolve():
        raise StorageError(f"{folder} is already the store: name another one to copy into (s3://bucket/prefix).")
    if not folder.is_dir():
        raise StorageError(f"There is no data folder at {folder}.")
    source = FileStorage(folder)
    store.check()
    report = CopyReport()
    for kind in KINDS:
        there = {entry.key: entry.size for entry in store.entries(f"{kind}/")}
        for entry in source.entries(f"{kind}/"):
            _copy_one(source, store, entry.key, entry.size, there.get(entry.key), report)
            if progress is not None:
                progress(report)
    return report


def _copy_one(
    source: FileStorage, store: Storage, key: str, size: int, size_there: int | None, report: CopyReport
) -> None:
    try:
        digest = source.sha256(key)
        if size_there == size and store.sha256(key) == digest:
            report.already_there += 1
            return
        store.put_file(key, source.path(key))
        if store.sha256(key) != digest:
            report.failed.append(f"{key}: the copy read back differs from the file")
            return
    except (OSError, StorageError) as exc:
        report.failed.append(f"{key}: {exc}")
        return
    report.copied += 1
    if size_there is not None:
        report.replaced += 1

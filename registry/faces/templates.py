"""Enrolled face templates held in memory once per worker, reloaded when the database says so.

Every change to face_templates bumps registry_state.templates_version in the same transaction;
each request compares that one number before matching, so a template deleted in any worker is
gone from every worker's very next match (no timer, no stale window).
"""

from __future__ import annotations

import threading

import numpy as np
from sqlmodel import Session, col, select, update

from media.matching import TemplateIndex
from registry.models.faces import FaceTemplate
from registry.models.state import RegistryState

TEMPLATES_VERSION = "templates_version"


def encoding_to_bytes(encoding: np.ndarray) -> bytes:
    return np.asarray(encoding, dtype="<f8").reshape(128).tobytes()


def encoding_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f8").reshape(128)


def bump_templates_version(session: Session) -> None:
    session.exec(
        update(RegistryState)
        .where(col(RegistryState.key) == TEMPLATES_VERSION)
        .values(value=col(RegistryState.value) + 1)
    )


def templates_version(session: Session) -> int:
    value = session.exec(select(RegistryState.value).where(RegistryState.key == TEMPLATES_VERSION)).first()
    return int(value or 0)


class TemplateCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = None
        self._index = TemplateIndex.empty()
        self.loads = 0

    def index(self, session: Session) -> TemplateIndex:
        version = templates_version(session)  # read before the rows: a race only causes a reload
        if version == self._version:
            return self._index
        with self._lock:
            if version != self._version:
                rows = session.exec(select(FaceTemplate.person_id, FaceTemplate.encoding)).all()
                encodings = np.stack([encoding_from_bytes(e) for _, e in rows]) if rows else np.empty((0, 128))
                self._index = TemplateIndex([p for p, _ in rows], encodings)
                self._version = version
                self.loads += 1
            return self._index

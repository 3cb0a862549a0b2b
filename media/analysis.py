"""The heavy, database-free half of clearing a photo: decode, detect, encode, make a thumbnail.

``analyse_photo`` takes bytes and explicit numbers and returns a small picklable
``PhotoAnalysis`` (boxes and 128-number encodings, never the decoded pixels), so that it can run
in a worker process and hand back kilobytes instead of a 36 MB pixel array. Matching, deciding
and recording stay in the service process, which has the database and the template cache.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from media.faces import DEFAULT_DETECT_MAX_SIDE, Face, find_faces
from media.images import DEFAULT_MAX_PIXELS, thumbnail_jpeg
from media.redact import face_thumbnail_jpeg

THUMBNAIL_SIDE = 240
FACE_THUMBNAIL_SIDE = 120


@dataclass(frozen=True)
class AnalysisSettings:
    """The numbers the analysis depends on, as plain values a worker process can receive."""

    detect_max_side: int = DEFAULT_DETECT_MAX_SIDE
    max_pixels: int = DEFAULT_MAX_PIXELS
    thumbnail_side: int = THUMBNAIL_SIDE
    face_thumbnails: bool = False


@dataclass(frozen=True, eq=False)
class PhotoAnalysis:
    width: int
    height: int
    taken_at: datetime | None
    faces: tuple[Face, ...]
    sha256: str
    thumbnail: bytes = field(repr=False)
    # 120 px crops of each face, only when asked for (enrolment keeps one with each template).
    face_thumbnails: tuple[bytes, ...] = field(default=(), repr=False)


def analyse_photo(data: bytes, how: AnalysisSettings = AnalysisSettings()) -> PhotoAnalysis:  # noqa: B008
    """Faces left to right, with encodings from the full-resolution photo; raises ImageRejected."""
    photo, faces = find_faces(data, detect_max_side=how.detect_max_side, max_pixels=how.max_pixels)
    crops = tuple(face_thumbnail_jpeg(photo, face.box, max_side=FACE_THUMBNAIL_SIDE) for face in faces
                  ) if how.face_thumbnails else ()
    return PhotoAnalysis(
        width=photo.width, height=photo.height, taken_at=photo.taken_at, faces=tuple(faces),
        sha256=hashlib.sha256(data).hexdigest(), thumbnail=thumbnail_jpeg(photo.rgb, max_side=how.thumbnail_side),
        face_thumbnails=crops,
    )


def warm_up(owner_pid: int | None = None) -> None:
    """Runs in each new worker process: touch the models once, and end with the process that owns the pool.

    A worker of a killed service would otherwise wait for work for ever: it holds both ends of its
    own task pipe, so it never sees the owner go.
    """
    import numpy as np

    from media.faces import detect_boxes

    detect_boxes(np.zeros((64, 64, 3), dtype=np.uint8), detect_max_side=64)
    if owner_pid is not None:
        threading.Thread(target=_exit_with, args=(owner_pid,), name="owner-watch", daemon=True).start()


def _exit_with(owner_pid: int) -> None:
    while True:
        time.sleep(2)
        try:
            os.kill(owner_pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass

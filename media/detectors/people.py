"""People standing or sitting upright, face or no face: OpenCV's HOG people detector.

Dalal and Triggs' detector with the default 64 x 128 people model that ships in
``opencv-python-headless``. A person whose face is covered, turned away or too far to see still has a
body. Chosen by measurement (``benchmarks/people.py``): of the detectors that ship with their model it
finds the most people whose face is covered for the fewest false reviews. A person must be about
128 px tall in the copy searched (about a fifth of the photo's height), and clearly a person (``SCORE``):
people far away, or seen from behind in a crowd, are not found by it.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from media.detectors import Candidate
from media.faces import Box
from media.images import downscale

DEFAULT_SIDE = 640
# The SVM's score a window needs. Measured on the 40 photos without people of tests/data (benchmarks/
# precision.py's set) and the 25 photos of people: at 0.0 it saw a "person" in 8 of the 40 (brushes, cups, a
# room, bricks, coins, a rocket...: 0.06-0.61) and in one portrait (0.65), at 0.5 in one photo without people
# and that portrait. Faces covered, turned or far away are YuNet's to find; this detector is only for a person
# whose face cannot be seen at all, and it must not send every other empty photo to a reviewer.
SCORE = 0.5
STRIDE = 8
SCALE_STEP = 1.05
WINDOW = (64, 128)  # the model's window: width, height


@cache
def _detector() -> cv2.HOGDescriptor:
    cv2.setNumThreads(1)  # each worker process of the pool is one search; threads would fight over the cores
    detector = cv2.HOGDescriptor()
    detector.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), dtype=np.float32))
    return detector


def people_in(rgb: np.ndarray, *, score: float) -> tuple[np.ndarray, np.ndarray]:
    """The windows of ``rgb`` (as searched, unscaled) where the people model scores at least ``score``, and
    their scores; none in an image smaller than one person (OpenCV would read past it)."""
    if rgb.shape[0] < WINDOW[1] or rgb.shape[1] < WINDOW[0]:
        return np.empty((0, 4)), np.empty(0)
    rects, weights = _detector().detectMultiScale(
        cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR),
        hitThreshold=score,
        winStride=(STRIDE, STRIDE),
        padding=(16, 16),
        scale=SCALE_STEP,
    )
    return np.asarray(rects).reshape(-1, 4), np.ravel(weights)


class People:
    finds = "people standing or sitting upright, about 128 px tall or more in a 640 px copy, face or no face"

    def __init__(self, side: int = DEFAULT_SIDE) -> None:
        self.side = side
        self.name = f"people@{side} upright (opencv hog)"

    def run(self, rgb: np.ndarray) -> list[Candidate]:
        small, scale = downscale(rgb, max_side=self.side)
        rects, weights = people_in(small, score=SCORE)
        height, width = rgb.shape[:2]
        found = []
        for (x, y, w, h), weight in zip(rects, weights, strict=True):
            box = Box(
                top=max(0, round(y * scale)),
                right=min(width, round((x + w) * scale)),
                bottom=min(height, round((y + h) * scale)),
                left=max(0, round(x * scale)),
            )
            found.append(Candidate(box=box, detector="people", score=float(weight), kind="person"))
        return found

"""The detectors the finding stage runs, one small module each (see ``media/finding.py``).

Each detector says what it finds (``finds``) and returns ``Candidate``s: where, in the upright
photo's pixels, something was seen, how the photo had to be turned for it to be upright, and how
sure the detector is. A candidate is only a claim: ``media/finding.py`` checks each one with a second,
independent model before it may change a decision, and merges the detections of one face into one.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from media.faces import Box


@dataclass(frozen=True)
class Candidate:
    """Something one detector saw: a face (``kind == "face"``) or a person's body (``"person"``)."""

    box: Box  # in the upright photo's pixels, clipped to the photo
    detector: str
    score: float
    kind: str = "face"
    # Degrees the photo must be turned counter-clockwise for this face to be upright (the quarter turn
    # it was found at plus the head's own roll, read from its eyes).
    degrees: float = 0.0
    # How much of the face lies outside the photo (0: all of it inside).
    outside: float = 0.0
    # The face's own size along its eyes-to-mouth axis, in the photo's pixels (the box of a turned face is
    # an upright box around it).
    size: float = field(default=0.0)

    @property
    def face_px(self) -> int:
        return round(self.size) if self.size else self.box.size


class Detector(Protocol):
    name: str  # as recorded in a clearance's ``engine.searches``
    finds: str  # in words, for the README and a reviewer

    def run(self, rgb: np.ndarray) -> list[Candidate]: ...


def turned_back(x: float, y: float, quarter_turns: int, width: int, height: int) -> tuple[float, float]:
    """A point of ``np.rot90(photo, quarter_turns)`` in the photo's own (width x height) coordinates."""
    k = quarter_turns % 4
    if k == 0:
        return x, y
    if k == 1:
        return width - y, x
    if k == 2:
        return width - x, height - y
    return y, height - x


def box_around(points: list[tuple[float, float]], width: int, height: int) -> tuple[Box, float]:
    """The upright box around ``points``, clipped to the photo, and the share of it that lay outside."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
    area = max(1e-6, (right - left) * (bottom - top))
    inside_w = max(0.0, min(right, width) - max(left, 0.0))
    inside_h = max(0.0, min(bottom, height) - max(top, 0.0))
    box = Box(
        top=max(0, math.floor(top)),
        right=min(width, math.ceil(right)),
        bottom=min(height, math.ceil(bottom)),
        left=max(0, math.floor(left)),
    )
    return box, 1.0 - inside_w * inside_h / area


_networks = threading.local()


def tflite_net(model: Path) -> cv2.dnn.Net:
    """``model`` read by OpenCV's TFLite reader, once per thread: an OpenCV network is not to be shared."""
    nets: dict[Path, cv2.dnn.Net] | None = getattr(_networks, "nets", None)
    if nets is None:
        nets = _networks.nets = {}
    if model not in nets:
        nets[model] = cv2.dnn.readNetFromTFLite(str(model))
    return nets[model]

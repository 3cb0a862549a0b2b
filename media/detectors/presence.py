"""Is there a face in this crop? MediaPipe's face-landmark network's face-presence score.

The network (``face_landmark.tflite``, MediaPipe, Apache License 2.0, kept in ``media/models`` with its
source and SHA-256; run by OpenCV's TFLite reader, nothing downloaded) is made to place 468 points on a
face that a detector has found, and it also says how sure it is that a face is there at all. That makes
it a second, independent opinion on a detection: trained apart from the detectors, on whole face crops.
Measured (``benchmarks/recall.py``): on the detections in photos without people it scores 0.00; on real
faces, turned upright, 0.98-1.00, and 0.5-1.0 with the upper half covered.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from media.detectors import tflite_net

MODEL = Path(__file__).resolve().parents[1] / "models" / "face_landmark.tflite"
INPUT_SIDE = 192
# The share of a square crop (the face in its middle) the network is shown: MediaPipe crops a face 1.5
# times its detected size.
FACE_SHARE_SHOWN = 1.5


def face_presence(crop: np.ndarray, *, faces_wide: float) -> float:
    """How sure the network is (0 to 1) that the upright face in the middle of ``crop`` is a face.

    ``crop`` is square, RGB, with the face at its centre, ``faces_wide`` faces wide."""
    side = crop.shape[0]
    keep = side * min(1.0, FACE_SHARE_SHOWN / faces_wide)
    start = round((side - keep) / 2)
    middle = crop[start : start + round(keep), start : start + round(keep)]
    if middle.size == 0:
        return 0.0
    pixels = cv2.resize(np.ascontiguousarray(middle), (INPUT_SIDE, INPUT_SIDE), interpolation=cv2.INTER_AREA)
    net = tflite_net(MODEL)
    net.setInput(np.ascontiguousarray((pixels.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]))
    outputs = net.forward(list(net.getUnconnectedOutLayersNames()))
    flag = next(o for o in outputs if o.size == 1)
    return float(1.0 / (1.0 + np.exp(-np.clip(float(flag.reshape(-1)[0]), -60.0, 60.0))))

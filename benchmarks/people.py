"""Which detector tells that a person is present when no face can be checked: the comparison.

Run from the repository root:  .venv/bin/python -m benchmarks.people [--quick]

Every candidate ships its model inside a PyPI wheel: OpenCV's HOG people detector and Haar cascades
(``opencv-python-headless``), dlib's HOG face detector below its threshold and its CNN face detector
(``face_recognition_models``), and MediaPipe's BlazeFace (from the ``mediapipe`` 0.10.14 wheel, kept in
``media/models`` and run by OpenCV). Each runs upright on a copy at most 640 px long (dlib's HOG at 800 px)
over the recall set of ``benchmarks/recall.py`` under a few conditions (a person counts as found when
a detection lies over the face's centre) and over the photos without people of
``benchmarks/recall.py`` (any detection is a false review), and over the one-person portraits of
``tests/data/faces/people``, where a detection away from the face dlib finds is a person who is not
there (a false review of a photo that would have been allowed). The closer look uses the one chosen in
``media/finding.py``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import cv2
import dlib
import face_recognition_models
import numpy as np

from benchmarks.conditions import CONDITIONS
from benchmarks.machine import OtherLoad
from benchmarks.recall import DATA, FULL_FACES, QUICK_FACES, jpeg, recall_set, scenes_without_people
from media import face_net, finding
from media.faces import Box, find_faces
from media.images import decode_photo, downscale

Rect = tuple[float, float, float, float]  # left, top, width, height in the photo's pixels
Detector = Callable[[np.ndarray], list[Rect]]
CONDITIONS_COMPARED = ("upper half covered", "lower half covered", "upright", "dim", "backlit", "turned 90°")


def haar(name: str, neighbours: int) -> Detector:
    cascade = cv2.CascadeClassifier(str(cv2.data.haarcascades) + f"haarcascade_{name}.xml")  # type: ignore[attr-defined]

    def detect(rgb: np.ndarray) -> list[Rect]:
        small, scale = downscale(rgb, max_side=640)
        grey = cv2.equalizeHist(cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2GRAY))
        found = cascade.detectMultiScale(grey, scaleFactor=1.05, minNeighbors=neighbours, minSize=(24, 24))
        return [(x * scale, y * scale, w * scale, h * scale) for x, y, w, h in found]

    return detect


def opencv_people(score: float) -> Detector:
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), dtype=np.float32))

    def detect(rgb: np.ndarray) -> list[Rect]:
        small, scale = downscale(rgb, max_side=640)
        bgr = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2BGR)
        found, _ = hog.detectMultiScale(bgr, hitThreshold=score, winStride=(8, 8), padding=(16, 16), scale=1.05)
        return [(x * scale, y * scale, w * scale, h * scale) for x, y, w, h in found]

    return detect


def dlib_hog(score: float) -> Detector:
    def detect(rgb: np.ndarray) -> list[Rect]:
        small, scale = downscale(rgb, max_side=800)
        boxes, _, _ = dlib.get_frontal_face_detector().run(small, 1, score)
        return [(r.left() * scale, r.top() * scale, r.width() * scale, r.height() * scale) for r in boxes]

    return detect


def dlib_cnn(rgb: np.ndarray) -> list[Rect]:
    small, scale = downscale(rgb, max_side=640)
    return [
        (d.rect.left() * scale, d.rect.top() * scale, d.rect.width() * scale, d.rect.height() * scale)
        for d in dlib.cnn_face_detection_model_v1(face_recognition_models.cnn_face_detector_model_location())(small, 0)
    ]


def blazeface(sizes: int, step: float = face_net.WINDOW_STEP, share: float = face_net.MIN_WINDOW_SHARE) -> Detector:
    """MediaPipe's BlazeFace over the windows of media/face_net.py (1600 px copy), a face where ``sizes``
    window sizes agree; ``step`` is how much smaller each window size is than the last, and windows go down
    to ``share`` of the photo's long side."""

    def detect(rgb: np.ndarray) -> list[Rect]:
        small, scale = downscale(rgb, max_side=finding.DEFAULT_SIDE)
        height, width = small.shape[:2]
        seen = [
            (box, score, window[2])
            for windows in face_net.window_sizes(width, height, min_share=share, step=step)
            for window in windows
            for box, score in face_net.detect(small, window)
        ]
        return [
            (b.left * scale, b.top * scale, b.width * scale, b.height * scale)
            for b, _ in face_net.agreed(seen, sizes=sizes)
        ]

    return detect


def not_under_a_face(bodies: Detector) -> Detector:
    """Bodies, less those that belong to a face the first search finds (media/finding.py's rule)."""

    def detect(rgb: np.ndarray) -> list[Rect]:
        _, faces = find_faces(jpeg(rgb))
        found = bodies(rgb)
        return [
            r
            for r in found
            if not any(
                finding._belongs_to(
                    Box(top=round(r[1]), right=round(r[0] + r[2]), bottom=round(r[1] + r[3]), left=round(r[0])), f.box
                )
                for f in faces
            )
        ]

    return detect


def with_a_face_inside(bodies: Detector, faces: Detector) -> Detector:
    """A body that a face-like detection confirms: two weak detectors agreeing on one place."""

    def detect(rgb: np.ndarray) -> list[Rect]:
        found = faces(rgb)
        return [b for b in bodies(rgb) if any(_centre_inside(f, b) for f in found)]

    return detect


def candidates() -> dict[str, Detector]:
    return {
        "MediaPipe BlazeFace, two window sizes agree (chosen, with the people detector)": blazeface(2),
        "MediaPipe BlazeFace, any window size": blazeface(1),
        "MediaPipe BlazeFace, two sizes agree, windows down to 256 px": blazeface(2, share=0.0),
        "MediaPipe BlazeFace, two sizes agree, windows halving by √2": blazeface(2, step=2**0.5),
        "MediaPipe BlazeFace, three sizes agree": blazeface(3),
        "OpenCV HOG people, score ≥ 0 (chosen, with BlazeFace)": not_under_a_face(opencv_people(0.0)),
        "OpenCV HOG people, score ≥ 0, bodies under a face counted": opencv_people(0.0),
        "OpenCV HOG people, score ≥ -0.3": opencv_people(-0.3),
        "OpenCV Haar upper body (3 neighbours)": haar("upperbody", 3),
        "OpenCV Haar full body": haar("fullbody", 3),
        "OpenCV Haar profile face": haar("profileface", 3),
        "OpenCV Haar frontal face alt2": haar("frontalface_alt2", 3),
        "dlib HOG face, score ≥ -1.0": dlib_hog(-1.0),
        "dlib CNN face, any confidence": dlib_cnn,
        "Haar upper body with a dlib HOG ≥ -1.0 face in it": with_a_face_inside(haar("upperbody", 3), dlib_hog(-1.0)),
    }


def _centre_inside(inner: Rect, outer: Rect) -> bool:
    cx, cy = inner[0] + inner[2] / 2, inner[1] + inner[3] / 2
    return outer[0] <= cx <= outer[0] + outer[2] and outer[1] <= cy <= outer[1] + outer[3]


def _elsewhere(found: Rect, faces: list[Box]) -> bool:
    """A detection that is not the portrait's face (dlib's): neither lies over the other's centre."""
    for face in faces:
        box = (float(face.left), float(face.top), float(face.width), float(face.height))
        if _centre_inside(found, box) or _centre_inside(box, found):
            return False
    return True


def _over_centre(found: list[Rect], shape: tuple[int, ...]) -> bool:
    cy, cx = shape[0] / 2, shape[1] / 2
    return any(x - w / 4 <= cx <= x + w * 1.25 and y - h / 4 <= cy <= y + h * 1.25 for x, y, w, h in found)


def comparison(faces: int, only: str = "") -> list[str]:
    samples = recall_set(faces)
    photos = {
        condition: [decode_photo(jpeg(np.ascontiguousarray(CONDITIONS[condition](s.rgb, s.box)))).rgb for s in samples]
        for condition in CONDITIONS_COMPARED
    }
    empty = scenes_without_people()
    portraits = [find_faces(p.read_bytes()) for p in sorted((DATA / "faces" / "people").glob("*/*"))]
    rows = [
        "| detector | "
        + " | ".join(CONDITIONS_COMPARED)
        + " | false reviews (no people) | portraits with a person who is not there | CPU ms/photo |",
        "|---" * (len(CONDITIONS_COMPARED) + 4) + "|",
    ]
    for name, detect in candidates().items():
        if only not in name:
            continue
        cells, cpu, runs = [], 0.0, 0
        for condition in CONDITIONS_COMPARED:
            hits = 0
            for rgb in photos[condition]:
                start = time.process_time()
                hits += _over_centre(detect(rgb), rgb.shape)
                cpu, runs = cpu + time.process_time() - start, runs + 1
            cells.append(f"{hits}/{len(samples)}")
        false = [scene for scene, rgb in empty.items() if detect(rgb)]
        invented = sum(
            any(_elsewhere(r, [f.box for f in faces]) for r in detect(photo.rgb)) for photo, faces in portraits
        )
        rows.append(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {len(false)}/{len(empty)} | {invented}/{len(portraits)} | {1000 * cpu / runs:.0f} |"
        )
        print(rows[-1], "  false on:", ", ".join(false) or "none", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_FACES} faces instead of {FULL_FACES}")
    parser.add_argument("--only", default="", help="only the detectors whose name holds these words")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    with OtherLoad() as other:
        rows = comparison(QUICK_FACES if args.quick else FULL_FACES, args.only)
    print("\n" + "\n".join(rows) + "\n\n" + other.sentence() + "\n")


if __name__ == "__main__":
    main()

"""Which detector finds the people whose faces cannot be seen: seen from behind, turned away, far away.

Run from the repository root:  .venv/bin/python -m benchmarks.backs [--only WORDS]

Every candidate ships its model inside a PyPI wheel or is a small file from one: OpenCV's HOG people
detectors (Dalal and Triggs' 64 x 128 model, and the Daimler 48 x 96 model) and Haar cascades
(``opencv-python-headless``); MediaPipe's selfie segmentation (``selfie_segmentation.tflite``) and pose
detector (``pose_detection.tflite``), both from the ``mediapipe`` 0.10.14 wheel. OpenCV's TFLite reader
cannot read the pose detector (its weights are stored sparse: the DENSIFY operator), so it is measured
only where LiteRT (``ai_edge_litert``) is importable; the MediaPipe files are looked for in
``MEDIAPIPE`` (``pip download mediapipe==0.10.14 --no-deps`` and unzip the wheel there).

Each detector runs on a copy of the photo scaled to its side, up or down, as it would see a 12 MP photo.
Measured, with the rule of ``media/finding.py`` that a body belonging to a face found is that face's
(``_belongs_to``; faces found by dlib's HOG, and those annotated in ``tests/data/faces-wild``):

- people whose faces cannot be seen (``tests/data/backs/people.csv``: the frames of OpenCV's sample
  video and the people at the bar of ``groups-wild/2008_002079.jpg``): a person is found when a
  detection that belongs to no face has its centre in the person's box;
- the 40 photos without people (``tests/data/scenes``, ``tests/data/no-people``): flagged when any
  detection is made there, by the candidate with the people detector of the closer look
  (``media/detectors/people.py``) beside it;
- the 30 photos of consented people (portraits and groups of tests/data): flagged when a detection
  belongs to no face found (a "person without a face" who is not there);
- CPU milliseconds on one 12 MP photo (4000 x 3000), one thread.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

import cv2
import numpy as np

from benchmarks.machine import OtherLoad
from benchmarks.recall import DATA
from media.detectors.far_people import FarPeople
from media.detectors.people import People
from media.faces import Box, find_faces
from media.finding import _belongs_to
from media.images import decode_photo

MEDIAPIPE = Path(os.environ.get("MEDIAPIPE", "/tmp/mp")) / "mediapipe" / "modules"
BACKS = DATA / "backs"
BAR = "2008_002079.jpg"  # people at a bar seen from behind, behind a consented group at a table
Detect = Callable[[np.ndarray], list[Box]]
Rect = tuple[float, float, float, float]  # left, top, width, height in a copy's pixels


@dataclass(frozen=True)
class Photo:
    name: str
    rgb: np.ndarray
    faces: tuple[Box, ...]  # found by dlib's HOG, and annotated where the photo has annotations
    people: tuple[Box, ...] = ()  # people whose faces cannot be seen


def scaled(rgb: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """``rgb`` with its long side ``side`` (larger or smaller), and the factor back to ``rgb``'s pixels."""
    height, width = rgb.shape[:2]
    ratio = side / max(height, width)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    resample = cv2.INTER_AREA if ratio < 1 else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(rgb), size, interpolation=resample), width / size[0]


def _back(rects: list[Rect], scale: float, shape: tuple[int, ...]) -> list[Box]:
    height, width = shape[:2]
    return [
        Box(
            top=max(0, round(y * scale)),
            right=min(width, round((x + w) * scale)),
            bottom=min(height, round((y + h) * scale)),
            left=max(0, round(x * scale)),
        )
        for x, y, w, h in rects
    ]


def hog(side: int, score: float, *, daimler: bool = False) -> Detect:
    """OpenCV's HOG people detector (the closer look's settings), or with the Daimler 48 x 96 model as
    OpenCV's own sample (``peopledetect``) sets it up."""
    if daimler:
        detector = cv2.HOGDescriptor((48, 96), (16, 16), (8, 8), (8, 8), 9)
        model = cv2.HOGDescriptor.getDaimlerPeopleDetector()
    else:
        detector = cv2.HOGDescriptor()
        model = cv2.HOGDescriptor.getDefaultPeopleDetector()
    detector.setSVMDetector(np.asarray(model, dtype=np.float32))

    def detect(rgb: np.ndarray) -> list[Box]:
        small, scale = scaled(rgb, side)
        bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
        rects, _ = detector.detectMultiScale(bgr, hitThreshold=score, winStride=(8, 8), padding=(16, 16), scale=1.05)
        return _back([(float(x), float(y), float(w), float(h)) for x, y, w, h in rects], scale, rgb.shape)

    return detect


def haar(name: str, side: int, neighbours: int) -> Detect:
    cascade = cv2.CascadeClassifier(str(cv2.data.haarcascades) + f"haarcascade_{name}.xml")  # type: ignore[attr-defined]

    def detect(rgb: np.ndarray) -> list[Box]:
        small, scale = scaled(rgb, side)
        grey = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
        rects = cascade.detectMultiScale(grey, scaleFactor=1.05, minNeighbors=neighbours, minSize=(24, 24))
        return _back([(float(x), float(y), float(w), float(h)) for x, y, w, h in rects], scale, rgb.shape)

    return detect


def windows(width: int, height: int, shares: tuple[float, ...]) -> list[tuple[int, int, int]]:
    """Square windows (left, top, side) of each share of the long side, overlapping by half."""
    found: list[tuple[int, int, int]] = []
    for share in shares:
        side = round(max(width, height) * share)
        step = max(1, side // 2)
        xs = [0] if side >= width else sorted({*range(0, width - side + 1, step), width - side})
        ys = [0] if side >= height else sorted({*range(0, height - side + 1, step), height - side})
        found.extend((x, y, side) for y in ys for x in xs)
    return found


def _square(rgb: np.ndarray, window: tuple[int, int, int], side: int) -> np.ndarray:
    left, top, size = window
    square = np.zeros((size, size, 3), dtype=np.uint8)
    part = rgb[top : top + size, left : left + size]
    square[: part.shape[0], : part.shape[1]] = part
    return cv2.resize(square, (side, side), interpolation=cv2.INTER_AREA)


def selfie_segmentation(shares: tuple[float, ...], share_of_window: float) -> Detect:
    """MediaPipe's selfie segmentation over square windows: a person where the mask (> 0.5) holds a blob
    of at least ``share_of_window`` of the window's area."""
    net = cv2.dnn.readNetFromTFLite(str(MEDIAPIPE / "selfie_segmentation" / "selfie_segmentation.tflite"))

    def detect(rgb: np.ndarray) -> list[Box]:
        small, scale = scaled(rgb, 1280)
        found = []
        for window in windows(small.shape[1], small.shape[0], shares):
            pixels = _square(small, window, 256).astype(np.float32) / 255.0
            net.setInput(np.ascontiguousarray(pixels.transpose(2, 0, 1)[None]))
            mask = (net.forward().reshape(256, 256) > 0.5).astype(np.uint8)
            count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
            left, top, size = window
            for x, y, w, h, area in stats[1:count]:
                if area >= share_of_window * 256 * 256:
                    k = size / 256
                    found.append((left + x * k, top + y * k, w * k, h * k))
        return _back(found, scale, rgb.shape)

    return detect


def _pose_anchors() -> np.ndarray:
    centres: list[tuple[float, float]] = []
    for stride, per_cell in ((8, 2), (16, 2), (32, 6)):
        cells = 224 // stride
        centres.extend(
            ((x + 0.5) / cells, (y + 0.5) / cells) for y in range(cells) for x in range(cells) for _ in range(per_cell)
        )
    return np.asarray(centres, dtype=np.float32)


def pose_detection(shares: tuple[float, ...], score: float) -> Detect | None:
    """MediaPipe's pose detector (BlazePose's, 224 x 224) over square windows; a person is the circle
    around the hips the network draws, as a box. None where LiteRT is not installed."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        return None
    interpreter = Interpreter(str(MEDIAPIPE / "pose_detection" / "pose_detection.tflite"), num_threads=1)
    interpreter.allocate_tensors()
    given = interpreter.get_input_details()[0]["index"]
    outputs = interpreter.get_output_details()
    anchors = _pose_anchors()

    def detect(rgb: np.ndarray) -> list[Box]:
        small, scale = scaled(rgb, 1280)
        found = []
        for left, top, size in windows(small.shape[1], small.shape[0], shares):
            pixels = _square(small, (left, top, size), 224).astype(np.float32) / 127.5 - 1.0
            interpreter.set_tensor(given, pixels[None])
            interpreter.invoke()
            out = {int(o["shape"][-1]): interpreter.get_tensor(o["index"])[0] for o in outputs}
            scores = 1.0 / (1.0 + np.exp(-np.clip(out[1][:, 0].astype(np.float64), -60.0, 60.0)))
            for index in np.flatnonzero(scores >= score):
                raw = out[12][index] / 224
                hips = (anchors[index] + raw[4:6]) * size + (left, top)
                reach = float(np.hypot(*((anchors[index] + raw[6:8]) * size + (left, top) - hips)))
                found.append((hips[0] - reach, hips[1] - reach, 2 * reach, 2 * reach))
        return _back(found, scale, rgb.shape)

    return detect


def agreeing(bodies: Detect, second: Detect | None) -> Detect | None:
    """The bodies in which a second, independent detector agrees a person is: one of its boxes overlaps
    the body by at least half of the smaller box."""
    if second is None:
        return None

    def detect(rgb: np.ndarray) -> list[Box]:
        found = bodies(rgb)
        others = second(rgb) if found else []
        return [b for b in found if any(_overlap(b, o) >= 0.5 for o in others)]

    return detect


def _overlap(a: Box, b: Box) -> float:
    width = max(0, min(a.right, b.right) - max(a.left, b.left))
    height = max(0, min(a.bottom, b.bottom) - max(a.top, b.top))
    return width * height / max(1, min(a.width * a.height, b.width * b.height))


def today(rgb: np.ndarray) -> list[Box]:
    """The closer look's people detector as it runs now (``media/detectors/people.py``)."""
    return [c.box for c in People().run(rgb)]


def far_people(rgb: np.ndarray) -> list[Box]:
    return [c.box for c in FarPeople().run(rgb)]


def together(first: Detect, second: Detect) -> Detect:
    """Both detectors run, their detections added up."""
    return lambda rgb: [*first(rgb), *second(rgb)]


def candidates() -> dict[str, Detect | None]:
    found: dict[str, Detect | None] = {
        "The closer look's people detector (media/detectors/people.py: HOG people 640, score 0.5)": today,
        "HOG people 640, score 0.5 (small photos scaled up)": hog(640, 0.5),
    }
    for side, scores in ((960, (0.5, 1.0)), (1280, (0.5, 0.75, 1.0)), (1600, (0.5, 1.0, 1.25))):
        for score in scores:
            found[f"HOG people {side}, score {score}"] = hog(side, score)
    found["Far people (media/detectors/far_people.py: HOG people 1280, score 1.0)"] = far_people
    found["Far people and the closer look's people detector together"] = together(far_people, today)
    for side in (640, 960, 1280):
        for score in (0.5, 1.0, 1.5, 2.0):
            found[f"Daimler HOG people {side}, score {score}"] = hog(side, score, daimler=True)
    for name in ("upperbody", "fullbody", "lowerbody"):
        for side in (640, 1280):
            found[f"Haar {name} {side}, 3 neighbours"] = haar(name, side, 3)
    found["Selfie segmentation, windows 1, 1/2, 1/3, blob 2 %"] = selfie_segmentation((1.0, 0.5, 0.35), 0.02)
    for score in (0.7, 0.9):
        found[f"Pose detection, windows 1, 1/2, 1/3, score {score}"] = pose_detection((1.0, 0.5, 0.35), score)
    daimler = hog(640, 0.5, daimler=True)
    found["Daimler HOG people 640, score 0.5, selfie segmentation agrees"] = agreeing(
        daimler, selfie_segmentation((1.0, 0.5, 0.35), 0.002)
    )
    found["Daimler HOG people 640, score 0.5, pose detection (0.5) agrees"] = agreeing(
        daimler, pose_detection((1.0, 0.5, 0.35), 0.5)
    )
    return found


def _annotated_faces() -> dict[str, list[Box]]:
    boxes: dict[str, list[Box]] = {}
    for xml in sorted((DATA / "faces-wild").glob("*.xml")):
        for image in ElementTree.parse(xml).iter("image"):
            for b in image.iter("box"):
                top, left, width, height = (int(b.get(k, "0")) for k in ("top", "left", "width", "height"))
                box = Box(top=top, right=left + width, bottom=top + height, left=left)
                boxes.setdefault(str(image.get("file")), []).append(box)
    return boxes


def _photo(path: Path, people: tuple[Box, ...] = ()) -> Photo:
    decoded, faces = find_faces(path.read_bytes())
    annotated = _annotated_faces().get(path.name, [])
    return Photo(path.name, decoded.rgb, (*[f.box for f in faces], *annotated), people)


@cache
def photo_sets() -> tuple[list[Photo], list[Photo], list[Photo]]:
    """The photos with people whose faces cannot be seen, the 40 without people, the 30 of consented people."""
    people: dict[str, list[Box]] = {}
    with (BACKS / "people.csv").open() as rows:
        for row in csv.DictReader(rows):
            top, right, bottom, left = (int(row[k]) for k in ("top", "right", "bottom", "left"))
            people.setdefault(row["photo"], []).append(Box(top=top, right=right, bottom=bottom, left=left))
    backs = [_photo((BACKS / name).resolve(), tuple(boxes)) for name, boxes in people.items()]
    empty_paths = [*sorted((DATA / "scenes").glob("*.jpg")), *sorted((DATA / "no-people").iterdir())]
    empty = [Photo(p.name, decode_photo(p.read_bytes()).rgb, ()) for p in empty_paths]
    consented_paths = [
        *sorted((DATA / "faces" / "people").glob("*/*")),
        *sorted((DATA / "faces" / "groups").glob("*")),
        *sorted((DATA / "more-people").glob("*")),
        *sorted((DATA / "faces-wild").glob("*.jpg")),
        *[p for p in sorted((DATA / "groups-wild").glob("*.jpg")) if p.name != BAR],
    ]
    return backs, empty, [_photo(p) for p in consented_paths]


def without_a_face(detect: Detect, photo: Photo) -> list[Box]:
    """The detections in ``photo`` that belong to no face found: people whose faces cannot be seen."""
    return [b for b in detect(photo.rgb) if not any(_belongs_to(b, face) for face in photo.faces)]


def twelve_mp() -> np.ndarray:
    rgb = decode_photo((BACKS / "vtest-610.jpg").read_bytes()).rgb
    return cv2.resize(rgb, (4000, 3000), interpolation=cv2.INTER_LINEAR)


def measure(name: str, detect: Detect) -> str:
    backs, empty, consented = photo_sets()
    bars = next(p.people for p in backs if p.name == BAR)
    found = total = photos_found = at_the_bar = 0
    for photo in backs:
        seen = without_a_face(detect, photo)
        hits = sum(any(b.centre_in(person) for b in seen) for person in photo.people)
        found, total, photos_found = found + hits, total + len(photo.people), photos_found + (hits > 0)
        at_the_bar += hits if photo.name == BAR else 0
    alone = [p.name for p in empty if detect(p.rgb)]
    flagged = [p.name for p in empty if p.name in alone or today(p.rgb)]
    invented = [p.name for p in consented if without_a_face(detect, p)]
    big = twelve_mp()
    detect(big)  # the first run reads the model
    start = time.process_time()
    detect(big)
    ms = 1000 * (time.process_time() - start)
    row = (
        f"| {name} | {found}/{total} | {photos_found}/{len(backs)} | {at_the_bar}/{len(bars)} "
        f"| {len(alone)}/{len(empty)} ({len(flagged)}) | {len(invented)}/{len(consented)} | {ms:.0f} |"
    )
    print(row, " flagged:", ", ".join(flagged) or "none", "; consented:", ", ".join(invented) or "none", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", default="", help="only the detectors whose name starts with one of these, comma-separated"
    )
    args = parser.parse_args()
    cv2.setNumThreads(1)
    header = [
        "| detector and setting | people without a face found | photos with one found | of them at the bar "
        "| photos without people flagged: alone (with today's) | consented photos with a person without a face "
        "| CPU ms per 12 MP |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = []
    with OtherLoad() as other:
        for name, detect in candidates().items():
            if not name.startswith(tuple(args.only.split(","))):
                continue
            if detect is None:
                print(f"| {name} | not run: ai_edge_litert is not installed |")
                continue
            rows.append(measure(name, detect))
    print("\n" + "\n".join(header + rows) + "\n\n" + other.sentence() + "\n")


if __name__ == "__main__":
    main()

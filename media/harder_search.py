"""The harder search: faces the first, upright HOG search misses, and signs of people without a face.

dlib's HOG detector finds upright, roughly frontal faces. A photo turned without an orientation
tag, a tilted head, a face in profile, half covered or in hard light is "no face" to it, and a face
never found is never blocked. So before a photo is allowed on the strength of finding no unknown
face, it is searched again here:

- the HOG detector on copies turned to all four orientations and the four tilts between them:
  upright it finds heads rolled up to about 35°, and few beyond 50°;
- dlib's CNN (MMOD) face detector, which ships in ``face_recognition_models``, in all four
  orientations: it keeps finding faces that are dim, backlit, half covered or turned aside;
- upright detections just below HOG's threshold are kept apart as *doubtful*, and so are the CNN's
  least confident ones: something face-like whose face cannot be checked, so a person may be there;
- a person detector that needs no face (OpenCV's HOG people detector, bundled with
  ``opencv-python-headless``): a person whose face is covered, with sunglasses and a hat, or turned
  away still has a body. A person found where no face was is *unchecked*;
- a second face detector, MediaPipe's BlazeFace (``media/face_net.py``), over overlapping windows of
  the upright photo: it sees faces with the eyes and forehead covered, which neither dlib detector
  does. A face only it finds is not encoded (half a face could match the wrong child): it too is a
  person whose face could not be checked.

Faces found are encoded from a crop turned upright, and matched like any other. Each pass is
named in ``searches``; a search that runs out of its time budget says so in ``unfinished`` and
what it found so far stands. Numbers are measured in ``benchmarks/recall.py``.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import cv2
import dlib
import numpy as np
from PIL import Image

from media import face_net
from media.faces import Box, Face, encode_faces
from media.images import downscale

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    import face_recognition_models

QUARTER_TURNS = (0, 90, 180, 270)
HALF_QUARTER_TURNS = (45, 135, 225, 315)  # with the quarter turns, no head is more than 22.5° from upright
# Sides of the copies searched (benchmarks/recall.py). HOG at the quarter turns searches as large a
# copy as the first search, so a turned photo is searched as well as an upright one; the tilted copies
# and the CNN (~1 CPU s for a 640 px copy, growing with the pixels) search smaller ones.
DEFAULT_HOG_SIDE = 1600
DEFAULT_TILT_SIDE = 800
DEFAULT_CNN_SIDE = 640
# A CNN detection is a face to encode at this confidence; below it, a doubtful one.
CNN_FACE_CONFIDENCE = 0.3
# Each turned copy is one more chance of a spurious hit (a chandelier in a real photo scored 0.03 at a
# 270° turn), so a face found on a turned copy needs this score; turned faces score 1.0-2.3 (measured).
HOG_TURNED_SCORE = 0.3
# Upright HOG detections between this score and 0 are doubtful (face-like, not a face to encode). Measured
# (benchmarks/recall.py): faces with the upper half covered score -0.46 to -0.87, a poster of
# coloured shapes -0.53, an empty room or a trophy below -1.2; HOG's score alone cannot tell them apart.
HOG_DOUBTFUL_SCORE = -0.5
# The person detector: OpenCV's HOG people detector (Dalal and Triggs, the default 64x128 people SVM
# bundled in opencv-python-headless), upright, on a copy of this side. Chosen by measurement
# (benchmarks/people.py): of the detectors that ship with their model it finds the most people whose
# face is covered (3 of 8 with the upper half covered) for the fewest false reviews (2 of 16 photos
# without people); OpenCV's upper-body cascade fires on 9 of those 16. A person must be about 128 px
# tall in the copy: people far away are not found by it.
PEOPLE_SIDE = 640
PEOPLE_SCORE = 0.0  # the SVM's score a window needs; -0.3 finds 4 of 8 covered people and 4 of 16 empty photos
PEOPLE_STRIDE = 8
PEOPLE_SCALE_STEP = 1.05
DEFAULT_SECONDS = 60.0
DEFAULT_MAX_PIXELS = 24_000_000


@dataclass(frozen=True)
class SearchLimits:
    hog_side: int = DEFAULT_HOG_SIDE
    tilt_side: int = DEFAULT_TILT_SIDE
    cnn_side: int = DEFAULT_CNN_SIDE
    people_side: int = PEOPLE_SIDE
    seconds: float = DEFAULT_SECONDS
    max_pixels: int = DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class Found:
    """A face found by one pass, in the upright photo's pixels, and the turn that made it upright."""

    box: Box
    degrees: int
    detector: str
    score: float


@dataclass(frozen=True, eq=False)
class HarderSearch:
    faces: tuple[Face, ...]  # new faces, encoded upright; boxes in the photo's pixels
    doubtful: tuple[Box, ...]  # face-like, not checkable: a person may be there
    searches: tuple[str, ...]
    unfinished: str | None = None  # why the search stopped short, for a reviewer
    people: tuple[Box, ...] = ()  # a person where no face or face-like area was found


class _OutOfTime(Exception):
    pass


def search_harder(
    rgb: np.ndarray,
    *,
    known: tuple[Box, ...] = (),
    limits: SearchLimits = SearchLimits(),  # noqa: B008
) -> HarderSearch:
    """Faces (and doubtful face-like areas) in ``rgb`` that are not already among ``known``."""
    height, width = rgb.shape[:2]
    if width * height > limits.max_pixels:
        return HarderSearch(
            (),
            (),
            (),
            unfinished=(
                f"the photo has too many pixels for the harder search ({width * height / 1e6:.0f} MP; "
                f"the limit is {limits.max_pixels / 1e6:g} MP)"
            ),
        )
    deadline = time.monotonic() + limits.seconds
    found: list[Found] = []
    doubtful: list[Found] = []
    people: list[Found] = []
    searches: list[str] = []
    passes = (
        (
            f"hog@{limits.hog_side} turned 0/90/180/270°",
            _hog_pass(rgb, limits.hog_side, QUARTER_TURNS, found, doubtful),
        ),
        (
            f"hog@{limits.tilt_side} turned 45/135/225/315°",
            _hog_pass(rgb, limits.tilt_side, HALF_QUARTER_TURNS, found, doubtful),
        ),
        (f"cnn@{limits.cnn_side} turned 0/90/180/270°", _cnn_pass(rgb, limits.cnn_side, found, doubtful)),
        (f"blazeface@{limits.hog_side} upright windows", _face_net_pass(rgb, limits.hog_side, people)),
        (
            f"people@{limits.people_side} upright (opencv hog)",
            _people_pass(rgb, limits.people_side, people),
        ),
    )
    unfinished = None
    for name, steps in passes:
        try:
            for step in steps:
                step()
                if time.monotonic() > deadline:
                    raise _OutOfTime
        except _OutOfTime:
            unfinished = f"the harder search did not finish within {limits.seconds:g} s ({name} cut short)"
            searches.append(f"{name} (cut short)")
            break
        searches.append(name)
    new = _distinct([f for f in found if not _overlaps_any(f.box, known)])
    faces = tuple(_encode_upright(rgb, f) for f in new)
    taken = (*known, *(f.box for f in new))
    unsure = tuple(d.box for d in _distinct([d for d in doubtful if not _overlaps_any(d.box, taken)]))
    # a person already accounted for has a face (or a face-like area) found inside their box, and a body
    # the people detector finds under a face found is that face's body
    seen = (*taken, *unsure)
    unchecked = tuple(
        p.box
        for p in _distinct([p for p in people if not _overlaps_any(p.box, seen)])
        if p.detector != "people" or not any(_under(p.box, face) for face in seen)
    )
    return HarderSearch(faces=faces, doubtful=unsure, searches=tuple(searches), unfinished=unfinished, people=unchecked)


def _hog_pass(
    rgb: np.ndarray,
    side: int,
    turns: tuple[int, ...],
    found: list[Found],
    doubtful: list[Found],
) -> Iterator[Callable[[], None]]:
    small, scale = downscale(rgb, max_side=side)
    for degrees in turns:

        def step(degrees: int = degrees) -> None:
            turned = _turned(small, degrees)
            face_score = 0.0 if degrees == 0 else HOG_TURNED_SCORE
            boxes, scores, _ = _hog().run(turned, 1, HOG_DOUBTFUL_SCORE if degrees == 0 else face_score)
            for rect, score in zip(boxes, scores, strict=True):
                item = Found(
                    _back(rect, degrees, small.shape, turned.shape, scale, rgb.shape), degrees, "hog", float(score)
                )
                (found if score >= face_score else doubtful).append(item)

        yield step


def _cnn_pass(rgb: np.ndarray, side: int, found: list[Found], doubtful: list[Found]) -> Iterator[Callable[[], None]]:
    small, scale = downscale(rgb, max_side=side)
    for degrees in QUARTER_TURNS:

        def step(degrees: int = degrees) -> None:
            turned = _turned(small, degrees)
            for detection in _cnn()(turned, 0):
                box = _back(detection.rect, degrees, small.shape, turned.shape, scale, rgb.shape)
                item = Found(box, degrees, "cnn", float(detection.confidence))
                (found if item.score >= CNN_FACE_CONFIDENCE else doubtful).append(item)

        yield step


def _face_net_pass(rgb: np.ndarray, side: int, people: list[Found]) -> Iterator[Callable[[], None]]:
    """Faces dlib cannot see (eyes covered, turned aside): a person whose face cannot be checked.
    One step per window size; a face counts where two sizes agree (media/face_net.py)."""
    small, scale = downscale(rgb, max_side=side)
    height, width = small.shape[:2]
    seen: list[tuple[Box, float, int]] = []
    for windows in face_net.window_sizes(width, height):

        def step(windows: list[face_net.Window] = windows) -> None:
            for window in windows:
                seen.extend((box, score, window[2]) for box, score in face_net.detect(small, window))

        yield step

    def agree() -> None:
        for box, score in face_net.agreed(seen):
            rect = dlib.rectangle(box.left, box.top, box.right, box.bottom)
            people.append(Found(_back(rect, 0, small.shape, small.shape, scale, rgb.shape), 0, "blazeface", score))

    yield agree


def _people_pass(rgb: np.ndarray, side: int, people: list[Found]) -> Iterator[Callable[[], None]]:
    """People standing or sitting upright, face or no face."""

    def step() -> None:
        small, scale = downscale(rgb, max_side=side)
        rects, weights = _people_detector().detectMultiScale(
            cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2BGR),
            hitThreshold=PEOPLE_SCORE,
            winStride=(PEOPLE_STRIDE, PEOPLE_STRIDE),
            padding=(16, 16),
            scale=PEOPLE_SCALE_STEP,
        )
        for (x, y, w, h), weight in zip(rects, np.ravel(weights), strict=True):
            rect = dlib.rectangle(int(x), int(y), int(x + w), int(y + h))
            people.append(Found(_back(rect, 0, small.shape, small.shape, scale, rgb.shape), 0, "people", float(weight)))

    yield step


@cache
def _people_detector() -> cv2.HOGDescriptor:
    cv2.setNumThreads(1)  # each worker process of the pool is one search; threads would fight over the cores
    detector = cv2.HOGDescriptor()
    detector.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), dtype=np.float32))
    return detector


@cache
def _hog() -> dlib.fhog_object_detector:
    return dlib.get_frontal_face_detector()


@cache
def _cnn() -> dlib.cnn_face_detection_model_v1:
    return dlib.cnn_face_detection_model_v1(face_recognition_models.cnn_face_detector_model_location())


def _turned(rgb: np.ndarray, degrees: int) -> np.ndarray:
    """``rgb`` turned counter-clockwise by ``degrees`` (the canvas grown to hold it all)."""
    if degrees % 90 == 0:
        return np.ascontiguousarray(np.rot90(rgb, degrees // 90))
    fill = tuple(int(v) for v in np.median(rgb[::8, ::8].reshape(-1, 3), axis=0))
    image = Image.fromarray(rgb).rotate(degrees, Image.Resampling.BILINEAR, expand=True, fillcolor=fill)
    return np.asarray(image)


def _back(
    rect: dlib.rectangle,
    degrees: int,
    small_shape: tuple[int, ...],
    turned_shape: tuple[int, ...],
    scale: float,
    shape: tuple[int, ...],
) -> Box:
    """A box found on the turned copy, as an upright box of the same size in the photo's pixels."""
    cx, cy = (rect.left() + rect.right()) / 2, (rect.top() + rect.bottom()) / 2
    dx, dy = cx - (turned_shape[1] - 1) / 2, cy - (turned_shape[0] - 1) / 2
    theta = math.radians(degrees)
    ox = dx * math.cos(theta) - dy * math.sin(theta) + (small_shape[1] - 1) / 2
    oy = dx * math.sin(theta) + dy * math.cos(theta) + (small_shape[0] - 1) / 2
    half_w, half_h = (rect.right() - rect.left()) / 2 * scale, (rect.bottom() - rect.top()) / 2 * scale
    x, y = ox * scale, oy * scale
    height, width = shape[:2]
    return Box(
        top=max(0, round(y - half_h)),
        right=min(width, round(x + half_w)),
        bottom=min(height, round(y + half_h)),
        left=max(0, round(x - half_w)),
    )


def _encode_upright(rgb: np.ndarray, found: Found) -> Face:
    """Encodes the face from a crop around it turned as the pass that found it turned the photo."""
    if found.degrees == 0:
        return encode_faces(rgb, [found.box])[0]
    box, height, width = found.box, rgb.shape[0], rgb.shape[1]
    area = box.padded(0.6, width=width, height=height)
    crop = _turned(np.ascontiguousarray(rgb[area.top : area.bottom, area.left : area.right]), found.degrees)
    cx, cy = (box.left + box.right) / 2 - area.left, (box.top + box.bottom) / 2 - area.top
    dx, dy = cx - (area.width - 1) / 2, cy - (area.height - 1) / 2
    theta = math.radians(found.degrees)
    tx = dx * math.cos(theta) + dy * math.sin(theta) + (crop.shape[1] - 1) / 2
    ty = -dx * math.sin(theta) + dy * math.cos(theta) + (crop.shape[0] - 1) / 2
    half_w, half_h = box.width / 2, box.height / 2
    upright = Box(
        top=max(0, round(ty - half_h)),
        right=min(crop.shape[1], round(tx + half_w)),
        bottom=min(crop.shape[0], round(ty + half_h)),
        left=max(0, round(tx - half_w)),
    )
    encoding = encode_faces(np.ascontiguousarray(crop), [upright])[0].encoding
    return Face(box=found.box, encoding=encoding)


def _under(body: Box, face: Box) -> bool:
    """``body``'s centre lies below ``face``'s top and within one and a half face widths of it either side:
    where that face's shoulders and chest are. Measured on the portraits of tests/data/faces
    (benchmarks/people.py): the people detector's boxes beside a portrait's face are its own body."""
    cy, cx = (body.top + body.bottom) / 2, (body.left + body.right) / 2
    reach = 1.5 * face.width
    return cy >= face.top and face.left - reach <= cx <= face.right + reach


def _overlaps_any(box: Box, others: tuple[Box, ...] | list[Box]) -> bool:
    """The same face: either box's centre lies inside the other."""
    return any(box.same_place(other) for other in others)


def _distinct(found: list[Found]) -> list[Found]:
    """One per face: the most confident of the detections that overlap, left to right."""
    kept: list[Found] = []
    for item in sorted(found, key=lambda f: -f.score):
        if not _overlaps_any(item.box, [k.box for k in kept]):
            kept.append(item)
    return sorted(kept, key=lambda f: (f.box.left, f.box.top))

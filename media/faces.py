"""Finding faces and turning each into a 128-number encoding (face_recognition / dlib).

Detection runs on a downscaled copy of the photo, because the HOG detector's cost grows with
the pixel count and a 12-megapixel phone photo gains nothing over a ~1600 px copy (see
``benchmarks/faces.py``). Encodings are always computed from the full-resolution photo.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import ImageFile

from media.images import DEFAULT_MAX_DECODE_BYTES, DEFAULT_MAX_PIXELS, Photo, decode_photo, downscale

with warnings.catch_warnings():
    # face_recognition_models still imports pkg_resources; its warning is not ours to act on.
    warnings.simplefilter("ignore", UserWarning)
    import face_recognition

# face_recognition's import turns on Pillow's LOAD_TRUNCATED_IMAGES; uploads need it off.
ImageFile.LOAD_TRUNCATED_IMAGES = False

ENGINE = "dlib-resnet-v1"  # dlib_face_recognition_resnet_model_v1 on 5-point landmarks
DETECTOR = "hog"
# From benchmarks/faces.py on 12 MP photos: 1280 is the smallest size that still finds 90 px
# faces in a class photo (1024 finds 1 of 8); 1600 keeps headroom for smaller faces, since a
# face never found is never blocked, and is still ~13x faster than full resolution.
DEFAULT_DETECT_MAX_SIDE = 1600
# The smallest face HOG (one upsampling) finds reliably, in pixels of the copy it searches. On the
# synthetic 12 MP class photo of benchmarks/faces.py: at 1600 px it misses the 40-60 px faces and
# finds 70 px ones (28 px in the copy); at 3200 px it finds every 40 px face (32 px in the copy).
SMALLEST_FOUND_PX = 32


def smallest_found(long_side: int, detect_max_side: int) -> int:
    """The smallest face, in the photo's own pixels, that a search at ``detect_max_side`` finds."""
    searched = min(long_side, detect_max_side)
    return -(-SMALLEST_FOUND_PX * long_side // searched) if searched > 0 else SMALLEST_FOUND_PX


def closer_look_side(long_side: int, min_face_px: int) -> int:
    """The copy size at which faces of ``min_face_px`` are found (the whole photo if it is not larger)."""
    return min(long_side, -(-SMALLEST_FOUND_PX * long_side // max(1, min_face_px)))


@dataclass(frozen=True)
class Box:
    """A face's rectangle in full-resolution photo pixels; bottom and right are exclusive."""

    top: int
    right: int
    bottom: int
    left: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def size(self) -> int:
        return min(self.width, self.height)

    def as_dict(self) -> dict[str, int]:
        return {"top": self.top, "right": self.right, "bottom": self.bottom, "left": self.left}

    def centre_in(self, area: Box) -> bool:
        cy, cx = (self.top + self.bottom) / 2, (self.left + self.right) / 2
        return area.top <= cy <= area.bottom and area.left <= cx <= area.right

    def same_place(self, other: Box) -> bool:
        """Two detections of one face: either box's centre lies inside the other."""
        return self.centre_in(other) or other.centre_in(self)

    def padded(self, fraction: float, *, width: int, height: int) -> Box:
        """Grow by ``fraction`` of the box's size on every side, kept inside the image."""
        dx, dy = round(self.width * fraction), round(self.height * fraction)
        return Box(
            top=max(0, self.top - dy),
            right=min(width, self.right + dx),
            bottom=min(height, self.bottom + dy),
            left=max(0, self.left - dx),
        )

    def css(self) -> tuple[int, int, int, int]:
        return (self.top, self.right, self.bottom, self.left)


@dataclass(frozen=True, eq=False)
class Face:
    box: Box
    encoding: np.ndarray = field(repr=False)


def find_faces(
    data: bytes,
    *,
    detect_max_side: int = DEFAULT_DETECT_MAX_SIDE,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decode_bytes: int = DEFAULT_MAX_DECODE_BYTES,
    upsample: int = 1,
    photo: Photo | None = None,
) -> tuple[Photo, list[Face]]:
    """Decode ``data`` (unless ``photo`` is given) and return its faces, left to right."""
    if photo is None:
        photo = decode_photo(data, max_pixels=max_pixels, max_decode_bytes=max_decode_bytes)
    boxes = detect_boxes(photo.rgb, detect_max_side=detect_max_side, upsample=upsample)
    return photo, encode_faces(photo.rgb, boxes)


def detect_boxes(rgb: np.ndarray, *, detect_max_side: int, upsample: int = 1) -> list[Box]:
    """Face boxes in ``rgb``'s coordinates, found on a copy no longer than ``detect_max_side``."""
    small, scale = downscale(rgb, max_side=detect_max_side)
    found = face_recognition.face_locations(small, number_of_times_to_upsample=upsample, model=DETECTOR)
    height, width = rgb.shape[:2]
    boxes = {_scaled(location, scale, width=width, height=height) for location in found}
    return sorted((box for box in boxes if box.size > 0), key=lambda b: (b.left, b.top))


def encode_faces(rgb: np.ndarray, boxes: list[Box]) -> list[Face]:
    if not boxes:
        return []
    encodings = face_recognition.face_encodings(rgb, known_face_locations=[box.css() for box in boxes])
    faces = []
    for box, encoding in zip(boxes, encodings, strict=True):
        encoding = np.asarray(encoding, dtype=np.float64)
        encoding.flags.writeable = False
        faces.append(Face(box=box, encoding=encoding))
    return faces


def _scaled(location: tuple[int, int, int, int], scale: float, *, width: int, height: int) -> Box:
    top, right, bottom, left = location
    return Box(
        top=max(0, round(top * scale)),
        right=min(width, round(right * scale)),
        bottom=min(height, round(bottom * scale)),
        left=max(0, round(left * scale)),
    )

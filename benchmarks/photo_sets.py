"""The photos of the precision benchmark, read from tests/data (sources and licences in SOURCES.md).

- people enrolled nowhere: every face of ``faces-wild/``, the two of ``more-people/`` and Lin-Manuel
  Miranda of ``faces/`` (he has one photo), each centred in a square of four face widths;
- consented students: the five people of ``faces/`` with two or more photos, enrolled from one
  and cleared in the others; the people of ``groups-wild/``, enrolled from a crop of their own
  group photo (no second photo of them exists: the easy case for recognition);
- photos without people: ``scenes/`` and ``no-people/``.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.clearing import Student
from benchmarks.recall import Sample, centred
from media.faces import Box, find_faces
from media.images import decode_photo

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
FACES = DATA / "faces"
REFERENCES = {  # who: the photo enrolled; every other photo of them is cleared
    "obama": "people/obama/obama-portrait.jpg",
    "biden": "people/biden/biden-portrait.jpg",
    "alex_lacamoire": "people/alex_lacamoire/alex-1.jpg",
    "kit_harington": "people/kit_harington/kit-1.jpg",
    "rose_leslie": "people/rose_leslie/rose-1.jpg",
}
PORTRAITS = [
    ("obama", "people/obama/obama-2.jpg"),
    ("obama", "people/obama/obama-3.jpg"),
    ("obama", "people/obama/obama-4.jpg"),
    ("obama", "people/obama/obama-1080p.jpg"),
    ("obama", "people/obama/obama-720p.jpg"),
    ("biden", "people/biden/biden-2.jpg"),
    ("alex_lacamoire", "people/alex_lacamoire/alex-2.jpg"),
    ("alex_lacamoire", "people/alex_lacamoire/alex-3-rgba.png"),
    ("kit_harington", "people/kit_harington/kit-2.jpg"),
    ("kit_harington", "people/kit_harington/kit-3.jpg"),
    ("rose_leslie", "people/rose_leslie/rose-2.jpg"),
]
SMALL_FILES = ["edge/obama-rgba-32bit.png", "edge/obama-240p.jpg", "edge/obama-320x240.jpg"]
PAIRS = ["groups/biden-obama.jpg", "groups/kit-rose.jpg"]
GROUPS = ["2007_007763.jpg", "2008_002470.jpg", "2008_004176.jpg", "2008_007676.jpg"]
FROM_BEHIND = "2008_002079.jpg"  # the table's six consented; people at the bar seen from the back


@dataclass(frozen=True)
class Photo:
    group: str
    name: str
    data: bytes


def wild_boxes() -> dict[str, list[Box]]:
    """The faces annotated in faces-wild's dlib imglab files, by file name."""
    boxes: dict[str, list[Box]] = {}
    for xml in sorted((DATA / "faces-wild").glob("*.xml")):
        for image in ElementTree.parse(xml).iter("image"):
            for b in image.iter("box"):
                top, left, width, height = (int(b.get(k, "0")) for k in ("top", "left", "width", "height"))
                boxes.setdefault(str(image.get("file")), []).append(
                    Box(top=top, right=left + width, bottom=top + height, left=left)
                )
    return boxes


def unenrolled_faces(limit: int | None = None) -> list[Sample]:
    """People enrolled nowhere, each face centred and 120 px wide (as benchmarks/recall.py makes them)."""
    samples = []
    for path in [*sorted((DATA / "more-people").glob("*")), FACES / "people/lin_manuel_miranda/lin-1-rgba.png"]:
        photo, faces = find_faces(path.read_bytes())
        if len(faces) == 1:
            samples.append(padded_centred(path.name, photo.rgb, faces[0].box))
    boxes = wild_boxes()
    for path in sorted((DATA / "faces-wild").glob("*.jpg")):
        rgb = decode_photo(path.read_bytes()).rgb
        samples += [padded_centred(f"{path.name}@{b.left},{b.top}", rgb, b) for b in boxes.get(path.name, [])]
    if limit:
        step = max(1, len(samples) // limit)
        samples = samples[::step][:limit]
    return samples


def padded_centred(name: str, rgb: np.ndarray, box: Box) -> Sample:
    """As benchmarks/recall.py's ``centred``, but where the square reaches past the photo its edge
    pixels are repeated instead of black: a face in a black frame looks like a printed photo."""
    pad = 2 * box.width + 2
    padded = np.pad(rgb, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    moved = Box(top=box.top + pad, right=box.right + pad, bottom=box.bottom + pad, left=box.left + pad)
    return centred(name, padded, moved)


def jpeg(rgb: np.ndarray | Image.Image, quality: int = 90) -> bytes:
    image = rgb if isinstance(rgb, Image.Image) else Image.fromarray(rgb)
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def face_crop(rgb: np.ndarray, box: Box, face_px: int = 150, others: tuple[Box, ...] = ()) -> bytes:
    """One face of a group photo, with half a face width around it, scaled so the face is ``face_px``
    wide; the ``others`` faces of the photo greyed out (a neighbour's face is not the one enrolled)."""
    pad = box.width // 2
    rgb = rgb.copy()
    for other in others:
        rgb[max(0, other.top) : other.bottom, max(0, other.left) : other.right] = 128
    crop = Image.fromarray(rgb).crop((box.left - pad, box.top - pad, box.right + pad, box.bottom + pad))
    scale = face_px / box.width
    return jpeg(crop.resize((round(crop.width * scale), round(crop.height * scale)), Image.Resampling.LANCZOS))


def students() -> list[Student]:
    """Every consented student and the photo they are enrolled from."""
    enrolled = [Student(who, ((FACES / photo).read_bytes(),)) for who, photo in REFERENCES.items()]
    boxes = wild_boxes()
    for name in [*GROUPS, FROM_BEHIND]:
        rgb = decode_photo((DATA / "groups-wild" / name).read_bytes()).rgb
        for n, box in enumerate(boxes[name]):
            others = tuple(b for b in boxes[name] if b != box)
            crops = tuple(face_crop(rgb, box, px, others) for px in (150, 100, 250))
            enrolled.append(Student(f"{name}#{n}", crops))
    return enrolled


def consented_photos() -> list[Photo]:
    """Real photos in which everyone is a consented student."""
    photos = [Photo("portrait, busy background", path, (FACES / path).read_bytes()) for _, path in PORTRAITS]
    photos += [Photo("small file (240–320 px, RGBA)", path, (FACES / path).read_bytes()) for path in SMALL_FILES]
    photos += [Photo("two people", path, (FACES / path).read_bytes()) for path in PAIRS]
    photos += [Photo("group (6–7 faces, 37–52 px)", n, (DATA / "groups-wild" / n).read_bytes()) for n in GROUPS]
    return photos


def mixed_photos() -> list[Photo]:
    """Real photos of consented students with someone enrolled nowhere: never to be allowed."""
    return [
        Photo(
            "an unenrolled child beside two students",
            "groups/biden-obama-child.jpg",
            (FACES / "groups/biden-obama-child.jpg").read_bytes(),
        ),
        Photo("people seen from behind at the bar", FROM_BEHIND, (DATA / "groups-wild" / FROM_BEHIND).read_bytes()),
    ]


def portrait_faces(limit: int | None = None) -> list[tuple[str, np.ndarray, Box]]:
    """The consented portraits with their one face (the first ``limit`` of them), for the 12 MP and wide-shot
    photos made from them."""
    found: list[tuple[str, np.ndarray, Box]] = []
    for _, path in PORTRAITS:
        if limit is not None and len(found) >= limit:
            break
        photo, faces = find_faces((FACES / path).read_bytes())
        if len(faces) == 1:
            found.append((path, photo.rgb, faces[0].box))
    return found


def twelve_mp(rgb: np.ndarray) -> bytes:
    """The photo scaled to 4,000 px on its long side, as a phone takes it."""
    image = Image.fromarray(rgb).convert("RGB")
    scale = 4000 / max(image.size)
    return jpeg(image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS))


def without_people() -> dict[str, np.ndarray]:
    return {
        path.stem: decode_photo(path.read_bytes()).rgb
        for folder in ("scenes", "no-people")
        for path in sorted((DATA / folder).iterdir())
    }

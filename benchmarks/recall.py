"""Recall benchmark: faces the detector misses, per condition, and what the service would then allow.

Run from the repository root:  .venv/bin/python -m benchmarks.recall [--quick]

The recall set is every face of the photos in ``tests/data`` (see SOURCES.md there), each cut out
with the face at the centre of a square four face-widths wide, the face scaled to 120 px, then put
through each condition of ``benchmarks/conditions.py``. Every derived photo is one classroom
photo of a single child who is enrolled nowhere (Litchfield, personal social media): any face the
service finds in it blocks it, a face-like area or a person it cannot check sends it to review,
and only a photo in which it sees nothing is allowed. For each condition, side by side in one run:

- faces found (a box over the face's centre) by a plain face_recognition script at full
  resolution, by the service's first search, and by its closer look;
- photos the service would allow (each such photo is a child exposed);
- seconds per photo for the first search and for the closer look (wall and CPU);

then photos without people (four drawn here, twelve from tests/data/no-people) and how many the
closer look sends to review or blocks (the false-review rate), and two bulletin boards of printed
faces, which are people: a face the service can check on them blocks the photo.

``--quick`` takes QUICK_FACES face(s) (searching only the portraits it picks), one in QUICK_EVERY of the
photos without people, and QUICK_PRINTED faces for the bulletin boards.
"""

from __future__ import annotations

import argparse
import io
import time
import warnings
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from benchmarks.conditions import CONDITIONS
from benchmarks.machine import OtherLoad
from media.analysis import AnalysisSettings, PhotoAnalysis, analyse_photo
from media.faces import Box, find_faces
from media.finding import NO_FACE, SearchLimits
from media.images import decode_photo
from media.redact import face_thumbnail_jpeg

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    import face_recognition

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
FACE_PX = 120
QUICK_FACES = 1
FULL_FACES = 8  # of the 27 in tests/data, spread over them: about 20 minutes on two busy cores
FIRST_SIDE = 1600
MIN_FACE_PX = 40
QUICK_EVERY = 4  # of the photos without people, the quick run clears one in QUICK_EVERY
QUICK_PRINTED = 5  # faces printed on each bulletin board in the quick run


@dataclass(frozen=True)
class Sample:
    name: str
    rgb: np.ndarray
    box: Box  # the face, at the centre


def recall_set(limit: int | None = None, *, search_all: bool = True) -> list[Sample]:
    """Every annotated face of tests/data, centred in a square of four face widths, the face 120 px wide: the
    portraits in which the first search finds one face, then the faces annotated in faces-wild. With ``limit``,
    that many spread evenly over them; or, without ``search_all`` (the quick run), the middle one of each of
    ``limit`` equal parts of the portraits and faces-wild's faces, and only the portraits picked searched (one
    is left out unless it shows one face)."""
    portraits = [*sorted((DATA / "faces" / "people").glob("*/*")), *sorted((DATA / "more-people").glob("*"))]
    wild = _wild_boxes()
    faces: Sequence[int] = range(len(portraits) + len(wild))
    if limit is not None and not search_all:
        faces = [faces[(2 * k + 1) * len(faces) // (2 * limit)] for k in range(min(limit, len(faces)))]
    samples = [sample for n in faces if (sample := _sample(portraits, wild, n)) is not None]
    if limit is not None and search_all:
        samples = samples[:: max(1, len(samples) // limit)][:limit]
    return samples


def _sample(portraits: list[Path], wild: list[tuple[str, Box]], n: int) -> Sample | None:
    """The n-th portrait (None unless the first search finds one face in it), or past them faces-wild's faces."""
    if n < len(portraits):
        path = portraits[n]
        photo, faces = find_faces(path.read_bytes())
        return centred(f"{path.parent.name}/{path.name}", photo.rgb, faces[0].box) if len(faces) == 1 else None
    image, box = wild[n - len(portraits)]
    photo = decode_photo((DATA / "faces-wild" / image).read_bytes())
    return centred(f"wild/{image}@{box.left},{box.top}", photo.rgb, box)


def _wild_boxes() -> list[tuple[str, Box]]:
    """The faces annotated in faces-wild's dlib imglab files, for the photos kept in tests/data."""
    kept = {p.name for p in (DATA / "faces-wild").glob("*.jpg")}
    boxes = []
    for xml in sorted((DATA / "faces-wild").glob("*.xml")):
        for image in ElementTree.parse(xml).iter("image"):
            if image.get("file") not in kept:
                continue
            for b in image.iter("box"):
                top, left, width, height = (int(b.get(k, "0")) for k in ("top", "left", "width", "height"))
                boxes.append((str(image.get("file")), Box(top=top, right=left + width, bottom=top + height, left=left)))
    return boxes


def centred(name: str, rgb: np.ndarray, box: Box, face_px: int = FACE_PX) -> Sample:
    """The face at the centre of a square four face widths wide, scaled to ``face_px``."""
    scale = face_px / box.width
    cx, cy, half = (box.left + box.right) / 2, (box.top + box.bottom) / 2, 2 * box.width
    crop = Image.fromarray(rgb).crop((round(cx - half), round(cy - half), round(cx + half), round(cy + half)))
    side = round(4 * box.width * scale)
    crop = crop.resize((side, side), Image.Resampling.LANCZOS)
    c, h = side / 2, box.height * scale / 2
    face = Box(top=round(c - h), right=round(c + face_px / 2), bottom=round(c + h), left=round(c - face_px / 2))
    return Sample(name, np.asarray(crop), face)


def jpeg(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=92)
    return out.getvalue()


def found_at_centre(boxes: list[Box] | tuple[Box, ...], shape: tuple[int, ...]) -> bool:
    cy, cx = shape[0] / 2, shape[1] / 2
    return any(
        b.left - b.width / 4 <= cx <= b.right + b.width / 4 and b.top - b.height / 4 <= cy <= b.bottom + b.height / 4
        for b in boxes
    )


def first_search(data: bytes) -> PhotoAnalysis:
    return analyse_photo(data, AnalysisSettings(detect_max_side=FIRST_SIDE))


def closer_look(data: bytes, first: PhotoAnalysis) -> PhotoAnalysis:
    return analyse_photo(
        data,
        AnalysisSettings(detect_max_side=FIRST_SIDE, search_harder=True, harder=SearchLimits(min_face_px=MIN_FACE_PX)),
    )


def _count(analysis: PhotoAnalysis, *, face: bool) -> int:
    """Faces the closer look cannot compare (``face``), or people with no face seen."""
    return sum((u.why != NO_FACE) == face for u in analysis.unrecognisable)


def would_allow(first: PhotoAnalysis, closer: PhotoAnalysis | None) -> bool:
    """A classroom photo of an unenrolled child is allowed only if no search sees a face, a doubt or a person."""
    final = closer or first
    return not final.faces and not final.unrecognisable and final.unfinished is None


@dataclass
class Row:
    photos: int = 0
    plain: int = 0
    first: int = 0
    closer: int = 0
    people: int = 0  # a person found at the centre, no face checked: to review
    cut_short: int = 0  # closer looks past their time budget: to review, whatever they saw
    allowed_before: int = 0  # allowed by the first search alone (no closer look): the old behaviour
    allowed: int = 0
    closer_looks: int = 0
    first_wall: float = 0.0
    first_cpu: float = 0.0
    closer_wall: float = 0.0
    closer_cpu: float = 0.0


def measure(sample: Sample, condition: str, row: Row) -> None:
    rgb = np.ascontiguousarray(CONDITIONS[condition](sample.rgb, sample.box))
    data = jpeg(rgb)
    decoded = decode_photo(data).rgb
    plain = [Box(top=t, right=r, bottom=b, left=left) for t, r, b, left in face_recognition.face_locations(decoded)]
    wall, cpu = time.perf_counter(), time.process_time()
    first = first_search(data)
    row.first_wall += time.perf_counter() - wall
    row.first_cpu += time.process_time() - cpu
    # In a classroom with nobody enrolled every face is unknown and blocks: the closer look runs
    # exactly when the first search found none (then one more unknown face would change "allowed").
    closer = None
    if not first.faces:
        wall, cpu = time.perf_counter(), time.process_time()
        closer = closer_look(data, first)
        row.closer_wall += time.perf_counter() - wall
        row.closer_cpu += time.process_time() - cpu
        row.closer_looks += 1
    row.photos += 1
    row.plain += found_at_centre(plain, rgb.shape)
    row.first += found_at_centre([f.box for f in first.faces], rgb.shape)
    row.closer += found_at_centre([f.box for f in (closer or first).faces], rgb.shape)
    row.people += found_at_centre([u.box for u in (closer or first).unrecognisable], rgb.shape)
    row.cut_short += closer is not None and closer.unfinished is not None
    row.allowed_before += not first.faces
    row.allowed += would_allow(first, closer)


def recall_table(samples: list[Sample], conditions: list[str] | None = None) -> tuple[list[str], Row]:
    head = (
        "| condition | faces | plain script, full res | first search | closer look | person, no face checked "
        "| cut short "
        "| allowed before | allowed now | closer looks | first search s/photo (CPU) | closer look s/photo (CPU) |"
    )
    rows = [head, "|---" * 12 + "|"]
    total = Row()
    for condition in conditions or CONDITIONS:
        row = Row()
        for sample in samples:
            measure(sample, condition, row)
        looks = max(1, row.closer_looks)
        rows.append(
            f"| {condition} | {row.photos} | {row.plain} | {row.first} | {row.closer} | {row.people} | {row.cut_short} "
            f"| {row.allowed_before} "
            f"| **{row.allowed}** | {row.closer_looks}/{row.photos} "
            f"| {row.first_wall / row.photos:.2f} ({row.first_cpu / row.photos:.2f}) "
            f"| {row.closer_wall / looks:.2f} ({row.closer_cpu / looks:.2f}) |"
        )
        for name in (
            "photos",
            "plain",
            "first",
            "closer",
            "people",
            "cut_short",
            "allowed_before",
            "allowed",
            "closer_looks",
        ):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        for name in ("first_wall", "first_cpu", "closer_wall", "closer_cpu"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    looks = max(1, total.closer_looks)
    rows.append(
        f"| **all** | {total.photos} | {total.plain} | {total.first} | {total.closer} | {total.people} "
        f"| {total.cut_short} "
        f"| {total.allowed_before} "
        f"| **{total.allowed}** | {total.closer_looks}/{total.photos} "
        f"| {total.first_wall / total.photos:.2f} ({total.first_cpu / total.photos:.2f}) "
        f"| {total.closer_wall / looks:.2f} ({total.closer_cpu / looks:.2f}) |"
    )
    return rows, total


def scenes_without_people() -> dict[str, np.ndarray]:
    """Photos with no person in them: drawn here, and the photos of tests/data/no-people (SOURCES.md)."""
    rng = np.random.default_rng(5)
    scenes: dict[str, np.ndarray] = {}
    room = Image.new("RGB", (1600, 1200), (205, 200, 185))
    draw = ImageDraw.Draw(room)
    draw.rectangle((0, 800, 1600, 1200), fill=(150, 120, 90))  # floor
    draw.rectangle((300, 150, 1300, 550), fill=(40, 70, 50), outline=(120, 100, 70), width=12)  # blackboard
    for n in range(4):  # desks and chairs
        x = 150 + n * 360
        draw.rectangle((x, 760, x + 260, 800), fill=(170, 130, 80))
        draw.rectangle((x + 20, 800, x + 35, 980), fill=(90, 90, 90))
        draw.rectangle((x + 225, 800, x + 240, 980), fill=(90, 90, 90))
        draw.ellipse((x + 90, 860, x + 170, 900), fill=(60, 90, 160))
    scenes["empty classroom (drawn)"] = _noisy(room, rng)
    poster = Image.new("RGB", (1200, 1600), (250, 240, 210))
    draw = ImageDraw.Draw(poster)
    for _ in range(40):
        x, y, r = int(rng.integers(0, 1200)), int(rng.integers(0, 1600)), int(rng.integers(20, 160))
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        shape = (x - r, y - r, x + r, y + r)
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(shape, fill=colour)
    scenes["poster of shapes (drawn)"] = _noisy(poster, rng)
    trophy = Image.new("RGB", (1200, 1600), (60, 60, 80))
    draw = ImageDraw.Draw(trophy)
    draw.ellipse((350, 250, 850, 750), fill=(212, 175, 55))  # cup
    draw.ellipse((250, 350, 400, 550), outline=(212, 175, 55), width=30)  # handles
    draw.ellipse((800, 350, 950, 550), outline=(212, 175, 55), width=30)
    draw.rectangle((560, 740, 640, 1100), fill=(190, 155, 45))  # stem
    draw.rectangle((400, 1100, 800, 1300), fill=(90, 60, 30))  # base
    draw.rectangle((460, 1160, 740, 1240), fill=(220, 220, 210))  # plate
    scenes["trophy (drawn)"] = _noisy(trophy, rng)
    sky = np.linspace((110, 160, 230), (200, 220, 250), 1200, dtype=np.float32)[:, None, :].repeat(1600, axis=1)
    scenes["sky (drawn)"] = _noisy(Image.fromarray(sky.astype(np.uint8)), rng)
    for path in sorted((DATA / "no-people").iterdir()):
        scenes[path.stem] = decode_photo(path.read_bytes()).rgb
    return scenes


def printed_faces(samples: list[Sample], print_px: int) -> np.ndarray:
    """A cork bulletin board with twelve sheets pinned flat, each with a face of the recall set printed
    ``print_px`` wide above lines of text. Printed faces are people's faces: a face the service can
    check on it decides the photo like any face, and one it cannot goes to review (see the README)."""
    rng = np.random.default_rng(7)
    board = Image.new("RGB", (1600, 1200), (180, 140, 90))
    draw = ImageDraw.Draw(board)
    for n, sample in enumerate(samples[:12]):
        x, y = 80 + (n % 6) * 250, 120 + (n // 6) * 520
        draw.rectangle((x, y, x + 200, y + 400), fill=(250, 250, 245))
        print_ = Image.open(io.BytesIO(face_thumbnail_jpeg(_as_photo(sample.rgb), sample.box, max_side=print_px)))
        board.paste(print_, (x + 20, y + 20))
        for line in range(6):
            top = y + 40 + print_.height + line * 20
            draw.line((x + 20, top, x + 180, top), fill=(40, 40, 40), width=4)
    return _noisy(board, rng)


def _as_photo(rgb: np.ndarray):
    from media.images import Photo

    return Photo(rgb=rgb, width=rgb.shape[1], height=rgb.shape[0], format="JPEG")


def _noisy(image: Image.Image, rng: np.random.Generator) -> np.ndarray:
    rgb = np.asarray(image, dtype=np.float32) + rng.normal(0.0, 4.0, (image.height, image.width, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _outcome(first: PhotoAnalysis, closer: PhotoAnalysis) -> str:
    if closer.faces:
        return "blocked"
    return "allowed" if would_allow(first, closer) else "review"


def no_people_table(samples: list[Sample], every: int = 1) -> list[str]:
    """Every photo without people (or every ``every``-th) is cleared with the closer look (as a classroom photo
    in which the first search found no face is); any review or block is a false one. Then the printed faces."""
    head = (
        "| photo | people in it | faces found | faces that cannot be compared | people, no face seen "
        "| classroom decision | closer look s (CPU) |"
    )
    rows = [head, "|---" * 7 + "|"]
    false = total = 0
    scenes = [(name, rgb, "none") for name, rgb in list(scenes_without_people().items())[::every]]
    scenes += [
        (f"bulletin board, {px} px printed faces", printed_faces(samples, px), "printed faces") for px in (24, 64)
    ]
    for name, rgb, people in scenes:
        data = jpeg(rgb)
        first = first_search(data)
        wall, cpu = time.perf_counter(), time.process_time()
        closer = closer_look(data, first)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        outcome = _outcome(first, closer)
        if people == "none":
            total += 1
            false += outcome != "allowed"
        rows.append(
            f"| {name} | {people} | {len(closer.faces)} | {_count(closer, face=True)} | {_count(closer, face=False)} "
            f"| {outcome} | {wall:.2f} ({cpu:.2f}) |"
        )
    rows.append(f"\nFalse reviews (or blocks) of photos without people: **{false} of {total}**.")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_FACES} face(s) instead of {FULL_FACES}, 1 in {QUICK_EVERY} photos without people",
    )
    parser.add_argument("--faces", type=int, default=None, help="how many faces of the recall set (0: all)")
    parser.add_argument("--conditions", nargs="+", choices=list(CONDITIONS), help="only these conditions")
    parser.add_argument("--no-empty", action="store_true", help="leave out the photos without people")
    args = parser.parse_args()
    faces = args.faces if args.faces is not None else QUICK_FACES if args.quick else FULL_FACES
    with OtherLoad() as other:
        samples = recall_set(faces or None, search_all=not args.quick)
        print(
            f"## Recall by condition ({len(samples)} face{'s' * (len(samples) != 1)}, {FACE_PX} px, each in a "
            "classroom photo of a child enrolled nowhere)\n",
            flush=True,
        )
        rows, total = recall_table(samples, args.conditions)
        print("\n" + "\n".join(rows) + "\n")
        print(
            f"Photos of an unenrolled face the service would allow: **{total.allowed} of {total.photos}**. "
            f"The closer look ran on {total.closer_looks} of {total.photos} classroom photos "
            f"({100 * total.closer_looks / total.photos:.0f} %): {total.closer_cpu / max(1, total.closer_looks):.2f} "
            f"CPU s a photo against {total.first_cpu / total.photos:.2f} for the first search.\n"
        )
        if not args.no_empty:
            print("## Photos without people, and printed faces (classroom, closer look)\n", flush=True)
            # The quick run prints more faces on the bulletin boards than the QUICK_FACES it measures above.
            printed, every = (recall_set(QUICK_PRINTED, search_all=False), QUICK_EVERY) if args.quick else (samples, 1)
            print("\n" + "\n".join(no_people_table(printed, every)))
    print("\n" + other.sentence() + "\n")


if __name__ == "__main__":
    main()

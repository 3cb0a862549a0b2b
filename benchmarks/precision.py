"""Precision and recall through the service's real clearing path, side by side in one run.

Run from the repository root:  .venv/bin/python -m benchmarks.precision [--quick]

Every photo is a classroom photo posted on a teacher's personal social media under the active
pack (Litchfield), cleared by ``clear_photo`` on a real SQLite database in which the consented
students are enrolled (``benchmarks/clearing.py``; the photos in ``benchmarks/photo_sets.py``):

1. children enrolled nowhere, under every scene of ``benchmarks/scenes.py`` (the conditions of
   ``benchmarks/recall.py`` and: cut by the edge, 70 px in 12 MP turned, far away, a crowd): faces
   found by a plain face_recognition script (HOG, full resolution) and by the service; photos
   allowed (target 0); seconds per photo, by stage where ``engine.searches`` records it;
2. photos without people: sent to review or blocked (target at most 1 in 20);
3. photos of consented students (portraits, small files, pairs, groups; each portrait again as a
   12 MP photo and as a wide shot): allowed (target at least 97 %); and photos with someone
   enrolled nowhere among them (target 0 allowed);
4. the 12 MP classroom photos against the plain script (HOG at full resolution, then encodings)
   on the same photo: the service's speed-up (target at least 2x for an allowed photo).
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

from benchmarks import photo_sets as sets
from benchmarks.clearing import Cleared, School, open_school
from benchmarks.machine import OtherLoad, machine
from benchmarks.recall import printed_faces
from benchmarks.scenes import SCENES, Derived, small_turned
from media.faces import Box

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    import face_recognition

QUICK_SCENES = [
    "upright",
    "turned 90°",
    "cut by the left edge",
    "70 px in 12 MP, turned 90°",
    "far away (16 px face in 12 MP)",
    "crowd: 9 faces of 25–50 px in 12 MP, half turned",
]
FULL_FACES, QUICK_FACES = 6, 1
PARTS = ["recall", "without-people", "consented"]


def plain_script(data: bytes, *, encode: bool = False) -> tuple[list[Box], float, float]:
    """A plain face_recognition script: the file loaded as face_recognition loads it, HOG at full resolution
    (one upsampling), then encodings. The faces it finds, and its wall and CPU seconds (the service's figures
    include decoding the photo too)."""
    wall, cpu = time.perf_counter(), time.process_time()
    rgb = face_recognition.load_image_file(io.BytesIO(data))
    found = face_recognition.face_locations(rgb)
    if encode:
        face_recognition.face_encodings(rgb, found)
    boxes = [Box(top=t, right=r, bottom=b, left=left) for t, r, b, left in found]
    return boxes, time.perf_counter() - wall, time.process_time() - cpu


def found(boxes: list[Box], face: Box) -> bool:
    """A detection over the face's centre (a quarter of the detection's size of slack)."""
    cy, cx = (face.top + face.bottom) / 2, (face.left + face.right) / 2
    return any(
        b.left - b.width / 4 <= cx <= b.right + b.width / 4 and b.top - b.height / 4 <= cy <= b.bottom + b.height / 4
        for b in boxes
    )


def timing(runs: list[Cleared]) -> str:
    wall = sum(r.wall for r in runs) / max(1, len(runs))
    cpu = sum(r.cpu for r in runs) / max(1, len(runs))
    stages: dict[str, float] = defaultdict(float)
    for run in runs:
        for stage, ms in run.stages().items():
            stages[stage] += ms / len(runs)
    by_stage = ", ".join(f"{name} {ms / 1000:.2f}" for name, ms in sorted(stages.items())) or "not recorded"
    return f"{wall:.2f} ({cpu:.2f}) | {by_stage}"


def show(rows: list[str]) -> None:
    print("\n".join(rows), flush=True)
    rows.clear()


def recall_rows(school: School, scenes: list[str], faces: int | None) -> tuple[list[str], int, int]:
    samples = sets.unenrolled_faces(faces)
    backgrounds = list(sets.without_people().values())
    rows = [
        "| scene | photos | faces in them | plain script, full res | service | allowed (target 0) "
        "| review (search cut short) | blocked | s/photo wall (CPU) | s/photo by stage |",
        "|---" * 10 + "|",
    ]
    allowed_all = photos_all = 0
    for scene in scenes:
        runs, faces_in, plain_n, service_n, allowed = [], 0, 0, 0, 0
        for n, sample in enumerate(samples):
            derived: Derived = SCENES[scene](
                sample.rgb, sample.box, backgrounds[(7 * n + len(scene)) % len(backgrounds)]
            )
            data = sets.jpeg(derived.rgb, 92)
            plain, _, _ = plain_script(data)
            cleared = school.clear(data)
            runs.append(cleared)
            visible = [derived.visible(face) for face in derived.faces]
            faces_in += len(visible)
            plain_n += sum(found(plain, face) for face in visible)
            service_n += sum(found(cleared.boxes, face) for face in visible)
            allowed += cleared.decision == "allowed"
        allowed_all, photos_all = allowed_all + allowed, photos_all + len(samples)
        review = sum(r.decision == "needs_review" for r in runs)
        cut_short = sum(any("searched for faces completely" in why for why in r.reasons) for r in runs)
        blocked = sum(r.decision == "blocked" for r in runs)
        rows.append(
            f"| {scene} | {len(samples)} | {faces_in} | {plain_n} | {service_n} | **{allowed}** "
            f"| {review} ({cut_short}) | {blocked} | {timing(runs)} |"
        )
        show(rows)
    return rows, allowed_all, photos_all


def without_people_rows(school: School, limit: int | None, *, made: bool = False) -> tuple[list[str], int, int]:
    """The photos without people at their own size (up to 1600 px), or ``made`` 12 MP (blown up to 4,000 px:
    the large photo's search, in tiles, on smoother textures than a real 12 MP photo has)."""
    scenes = list(sets.without_people().items())
    if limit:
        scenes = scenes[:: max(1, len(scenes) // limit)][:limit]
    rows = ["| photo | faces recorded | decision | why | s wall (CPU) |", "|---" * 5 + "|"]
    flagged = 0
    for name, rgb in scenes:
        cleared = school.clear(sets.twelve_mp(rgb) if made else sets.jpeg(rgb))
        flagged += cleared.decision != "allowed"
        why = "; ".join(cleared.reasons)[:140] or "-"
        rows.append(
            f"| {name} | {len(cleared.boxes)} | {cleared.decision} | {why} | {cleared.wall:.2f} ({cleared.cpu:.2f}) |"
        )
        show(rows)
    return rows, flagged, len(scenes)


def consented_rows(school: School, quick: bool, made: int | None) -> tuple[list[str], list[str], int, int]:
    photos = sets.consented_photos()
    portraits = sets.portrait_faces(made)
    if quick:
        photos = [photos[0], photos[-1]]
    backgrounds = list(sets.without_people().values())
    photos += [sets.Photo("12 MP classroom photo", path, sets.twelve_mp(rgb)) for path, rgb, _ in portraits]
    for n, (path, rgb, box) in enumerate(portraits):
        derived = small_turned(0, face_px=100)(rgb, box, backgrounds[(5 * n) % len(backgrounds)])
        photos.append(sets.Photo("wide shot: face 100 px in 12 MP", path, sets.jpeg(derived.rgb)))
    groups: dict[str, list[Cleared]] = defaultdict(list)
    ratio_rows = [
        "| photo | decision | service s wall (CPU) | plain script s wall (CPU) | speed-up wall (CPU) |",
        "|---" * 5 + "|",
    ]
    ratios = []
    for photo in photos:
        cleared = school.clear(photo.data)
        groups[photo.group].append(cleared)
        if photo.group == "12 MP classroom photo":
            _, plain, plain_cpu = plain_script(photo.data, encode=True)
            ratio = plain / cleared.wall
            if cleared.decision == "allowed":
                ratios.append(ratio)
            ratio_rows.append(
                f"| {photo.name} | {cleared.decision} | {cleared.wall:.2f} ({cleared.cpu:.2f}) "
                f"| {plain:.2f} ({plain_cpu:.2f}) | {ratio:.1f}× ({plain_cpu / max(cleared.cpu, 1e-6):.1f}×) |"
            )
    if ratios:
        ratio_rows.append(
            f"\nMedian speed-up over the allowed 12 MP photos: **{statistics.median(ratios):.1f}×** (target ≥ 2×)."
        )
    rows = ["| group | photos | allowed | review | blocked | s/photo wall (CPU) | s/photo by stage |", "|---" * 7 + "|"]
    allowed_all = total = 0
    for group, runs in groups.items():
        allowed = sum(r.decision == "allowed" for r in runs)
        review = sum(r.decision == "needs_review" for r in runs)
        allowed_all, total = allowed_all + allowed, total + len(runs)
        rows.append(
            f"| {group} | {len(runs)} | **{allowed}** | {review} | {len(runs) - allowed - review} | {timing(runs)} |"
        )
    for photo in sets.mixed_photos() + [_board(px) for px in (64,)]:
        cleared = school.clear(photo.data)
        rows.append(
            f"| {photo.group} (target: not allowed) | 1 | **{int(cleared.decision == 'allowed')}** "
            f"| {int(cleared.decision == 'needs_review')} | {int(cleared.decision == 'blocked')} "
            f"| {timing([cleared])} |"
        )
    return rows, ratio_rows, allowed_all, total


def _board(px: int) -> sets.Photo:
    board = printed_faces(sets.unenrolled_faces(), px)
    return sets.Photo(f"bulletin board, {px} px printed faces of people enrolled nowhere", "board", sets.jpeg(board))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a representative subset, in a few minutes")
    parser.add_argument("--faces", type=int, default=None, help="faces enrolled nowhere per scene (0: all)")
    parser.add_argument("--scenes", nargs="+", choices=list(SCENES), help="only these scenes")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=PARTS, help="which tables (default all)")
    parser.add_argument("--without-people", type=int, default=None, help="how many photos without people (default all)")
    parser.add_argument("--made", type=int, default=None, help="portraits made into 12 MP and wide shots (default all)")
    args = parser.parse_args()
    faces = args.faces if args.faces is not None else QUICK_FACES if args.quick else FULL_FACES
    scenes = args.scenes or (QUICK_SCENES if args.quick else list(SCENES))
    started = time.perf_counter()
    print(f"# Precision and recall through the service ({machine()})\n", flush=True)
    with OtherLoad() as other, tempfile.TemporaryDirectory() as folder:
        school = open_school(Path(folder), sets.students())
        print(
            f"{len(school.enrolled) - len(school.not_enrolled)} of {len(school.enrolled)} consented students enrolled"
            + (f" (not: {', '.join(sorted(school.not_enrolled))})" if school.not_enrolled else "")
            + ".\n",
            flush=True,
        )
        if "recall" in args.parts:
            print("## Children enrolled nowhere, by scene (classroom photos)\n")
            rows, allowed, photos = recall_rows(school, scenes, faces or None)
            print(f"\nPhotos of children enrolled nowhere allowed: **{allowed} of {photos}** (target 0).\n", flush=True)
        if "without-people" in args.parts:
            print("## Photos without people\n")
            limit = args.without_people if args.without_people is not None else 5 if args.quick else None
            rows, flagged, total = without_people_rows(school, limit)
            print(f"\nSent to review or blocked: **{flagged} of {total}** (target at most 1 in 20).\n", flush=True)
            print("## Photos without people, made 12 MP\n")
            rows, flagged, total = without_people_rows(school, 2 if args.quick else limit, made=True)
            print(f"\nSent to review or blocked: **{flagged} of {total}** (target at most 1 in 20).\n", flush=True)
        if "consented" in args.parts:
            print("## Photos of consented students\n")
            made = args.made if args.made is not None else 1 if args.quick else None
            rows, ratio_rows, allowed, total = consented_rows(school, args.quick, made)
            share = 100 * allowed / max(1, total)
            print(
                "\n".join(rows)
                + f"\n\nConsented photos allowed: **{allowed} of {total} ({share:.0f} %)** (target ≥ 97 %).\n"
            )
            print("## 12 MP classroom photos: the service against a plain face_recognition script\n")
            print("\n".join(ratio_rows) + "\n", flush=True)
    print(f"\n{other.sentence()} The run took {time.perf_counter() - started:.0f} s.\n")


if __name__ == "__main__":
    main()

"""False matches against the size of the gallery a face is compared with.

Run from the repository root:  .venv/bin/python -m benchmarks.gallery [--quick]

Every face the first search finds in the repository's photos is encoded once: the people of
``tests/data/faces/people`` (one identity a folder) and the strangers of the group photos
(``tests/data/faces-wild``, ``tests/data/groups-wild``: each face its own identity). Two faces of different
people are an impostor pair; two of one person a genuine pair. From those it reports, at the service's
thresholds (``Settings.match_threshold`` and ``review_threshold``):

- the share of impostor pairs within each threshold (the false match rate of one comparison, ``p``);
- the share of genuine pairs within the match threshold (what a smaller gallery must not lose);
- for lists of 10, 50 and 200 people outside the circle who may not be shown: the chance that a stranger's
  face lies within the review threshold of one of them (what the stricter rule costs: a reviewer's look);
- for galleries of 30 (a class), 200 (a grade), 2,000 (a school district's enrolled faces) and 20,000
  people: the chance that a stranger's face lies within the threshold of somebody, ``1 - (1 - p)^N`` (the
  independence assumption is the method's main limit), and, where the photos allow, the same counted on
  galleries drawn from the faces themselves, as a check on that formula.

The baseline measured in the same run is the whole-district gallery; each smaller gallery is given as a
ratio of its false matches to the baseline's. ``--quick`` encodes the first 3 group photos only, draws 200
galleries instead of 1,000 and shrinks the probes to QUICK_SHRUNK only.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from media.faces import Box, Face, encode_faces, find_faces
from media.images import Photo
from registry.core.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
GALLERIES = (30, 200, 2_000, 20_000)
WATCHED = (10, 50, 200)  # within the review threshold: the stricter rule for refusals outside the circle
SHRUNK = (32, 36, 44, 60, 100)  # face sizes a probe is shrunk to: what the smallest face to compare is set by
QUICK_SHRUNK = (32, 36, 60)


@dataclass(frozen=True)
class Encoded:
    who: str
    encoding: np.ndarray


@dataclass(frozen=True)
class Portrait:
    who: str
    photo: Photo
    face: Face


def portraits() -> list[Portrait]:
    """The photos of ``tests/data/faces/people`` with one face each (that person's), detected once."""
    found_once = []
    for folder in sorted((DATA / "faces" / "people").iterdir()):
        for path in sorted(folder.iterdir()):
            photo, found = find_faces(path.read_bytes())
            if len(found) == 1:
                found_once.append(Portrait(folder.name, photo, found[0]))
    return found_once


def encoded_faces(people: list[Portrait], quick: bool) -> list[Encoded]:
    faces = [Encoded(p.who, p.face.encoding) for p in people]
    groups = sorted((DATA / "faces-wild").glob("*.jpg")) + sorted((DATA / "groups-wild").glob("*.jpg"))
    for photo in groups[: 3 if quick else None]:
        _, found = find_faces(photo.read_bytes())
        faces += [Encoded(f"{photo.stem}#{i}", face.encoding) for i, face in enumerate(found)]
    return faces


def pair_distances(faces: list[Encoded]) -> tuple[np.ndarray, np.ndarray]:
    impostor: list[float] = []
    genuine: list[float] = []
    for a, b in itertools.combinations(faces, 2):
        distance = float(np.linalg.norm(a.encoding - b.encoding))
        (genuine if a.who == b.who else impostor).append(distance)
    return np.asarray(impostor), np.asarray(genuine)


def drawn_galleries(faces: list[Encoded], size: int, threshold: float, draws: int, rng: np.random.Generator) -> float:
    """Share of draws in which a stranger lies within ``threshold`` of somebody in a gallery of ``size`` others."""
    hits = 0
    for _ in range(draws):
        picked = rng.choice(len(faces), size=size + 1, replace=False)
        stranger, gallery = faces[picked[0]], [faces[i] for i in picked[1:] if faces[i].who != faces[picked[0]].who]
        distances = [np.linalg.norm(stranger.encoding - g.encoding) for g in gallery]
        hits += int(bool(distances) and min(distances) <= threshold)
    return hits / draws


def shrunk_pairs(people: list[Portrait], face_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances from each portrait's face shrunk to ``face_px`` (the photo scaled down, as in a wide shot) to
    every full-size portrait face: impostor and genuine."""
    faces = []
    for portrait in people:
        decoded, box = portrait.photo, portrait.face.box
        scale = face_px / box.width
        size = (max(1, round(decoded.width * scale)), max(1, round(decoded.height * scale)))
        small = np.asarray(Image.fromarray(decoded.rgb).resize(size, Image.Resampling.LANCZOS))
        shrunk = Box(
            top=round(box.top * scale),
            right=round(box.right * scale),
            bottom=round(box.bottom * scale),
            left=round(box.left * scale),
        )
        faces.append((portrait.who, portrait.face.encoding, encode_faces(small, [shrunk])[0].encoding))
    impostor: list[float] = []
    genuine: list[float] = []
    for (a, _, probe), (b, reference, _) in itertools.permutations(faces, 2):
        (genuine if a == b else impostor).append(float(np.linalg.norm(probe - reference)))
    return np.asarray(impostor), np.asarray(genuine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer group photos, fewer face sizes shrunk to")
    quick = parser.parse_args().quick
    settings = Settings()
    people_photos = portraits()
    faces = encoded_faces(people_photos, quick)
    impostor, genuine = pair_distances(faces)
    people = len({f.who for f in faces})
    print(f"\n## Gallery size and false matches ({len(faces)} faces of {people} people; ", end="")
    print(f"{len(impostor)} impostor pairs, {len(genuine)} genuine pairs)\n")
    print("| threshold | impostor pairs within (p) | genuine pairs within |")
    print("| --- | --- | --- |")
    for name, threshold in (("match", settings.match_threshold), ("review", settings.review_threshold)):
        p = float(np.mean(impostor <= threshold))
        print(f"| {name} {threshold:g} | {p:.4f} | {float(np.mean(genuine <= threshold)):.2f} |")
    rng = np.random.default_rng(2026)
    print(
        "\n| gallery | a stranger within the match threshold of somebody (1-(1-p)^N) | counted on drawn galleries ",
        end="",
    )
    print("| false matches as a ratio to the whole district (20,000) |")
    print("| --- | --- | --- | --- |")
    p = max(float(np.mean(impostor <= settings.match_threshold)), 1 / max(1, len(impostor)))
    baseline = 1 - (1 - p) ** GALLERIES[-1]
    for size in GALLERIES:
        chance = 1 - (1 - p) ** size
        counted = "n/a (too few faces)"
        if size < len(faces) - 1:
            counted = f"{drawn_galleries(faces, size, settings.match_threshold, 200 if quick else 1000, rng):.3f}"
        print(f"| {size:,} | {chance:.3f} | {counted} | {chance / baseline:.2f}× |")
    review = max(float(np.mean(impostor <= settings.review_threshold)), 1 / max(1, len(impostor)))
    print("\n| people elsewhere who may not be shown (watched) | a stranger's face sent to a reviewer by them |")
    print("| --- | --- |")
    for size in WATCHED:
        print(f"| {size:,} | {1 - (1 - review) ** size:.3f} |")
    print(
        "\n| face size of the probe (the enrolled photo full size) | genuine pairs within the match threshold ", end=""
    )
    print("| impostor pairs within the match / review threshold | nearest impostor |")
    print("| --- | --- | --- | --- |")
    for face_px in QUICK_SHRUNK if quick else SHRUNK:
        far, near = shrunk_pairs(people_photos, face_px)
        print(
            f"| {face_px} px | {float(np.mean(near <= settings.match_threshold)):.2f} "
            f"| {float(np.mean(far <= settings.match_threshold)):.4f} "
            f"/ {float(np.mean(far <= settings.review_threshold)):.4f} "
            f"| {float(far.min()):.2f} |"
        )
    print("\np floors at one impostor pair in all when none is within the threshold: with this few faces a rate")
    print("below 1 in the number of pairs cannot be seen. Adult public figures and strangers in Flickr photos, not")
    print("children: dlib's encoder is known to separate children's faces less well, so p is a lower bound.")


if __name__ == "__main__":
    main()

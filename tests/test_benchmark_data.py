"""The precision benchmark's photos and scenes are what they claim to be (no face engine runs here)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from benchmarks import photo_sets as sets
from benchmarks.scenes import LARGE, SCENES, crowd, cut_by_edge, far_away, small_turned, turn_box
from media.faces import Box

IMAGES = {".jpg", ".jpeg", ".png"}
LICENCE = re.compile(r"CC0|CC BY|GPL|public domain|no known copyright|as `faces-wild/`", re.IGNORECASE)
WITHOUT_PEOPLE = ("scenes", "no-people")
WITH_PEOPLE = ("faces", "faces-wild", "more-people", "groups-wild")


def photos(folder: str) -> list:
    return sorted(p for p in (sets.DATA / folder).rglob("*") if p.suffix.lower() in IMAGES)


def test_every_photo_is_listed_in_sources_with_its_licence() -> None:
    sources = (sets.DATA / "SOURCES.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line for line in sources.splitlines() if line.startswith("| `")}
    for folder in ("scenes", "no-people", "more-people", "groups-wild"):
        for photo in photos(folder):
            assert photo.name in rows, f"{folder}/{photo.name} is not listed in tests/data/SOURCES.md"
            assert LICENCE.search(rows[photo.name]), f"{folder}/{photo.name} has no licence in SOURCES.md"
    manifest = (sets.FACES / "MANIFEST.csv").read_text()
    assert all(str(p.relative_to(sets.FACES)) in manifest for p in photos("faces"))
    annotated = set(sets.wild_boxes())
    assert {p.name for p in [*photos("faces-wild"), *photos("groups-wild")]} <= annotated


def test_there_are_at_least_thirty_photos_without_people_and_thirty_of_people() -> None:
    assert sum(len(photos(folder)) for folder in WITHOUT_PEOPLE) >= 30
    assert sum(len(photos(folder)) for folder in WITH_PEOPLE) >= 30


def test_the_new_photos_are_small_enough_to_keep() -> None:
    new = [*photos("scenes"), *photos("groups-wild")]
    assert sum(p.stat().st_size for p in new) < 15 * 2**20
    for photo in new:
        with Image.open(photo) as image:
            assert max(image.size) <= 1600, photo.name


def test_consented_students_are_enrolled_from_another_photo_than_those_cleared() -> None:
    references = set(sets.REFERENCES.values())
    assert not references & {path for _, path in sets.PORTRAITS}
    assert {who for who, _ in sets.PORTRAITS} <= set(sets.REFERENCES)
    # nobody of the unenrolled faces (faces-wild, more-people, Lin-Manuel Miranda) is a student
    assert not {p.name for p in photos("faces-wild")} & {*sets.GROUPS, sets.FROM_BEHIND}
    assert "lin_manuel_miranda" not in sets.REFERENCES


def marked_face() -> tuple[np.ndarray, Box]:
    """A 400 px square with a 100 px 'face' at its centre, red in its top-left quarter: its turn is readable."""
    rgb = np.full((400, 400, 3), 90, np.uint8)
    rgb[150:250, 150:250] = (240, 220, 200)
    rgb[150:200, 150:200] = (255, 0, 0)
    return rgb, Box(top=150, right=250, bottom=250, left=150)


def red_quarter(rgb: np.ndarray, face: Box) -> tuple[bool, bool]:
    """Where the red quarter is in the face: (in the top half, in the left half)."""
    area = rgb[face.top : face.bottom, face.left : face.right].astype(int)
    ys, xs = np.nonzero((area[..., 0] > 200) & (area[..., 1] < 60))
    assert len(ys), "the face is not where the scene says"
    return bool(ys.mean() < area.shape[0] / 2), bool(xs.mean() < area.shape[1] / 2)


def overlap(a: Box, b: Box) -> bool:
    return a.left < b.right and b.left < a.right and a.top < b.bottom and b.top < a.bottom


BACKGROUND = np.full((300, 400, 3), 30, np.uint8)


@pytest.mark.parametrize("edge", ["left", "right", "top", "bottom"])
def test_a_face_cut_by_the_edge_reaches_past_it_by_about_half(edge: str) -> None:
    rgb, box = marked_face()
    derived = cut_by_edge(edge)(rgb, box, BACKGROUND)
    (face,) = derived.faces
    height, width = derived.rgb.shape[:2]
    outside = {"left": -face.left, "right": face.right - width, "top": -face.top, "bottom": face.bottom - height}[edge]
    size = face.width if edge in ("left", "right") else face.height
    assert 0.4 * size <= outside <= 0.6 * size
    visible = derived.visible(face)
    assert visible.width * visible.height < 0.6 * face.width * face.height
    assert (derived.rgb[visible.top : visible.bottom, visible.left : visible.right].max(axis=2) > 80).mean() > 0.9


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_a_small_face_in_a_large_scene_is_turned_with_the_photo(turns: int) -> None:
    rgb, box = marked_face()
    upright = small_turned(0)(rgb, box, BACKGROUND)
    turned = small_turned(turns)(rgb, box, BACKGROUND)
    assert max(turned.rgb.shape[:2]) == LARGE[0]
    assert np.array_equal(turned.rgb, np.rot90(upright.rgb, turns))
    (face,) = turned.faces
    assert 60 <= max(face.width, face.height) <= 80
    assert face == turn_box(upright.faces[0], upright.rgb.shape, turns)
    assert red_quarter(turned.rgb, face) == {1: (False, True), 2: (False, False), 3: (True, False)}[turns]


def test_a_crowd_has_small_faces_apart_some_of_them_turned() -> None:
    rgb, box = marked_face()
    derived = crowd()(rgb, box, BACKGROUND)
    height, width = derived.rgb.shape[:2]
    assert (width, height) == LARGE and len(derived.faces) == 9
    for n, face in enumerate(derived.faces):
        assert 25 <= face.width <= 50 and 25 <= face.height <= 50
        assert face.left >= 0 and face.right <= width and face.top >= 0 and face.bottom <= height
        assert not any(overlap(face, other) for other in derived.faces[n + 1 :])
    turns = {red_quarter(derived.rgb, face) for face in derived.faces}
    assert len(turns) >= 3  # upright, and turned or mirrored in at least two more ways


def test_a_person_far_away_has_a_face_too_small_for_any_detector() -> None:
    rgb, box = marked_face()
    derived = far_away()(rgb, box, BACKGROUND)
    (face,) = derived.faces
    assert face.width == 16 and derived.rgb.shape[1] == LARGE[0]
    red_quarter(derived.rgb, face)


def test_every_condition_of_the_recall_benchmark_is_a_scene_and_keeps_its_face_at_the_centre() -> None:
    rgb, box = marked_face()
    from benchmarks.conditions import CONDITIONS

    assert set(CONDITIONS) < set(SCENES)
    for name in ("upright", "turned 90°", "turned 270°"):
        derived = SCENES[name](rgb, box, BACKGROUND)
        (face,) = derived.faces
        assert (
            red_quarter(derived.rgb, face)
            == {
                "upright": (True, True),
                "turned 90°": (False, True),
                "turned 270°": (True, False),
            }[name]
        )

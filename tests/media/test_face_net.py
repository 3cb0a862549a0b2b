"""MediaPipe's BlazeFace over windows (media/face_net.py), compared in benchmarks/people.py: its model, windows
and agreement."""

from __future__ import annotations

import hashlib

import numpy as np

from media import face_net
from media.faces import Box
from media.images import decode_photo
from tests.hard_faces import face_photo
from tests.paths import ROOT

PERSON = "people/kit_harington/kit-2.jpg"


def test_the_model_is_the_one_recorded_with_its_source_and_licence() -> None:
    digest = hashlib.sha256(face_net.MODEL.read_bytes()).hexdigest()
    sources = (face_net.MODEL.parent / "SOURCES.md").read_text()
    assert digest in sources
    assert "Apache License" in (face_net.MODEL.parent / "LICENSE-mediapipe.txt").read_text()


def test_windows_cover_the_photo_at_every_size_down_to_the_smallest() -> None:
    sizes = face_net.window_sizes(1600, 1200)
    assert sizes[0] == [(0, 0, 1600)]
    sides = [s[0][2] for s in sizes]
    smallest = 1600 * face_net.MIN_WINDOW_SHARE
    assert sides == sorted(sides, reverse=True) and smallest <= sides[-1] < smallest * face_net.WINDOW_STEP
    for windows in sizes:
        side = windows[0][2]
        covered = np.zeros((1200, 1600), dtype=bool)
        for left, top, _ in windows:
            covered[top : top + side, left : left + side] = True
        assert covered.all(), side


def test_a_face_with_the_eyes_covered_is_found_where_it_is() -> None:
    rgb = decode_photo(face_photo(PERSON, "upper half covered")).rgb
    height, width = rgb.shape[:2]
    found = face_net.detect(rgb, (0, 0, max(width, height)))
    assert found, "no face"
    box, score = max(found, key=lambda f: f[1])
    assert score >= face_net.FACE_SCORE
    assert box.left < width / 2 < box.right and box.top < height / 2 < box.bottom


def test_a_face_counts_only_where_two_window_sizes_agree() -> None:
    face = Box(top=100, right=200, bottom=200, left=100)
    elsewhere = Box(top=400, right=500, bottom=500, left=400)
    assert face_net.agreed([(face, 0.9, 800), (face, 0.6, 800)]) == []
    assert face_net.agreed([(face, 0.9, 800), (face, 0.6, 673)]) == [(face, 0.9), (face, 0.6)]
    assert face_net.agreed([(face, 0.9, 800), (elsewhere, 0.6, 673)]) == []


def test_a_page_of_text_has_no_face() -> None:
    rgb = decode_photo((ROOT / "tests" / "data" / "no-people" / "text.png").read_bytes()).rgb
    height, width = rgb.shape[:2]
    seen = [
        (box, score, w[2])
        for windows in face_net.window_sizes(width, height)
        for w in windows
        for box, score in face_net.detect(rgb, w)
    ]
    assert face_net.agreed(seen) == []

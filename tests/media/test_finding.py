"""The closer look (media/finding.py): every face found, checked by a second model, and told apart honestly."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from media.analysis import AnalysisSettings, analyse_photo
from media.detectors import presence
from media.detectors.yunet import UPRIGHT_SIDE
from media.faces import Box, find_faces
from media.finding import CUT_BY_EDGE, TOO_SMALL, UNCLEAR, SearchLimits, look_closer
from media.images import Photo, decode_photo
from tests.hard_faces import DATA, face_photo, face_sample
from tests.paths import ROOT

PERSON = "people/rose_leslie/rose-2.jpg"
NO_PEOPLE = ROOT / "tests" / "data" / "no-people"


def _rgb(data: bytes) -> np.ndarray:
    return decode_photo(data).rgb


def _first_search(rgb: np.ndarray) -> tuple[Box, ...]:
    photo = Photo(rgb=rgb, width=rgb.shape[1], height=rgb.shape[0], format="JPEG")
    return tuple(face.box for face in find_faces(b"", photo=photo)[1])


def _at_centre(box: Box, rgb: np.ndarray) -> bool:
    return box.left < rgb.shape[1] / 2 < box.right and box.top < rgb.shape[0] / 2 < box.bottom


def test_the_presence_model_is_the_one_recorded_with_its_source_and_licence() -> None:
    digest = hashlib.sha256(presence.MODEL.read_bytes()).hexdigest()
    assert digest in (presence.MODEL.parent / "SOURCES.md").read_text()
    assert "Apache License" in (presence.MODEL.parent / "LICENSE-mediapipe.txt").read_text()


def test_a_turned_face_is_found_in_place_and_encoded_as_if_upright() -> None:
    turned = _rgb(face_photo(PERSON, "turned 90°"))
    assert _first_search(turned) == ()  # the first search misses it
    found = look_closer(turned)
    assert len(found.faces) == 1 and found.unrecognisable == () and found.unfinished is None
    assert _at_centre(found.faces[0].box, turned)
    reference = find_faces((DATA / "people/rose_leslie/rose-1.jpg").read_bytes())[1][0].encoding
    assert np.linalg.norm(found.faces[0].encoding - reference) < 0.5  # the same person as upright
    assert any("0/90/180/270" in s and s.startswith("yunet@") and s.endswith(" ms") for s in found.searches)


def test_faces_already_found_are_not_found_twice_and_limits_are_kept() -> None:
    upright = _rgb(face_photo(PERSON, "upright"))
    assert look_closer(upright, known=_first_search(upright)).faces == ()
    refused = look_closer(upright, limits=SearchLimits(max_pixels=10_000))
    assert refused.faces == () and refused.unfinished and "too many pixels" in refused.unfinished
    cut = look_closer(upright, limits=SearchLimits(seconds=0.0))
    assert cut.unfinished and "did not finish" in cut.unfinished


def test_a_covered_face_is_a_face_that_cannot_be_compared_never_encoded() -> None:
    rgb = _rgb(face_photo("people/kit_harington/kit-2.jpg", "upper half covered"))
    found = look_closer(rgb)
    assert found.faces == ()  # half a face could match the wrong child
    assert [u.why for u in found.unrecognisable if _at_centre(u.box, rgb)] == [UNCLEAR]


@pytest.mark.parametrize("edge", ["left", "right", "top", "bottom"])
def test_half_a_face_cut_by_the_edge_is_found_and_said_to_be_cut_off(edge: str) -> None:
    sample = face_sample(PERSON)
    cx, cy = (sample.box.left + sample.box.right) // 2, (sample.box.top + sample.box.bottom) // 2
    rgb = {
        "left": sample.rgb[:, cx:],
        "right": sample.rgb[:, :cx],
        "top": sample.rgb[cy:, :],
        "bottom": sample.rgb[:cy, :],
    }[edge]
    found = look_closer(np.ascontiguousarray(rgb))
    assert found.faces == ()
    assert [u.why for u in found.unrecognisable] == [CUT_BY_EDGE]


def test_a_small_face_far_away_in_a_turned_photo_is_found() -> None:
    sample = face_sample(PERSON)
    scale = 70 / sample.box.width
    crop = Image.fromarray(sample.rgb).resize((round(sample.rgb.shape[1] * scale), round(sample.rgb.shape[0] * scale)))
    scene = Image.new("RGB", (4000, 3000), (120, 130, 110))
    scene.paste(crop, (2500, 1800))
    rgb = np.ascontiguousarray(np.rot90(np.asarray(scene), 1))
    found = look_closer(rgb)
    assert len(found.faces) + len(found.unrecognisable) == 1


def test_a_face_under_the_smallest_size_to_compare_is_too_small_to_recognise() -> None:
    sample = face_sample(PERSON)
    scale = 30 / sample.box.width
    small = Image.fromarray(sample.rgb).resize((round(sample.rgb.shape[1] * scale), round(sample.rgb.shape[0] * scale)))
    scene = Image.new("RGB", (1200, 900), (120, 130, 110))
    scene.paste(small, (500, 400))
    found = look_closer(np.asarray(scene), limits=SearchLimits(min_face_px=40))
    assert found.faces == () and [u.why for u in found.unrecognisable] == [TOO_SMALL]


@pytest.mark.parametrize("name", ["coffee.png", "hubble_deep_field.jpg", "chelsea.png", "text.png"])
def test_patterns_one_detector_takes_for_a_face_are_not_faces(name: str) -> None:
    found = look_closer(_rgb((NO_PEOPLE / name).read_bytes()))
    assert [u.why for u in found.unrecognisable if u.why != "a person whose face cannot be seen"] == []
    assert found.faces == ()


@pytest.mark.parametrize(
    "name", ["people/obama/obama-4.jpg", "people/kit_harington/kit-1.jpg", "people/biden/biden-2.jpg"]
)
def test_a_portrait_is_one_face_however_the_detectors_turn_it(name: str) -> None:
    rgb = _rgb((DATA / name).read_bytes())
    found = look_closer(rgb, known=_first_search(rgb))
    assert (
        found.faces == () and [u for u in found.unrecognisable if u.why != "a person whose face cannot be seen"] == []
    )


def test_a_photo_smaller_than_a_person_is_searched_without_harm() -> None:
    """OpenCV's people detector reads past an image smaller than its window; the closer look never asks it."""
    found = look_closer(np.zeros((64, 48, 3), dtype=np.uint8))
    assert found.faces == () and found.unrecognisable == () and found.unfinished is None


@pytest.mark.parametrize("face_px", [22, 25])
def test_a_face_far_away_in_a_12_mp_photo_is_found_and_too_small_to_recognise(face_px: int) -> None:
    """Under 10 px in a 1600 px copy no detector sees a face: the upright pass searches a larger copy."""
    sample = face_sample(PERSON)
    scale = face_px / sample.box.width
    small = Image.fromarray(sample.rgb).resize((round(sample.rgb.shape[1] * scale), round(sample.rgb.shape[0] * scale)))
    scene = Image.fromarray(_rgb((NO_PEOPLE / "coffee.png").read_bytes())).resize((4000, 3000))
    scene.paste(small, (1300, 1500))
    found = look_closer(np.asarray(scene))
    assert found.faces == ()
    assert [u.why for u in found.unrecognisable] == [TOO_SMALL]
    assert any(s.startswith("yunet@1600") and f"upright @{UPRIGHT_SIDE}" in s for s in found.searches)


@pytest.mark.xfail(
    strict=True,
    reason="known miss: a face a quarter in view, turned aside, at the right edge of a portrait (no detector or "
    "presence check sees it; the photo is allowed on the portrait's face alone)",
)
def test_the_woman_at_the_right_edge_of_a_portrait_is_found() -> None:
    rgb = _rgb((DATA / "people/obama/obama-2.jpg").read_bytes())
    found = look_closer(rgb, known=_first_search(rgb))
    assert any(u.box.right >= rgb.shape[1] - 2 and u.box.left > rgb.shape[1] / 2 for u in found.unrecognisable)


@pytest.mark.parametrize("name", ["scenes/marigold.jpg", "more-people/astronaut.png"])
def test_a_pattern_dlib_takes_for_a_face_is_no_face_to_the_first_search(name: str) -> None:
    """dlib's HOG sees a 36 px face in a marigold's centre, and a 90 px one in the mission patch on an
    astronaut's sleeve; the first search finds faces with YuNet and checks each with HOG, and neither is one."""
    data = (ROOT / "tests" / "data" / name).read_bytes()
    hog = [face.box for face in find_faces(data)[1]]
    analysis = analyse_photo(data)
    assert len(analysis.faces) == len(hog) - 1
    assert all(any(face.box.same_place(box) for box in hog) for face in analysis.faces)
    assert analysis.unrecognisable == ()


def test_small_real_faces_dlib_finds_are_found_by_the_first_search() -> None:
    """Six faces of 36-52 px at a table: each one dlib's HOG finds is found, to compare or as too small."""
    data = (ROOT / "tests" / "data" / "groups-wild" / "2008_002470.jpg").read_bytes()
    hog = [face.box for face in find_faces(data)[1]]
    analysis = analyse_photo(data)
    found = [face.box for face in analysis.faces] + [u.box for u in analysis.unrecognisable]
    assert len(hog) == 6 and all(any(box.same_place(other) for other in found) for box in hog)
    assert {u.why for u in analysis.unrecognisable} <= {TOO_SMALL}


def test_a_place_the_first_search_dismissed_is_not_taken_up_again_by_a_weaker_detection() -> None:
    """On a fallen leaf the first search's YuNet sees a 'face' (0.78) that HOG and the presence network both
    deny; the closer look's upside-down pass sees the same place, weaker (0.58) and mirrored at the edge. The
    most confident detection of a place decides it, as when every pass ran in one search."""
    data = (ROOT / "tests" / "data" / "scenes" / "fallen-leaf.jpg").read_bytes()
    first = analyse_photo(data)
    assert first.faces == () and first.unrecognisable == () and first.candidates
    how = AnalysisSettings(
        first_faces=first.faces,
        first_unrecognisable=first.unrecognisable,
        first_candidates=first.candidates,
        first_searches=first.searches,
        search_harder=True,
    )
    closer = analyse_photo(data, how)
    assert closer.faces == () and closer.unrecognisable == ()
    alone = analyse_photo(data, replace(how, first_candidates=()))  # without them, the weaker one is taken up
    assert [u.why for u in alone.unrecognisable] == [CUT_BY_EDGE]

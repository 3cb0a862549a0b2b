"""The harder search finds a face the upright search misses, where it is, and encodes it upright."""

from __future__ import annotations

import numpy as np

from media.faces import find_faces
from media.harder_search import SearchLimits, search_harder
from media.images import decode_photo
from tests.hard_faces import DATA, face_photo

PERSON = "people/rose_leslie/rose-2.jpg"


def test_a_turned_face_is_found_in_place_and_encoded_as_if_upright() -> None:
    upright = decode_photo(face_photo(PERSON, "upright")).rgb
    turned = decode_photo(face_photo(PERSON, "turned 90°")).rgb
    assert find_faces(b"", photo=_photo(turned))[1] == []  # the first search misses it
    found = search_harder(turned)
    assert len(found.faces) == 1 and found.unfinished is None
    box = found.faces[0].box
    assert box.left < turned.shape[1] / 2 < box.right and box.top < turned.shape[0] / 2 < box.bottom
    reference = find_faces((DATA / "people/rose_leslie/rose-1.jpg").read_bytes())[1][0].encoding
    assert np.linalg.norm(found.faces[0].encoding - reference) < 0.5  # the same person as upright
    assert len(find_faces(b"", photo=_photo(upright))[1]) == 1
    assert any("0/90/180/270" in s for s in found.searches) and any(s.startswith("cnn") for s in found.searches)


def test_faces_already_found_are_not_found_twice_and_limits_are_kept() -> None:
    upright = decode_photo(face_photo(PERSON, "upright")).rgb
    known = tuple(face.box for face in find_faces(b"", photo=_photo(upright))[1])
    assert search_harder(upright, known=known).faces == ()
    refused = search_harder(upright, limits=SearchLimits(max_pixels=10_000))
    assert refused.faces == () and refused.unfinished and "too many pixels" in refused.unfinished
    cut = search_harder(upright, limits=SearchLimits(seconds=0.0))
    assert cut.unfinished and "did not finish" in cut.unfinished


def _photo(rgb: np.ndarray):
    from media.images import Photo

    return Photo(rgb=rgb, width=rgb.shape[1], height=rgb.shape[0], format="JPEG")

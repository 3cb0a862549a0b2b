"""Faces too small for the reduced search: how small the first search sees, and the closer look."""

from __future__ import annotations

import pytest

from media.analysis import AnalysisSettings, analyse_photo
from media.faces import SMALLEST_FOUND_PX, closer_look_side, find_faces, smallest_found
from tests.small_faces import distant_faces_photo


def test_the_smallest_face_found_grows_with_the_reduction() -> None:
    assert smallest_found(4000, 1600) == 80  # 32 px in the 1600 px copy
    assert smallest_found(1200, 1600) == SMALLEST_FOUND_PX  # searched whole
    assert closer_look_side(4000, 40) == 3200
    assert smallest_found(4000, closer_look_side(4000, 40)) <= 40
    assert closer_look_side(1000, 20) == 1000  # never larger than the photo
    assert smallest_found(4001, closer_look_side(4001, 40)) <= 40  # rounding never leaves a gap


@pytest.mark.slow
def test_distant_faces_are_found_by_the_first_search_and_kept_by_the_closer_look() -> None:
    """Faces of 50 px in a 12 MP photo: dlib's HOG on the 1600 px copy misses them (under 80 px); the first
    search (YuNet on that copy, each face checked by HOG turned upright) finds all six."""
    photo = distant_faces_photo(50)
    assert len(find_faces(photo)[1]) < 6 and smallest_found(4000, 1600) == 80 > 50
    first = analyse_photo(photo, AnalysisSettings(detect_max_side=1600))
    assert len(first.faces) == 6 and first.unrecognisable == ()
    closer = analyse_photo(photo, AnalysisSettings(detect_max_side=1600, search_harder=True))
    assert len(closer.faces) == 6 and closer.unrecognisable == ()
    assert all(40 <= face.box.width <= 90 for face in closer.faces)

"""People far away whose faces cannot be seen: the far people detector (``media/detectors/far_people.py``)."""

from __future__ import annotations

import csv

from media.detectors.far_people import FarPeople
from media.detectors.people import People
from media.faces import Box
from media.images import decode_photo
from tests.paths import ROOT

DATA = ROOT / "tests" / "data"


def _people(photo: str) -> list[Box]:
    with (DATA / "backs" / "people.csv").open(newline="") as rows:
        return [
            Box(top=int(r["top"]), right=int(r["right"]), bottom=int(r["bottom"]), left=int(r["left"]))
            for r in csv.DictReader(rows)
            if r["photo"] == photo
        ]


def test_people_walking_far_off_are_found_where_the_people_detector_sees_almost_no_one() -> None:
    """A frame of OpenCV's sample video: seven people on a path, 70-150 px tall in 576, their faces a few
    pixels wide, some walking away from the camera."""
    rgb = decode_photo((DATA / "backs" / "vtest-610.jpg").read_bytes()).rgb
    people = _people("vtest-610.jpg")
    found = FarPeople().run(rgb)
    assert all(c.kind == "person" for c in found)
    assert sum(any(c.box.centre_in(person) for c in found) for person in people) >= 5
    assert all(any(c.box.centre_in(person) for person in people) for c in found)  # and nobody who is not there
    assert sum(any(c.box.centre_in(person) for c in People().run(rgb)) for person in people) <= 1


def test_nobody_is_found_in_photos_without_people() -> None:
    """Lines on water: a lake at dawn (in which this detector, asked for less, a score of 0.5, saw a person) and
    a pagoda above a lake."""
    for photo in ("scenes/lake-at-dawn.jpg", "no-people/china.jpg"):
        assert FarPeople().run(decode_photo((DATA / photo).read_bytes()).rgb) == []

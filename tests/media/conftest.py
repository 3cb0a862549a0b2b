"""Fixtures for the media tests: the real test photos in tests/data/faces, decoded and searched once per run."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image

from media.faces import Face, find_faces
from media.images import Photo
from media.matching import TemplateIndex
from tests.paths import FACES

OBAMA, BIDEN = 1, 2


@dataclass(frozen=True)
class Entry:
    file: str
    faces: int
    people: tuple[str, ...]


def _manifest() -> list[Entry]:
    with open(FACES / "MANIFEST.csv", newline="") as f:
        return [
            Entry(row["file"], int(row["faces"]), tuple(row["people_left_to_right"].split(";")))
            for row in csv.DictReader(f)
        ]


MANIFEST = _manifest()


def read_photo(file: str) -> bytes:
    return (FACES / file).read_bytes()


def jpeg_bytes(image: Image.Image, **save_args: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, **save_args)
    return out.getvalue()


@pytest.fixture(scope="session")
def faces_of() -> Callable[[str], tuple[Photo, list[Face]]]:
    """find_faces on a test photo, computed at most once per test session."""
    cache: dict[str, tuple[Photo, list[Face]]] = {}

    def lookup(file: str) -> tuple[Photo, list[Face]]:
        if file not in cache:
            cache[file] = find_faces(read_photo(file))
        return cache[file]

    return lookup


@pytest.fixture(scope="session")
def obama_biden_index(faces_of: Callable[[str], tuple[Photo, list[Face]]]) -> TemplateIndex:
    """Obama (person 1) and Biden (person 2), each enrolled from their portrait."""
    obama = faces_of("people/obama/obama-portrait.jpg")[1]
    biden = faces_of("people/biden/biden-portrait.jpg")[1]
    assert len(obama) == len(biden) == 1
    return TemplateIndex([OBAMA, BIDEN], np.stack([obama[0].encoding, biden[0].encoding]))

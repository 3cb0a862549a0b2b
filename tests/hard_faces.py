"""Photos of one face under each condition a detector struggles with, made from tests/data/faces."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from benchmarks.conditions import CONDITIONS
from benchmarks.recall import Sample, centred, jpeg
from media.faces import find_faces

DATA = Path(__file__).resolve().parent / "data" / "faces"
# Small photos (a 100 px face in a 400 px square) keep the closer look to about a second.
FACE_PX = 100


def face_sample(file: str, face_px: int = FACE_PX) -> Sample:
    """``file``'s face, centred in a square four face widths wide."""
    photo, faces = find_faces((DATA / file).read_bytes())
    return centred(file, photo.rgb, faces[0].box, face_px=face_px)


@cache
def face_photo(file: str, condition: str) -> bytes:
    """``file``'s face, centred in a square four face widths wide, under ``condition``; as JPEG."""
    sample = face_sample(file)
    return jpeg(CONDITIONS[condition](sample.rgb, sample.box))

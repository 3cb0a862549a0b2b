from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from media.faces import Box, Face, find_faces
from media.images import Photo
from tests.media.conftest import MANIFEST, Entry, jpeg_bytes

FacesOf = Callable[[str], tuple[Photo, list[Face]]]


def overlap(a: Box, b: Box) -> float:
    """Intersection over union."""
    width = max(0, min(a.right, b.right) - max(a.left, b.left))
    height = max(0, min(a.bottom, b.bottom) - max(a.top, b.top))
    inter = width * height
    return inter / (a.width * a.height + b.width * b.height - inter)


@pytest.mark.parametrize("entry", MANIFEST, ids=[e.file for e in MANIFEST])
def test_face_count_matches_the_manifest(entry: Entry, faces_of: FacesOf) -> None:
    photo, faces = faces_of(entry.file)
    assert len(faces) == entry.faces
    lefts = [face.box.left for face in faces]
    assert lefts == sorted(lefts)
    for face in faces:
        assert 0 <= face.box.left < face.box.right <= photo.width
        assert 0 <= face.box.top < face.box.bottom <= photo.height
        assert face.encoding.shape == (128,) and face.encoding.dtype == np.float64


def test_12_megapixel_upscale_finds_the_same_faces_in_full_resolution_coordinates(
    tmp_path: Path, faces_of: FacesOf
) -> None:
    original, original_faces = faces_of("groups/biden-obama.jpg")
    scale = (12_000_000 / (original.width * original.height)) ** 0.5
    size = (round(original.width * scale), round(original.height * scale))
    path = tmp_path / "biden-obama-12mp.jpg"
    path.write_bytes(jpeg_bytes(Image.fromarray(original.rgb).resize(size, Image.Resampling.LANCZOS)))

    photo, faces = find_faces(path.read_bytes())
    assert (photo.width, photo.height) == size
    assert len(faces) == 2
    for big, small in zip(faces, original_faces, strict=True):
        expected = Box(*(round(side * scale) for side in small.box.css()))
        # HOG boxes step with the detector's pyramid level, so compare overlap, not corners.
        assert overlap(big.box, expected) > 0.6
        # Encoded from the full-resolution pixels, the face is still the same person.
        assert np.linalg.norm(big.encoding - small.encoding) < 0.25


def test_small_images_are_not_shrunk_before_detection(faces_of: FacesOf) -> None:
    photo, faces = faces_of("edge/obama-240p.jpg")
    _, full = faces_of("people/obama/obama-portrait.jpg")
    assert max(photo.width, photo.height) < 500 and len(faces) == 1
    assert np.linalg.norm(faces[0].encoding - full[0].encoding) < 0.5


def test_a_decoded_photo_can_be_searched_without_decoding_again(faces_of: FacesOf) -> None:
    photo, faces = faces_of("groups/kit-rose.jpg")
    again_photo, again = find_faces(b"", photo=photo)
    assert again_photo is photo
    assert [f.box for f in again] == [f.box for f in faces]


def test_faces_cut_by_the_border_are_clipped_to_the_image(faces_of: FacesOf) -> None:
    _, faces = faces_of("edge/obama-partial-1.jpg")
    assert faces[0].box.left == 0


def test_detection_size_changes_speed_not_results_on_a_large_group_photo(
    faces_of: FacesOf,
) -> None:
    photo, faces = faces_of("groups/biden-obama-child.jpg")
    _, coarse = find_faces(b"", photo=photo, detect_max_side=1024)
    assert len(coarse) == len(faces) == 3
    for a, b in zip(coarse, faces, strict=True):
        assert np.linalg.norm(a.encoding - b.encoding) < 0.2


def test_box_geometry() -> None:
    box = Box(top=10, right=70, bottom=90, left=20)
    assert (box.width, box.height, box.size) == (50, 80, 50)
    assert box.as_dict() == {"top": 10, "right": 70, "bottom": 90, "left": 20}
    assert box.padded(0.5, width=80, height=200) == Box(top=0, right=80, bottom=130, left=0)


def test_an_image_without_faces_has_none() -> None:
    blank = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 180, 160)).save(blank, "PNG")
    assert find_faces(blank.getvalue())[1] == []

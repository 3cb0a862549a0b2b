"""The first search's large upright copy is searched in tiles (media/detectors/yunet.py): each face once, from
the tile that holds it whole, wherever the tiles' edges fall, and the same faces as the copy searched whole."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from media import finding
from media.detectors import Candidate, yunet
from media.faces import Box, find_faces
from media.finding import CUT_BY_EDGE, TOO_SMALL, look_upright
from media.images import decode_photo
from tests.conftest import FACES
from tests.small_faces import PEOPLE, distant_faces_photo


def _centres(rows: np.ndarray) -> list[tuple[float, float]]:
    kept = rows[rows[:, 0] >= yunet.MIN_SCORE]
    return sorted((round(float(x + w / 2)), round(float(y + h / 2))) for x, y, w, h in kept[:, 1:5])


def _face_crop(file: str, face_px: int) -> Image.Image:
    return _face_and_centre(file, face_px)[0]


def _face_and_centre(file: str, face_px: int) -> tuple[Image.Image, tuple[int, int]]:
    """The person's head and shoulders with the face ``face_px`` wide, and where the face's centre is in it."""
    photo, faces = find_faces((FACES / file).read_bytes())
    box = faces[0].box
    area = box.padded(0.8, width=photo.width, height=photo.height)
    crop = Image.fromarray(photo.rgb[area.top : area.bottom, area.left : area.right])
    scale = face_px / box.width
    centre = (
        round(((box.left + box.right) / 2 - area.left) * scale),
        round(((box.top + box.bottom) / 2 - area.top) * scale),
    )
    return crop.resize((max(1, round(area.width * scale)), max(1, round(area.height * scale)))), centre


def _across_tile_edges() -> np.ndarray:
    """A 2000 x 1400 BGR copy with faces of 40-90 px centred on the edges and corners of the tiles' cores."""
    canvas = Image.new("RGB", (2000, 1400), (150, 140, 120))
    cores_x, cores_y = yunet._cores(2000), yunet._cores(1400)
    spots = [(cores_x[1][0], cores_y[0][1]), (cores_x[2][0], cores_y[1][0]), (cores_x[0][1] + 200, cores_y[1][1])]
    spots += [(cores_x[3][0] + 60, 300), (1700, cores_y[2][0] - 30)]
    for n, (x, y) in enumerate(spots):
        crop = _face_crop(PEOPLE[n % len(PEOPLE)], 40 + 12 * n)
        canvas.paste(crop, (x - crop.width // 2, y - crop.height // 2))
    return np.ascontiguousarray(np.asarray(canvas)[:, :, ::-1])


def test_faces_on_the_tiles_edges_are_found_once_each_as_in_the_copy_searched_whole() -> None:
    bgr = _across_tile_edges()
    whole, tiled = _centres(yunet._detected(bgr)), _centres(yunet._in_tiles(bgr))
    assert len(whole) == 5
    assert len(tiled) == len(whole)
    for (x, y), (wx, wy) in zip(tiled, whole, strict=True):
        assert abs(x - wx) <= 4 and abs(y - wy) <= 4


def test_the_cores_cover_the_copy_in_equal_parts() -> None:
    for length in (1, 511, 512, 513, 1600, 3328):
        cores = yunet._cores(length)
        assert cores[0][0] == 0 and cores[-1][1] == length
        assert all(a[1] == b[0] for a, b in zip(cores, cores[1:], strict=False))
        sizes = [end - start for start, end in cores]
        assert max(sizes) <= yunet.TILE and min(sizes) >= max(sizes) - len(cores)  # no sliver of a tile


@pytest.mark.parametrize("face_px", [22, 50])
def test_the_first_search_finds_faces_far_away_in_a_12_mp_photo(face_px: int) -> None:
    """16-50 px faces in a 4000 x 3000 photo are under what a 1600 px copy shows: the first search's large copy
    finds all six people, and those under the smallest face to compare are too small to recognise."""
    rgb = decode_photo(distant_faces_photo(face_px)).rgb
    found = look_upright(rgb)
    assert found.searches[0].startswith(f"yunet@{yunet.UPRIGHT_SIDE} upright (in {yunet.TILE} px tiles")
    if face_px < 40:
        assert found.faces == () and [u.why for u in found.unrecognisable] == [TOO_SMALL] * 6
    else:
        assert len(found.faces) == 6 and found.unrecognisable == ()


@pytest.mark.parametrize(("edge", "face_px"), [("left", 60), ("right", 140), ("top", 90), ("bottom", 300)])
def test_half_a_face_cut_by_a_12_mp_photos_edge_is_found_by_the_first_search(edge: str, face_px: int) -> None:
    """Faces cut in half by the edge of a 4000 x 3000 photo, from a child's far away to a close one: the
    large copy's border shows the small ones whole-ish, the smaller copies' wider border the larger ones."""
    face, (fx, fy) = _face_and_centre(PEOPLE[1], face_px)
    canvas = Image.new("RGB", (4000, 3000), (150, 140, 120))
    x, y = {  # the face's centre on the edge
        "left": (-fx, 1500),
        "right": (4000 - fx, 900),
        "top": (2100, -fy),
        "bottom": (700, 3000 - fy),
    }[edge]
    canvas.paste(face, (x, y))
    found = look_upright(np.asarray(canvas))
    assert found.faces == ()  # half a face could match the wrong child
    assert [u.why for u in found.unrecognisable] == [CUT_BY_EDGE]


def test_a_person_far_away_with_a_16_px_face_in_a_12_mp_photo_is_too_small_to_recognise() -> None:
    face, (fx, fy) = _face_and_centre(PEOPLE[4], 16)
    canvas = Image.new("RGB", (4000, 3000), (150, 140, 120))
    canvas.paste(face, (1333 - fx, 1500 - fy))
    found = look_upright(np.asarray(canvas))
    assert [u.why for u in found.unrecognisable] == [TOO_SMALL]
    assert found.unrecognisable[0].box.left < 1333 < found.unrecognisable[0].box.right


@pytest.mark.parametrize(
    ("face_px", "score", "degrees", "counts"),
    [
        (14, 0.75, 0.0, True),  # tiny and upright: YuNet's word is enough
        (14, 0.75, 20.0, True),
        (14, 0.6, 0.0, False),  # not sure enough: the presence network decides, and sees nothing
        (14, 0.75, 90.0, False),  # a turned pass's tiny detection: the presence network decides
        (40, 0.75, 0.0, False),  # large enough for the presence network to judge
        (40, 0.85, 0.0, True),  # sure on its own
    ],
)
def test_a_face_under_what_the_presence_network_can_judge_counts_on_yunets_word(
    face_px: int, score: float, degrees: float, counts: bool
) -> None:
    candidate = Candidate(
        box=Box(top=100, right=100 + face_px, bottom=100 + face_px, left=100),
        detector="yunet",
        score=score,
        degrees=degrees,
        size=float(face_px),
    )
    blank = np.full((96, 96, 3), 128, dtype=np.uint8)  # nothing there for the presence network
    assert finding._confirmed(candidate, blank) is counts

"""The closer look after a first search searches a reduced copy of a large photo (the JPEG decoder makes it
nearly free) and decodes the photo whole only when it finds someone new to check and encode there."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import media.analysis
from media.analysis import AnalysisSettings, PhotoAnalysis, analyse_photo
from media.faces import find_faces
from media.images import decode_photo, decode_reduced
from tests.conftest import FACES

PORTRAIT = "people/obama/obama-3.jpg"
LYING_DOWN = "people/rose_leslie/rose-2.jpg"


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def _scene(*, lying_down: bool) -> tuple[bytes, tuple[int, int]]:
    """A 4000 x 3000 photo of a portrait's face, and (``lying_down``) a second person's face of about 150 px
    turned a quarter, as a child lying on a mat; and where that face's centre is."""
    canvas = Image.new("RGB", (4000, 3000), (120, 130, 140))
    canvas.paste(Image.open(FACES / PORTRAIT).convert("RGB").resize((1200, 1500)), (600, 700))
    centre = (3000, 2000)
    if lying_down:
        photo, faces = find_faces((FACES / LYING_DOWN).read_bytes())
        area = faces[0].box.padded(0.6, width=photo.width, height=photo.height)
        crop = Image.fromarray(photo.rgb[area.top : area.bottom, area.left : area.right])
        scale = 150 / faces[0].box.width
        crop = crop.resize((round(crop.width * scale), round(crop.height * scale))).rotate(90, expand=True)
        canvas.paste(crop, (centre[0] - crop.width // 2, centre[1] - crop.height // 2))
    return _jpeg(canvas), centre


def _both_searches(data: bytes) -> tuple[PhotoAnalysis, PhotoAnalysis]:
    first = analyse_photo(data, AnalysisSettings())
    closer = analyse_photo(
        data,
        AnalysisSettings(
            first_faces=first.faces,
            first_unrecognisable=first.unrecognisable,
            first_candidates=first.candidates,
            first_searches=first.searches,
            search_harder=True,
        ),
    )
    return first, closer


@pytest.fixture
def whole_decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the photos ``media.analysis`` decodes whole."""
    calls: list[int] = []
    real = media.analysis.decode_photo

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(media.analysis, "decode_photo", counted)
    return calls


def test_a_reduced_copy_keeps_the_photos_size_and_maps_back_onto_it() -> None:
    data, _ = _scene(lying_down=False)
    reduced = decode_reduced(data, min_side=1600)
    assert (reduced.width, reduced.height) == (4000, 3000)
    assert 1600 <= max(reduced.rgb.shape[:2]) < 4000
    assert reduced.scale == pytest.approx(4000 / reduced.rgb.shape[1])


def test_nobody_new_in_a_large_photo_means_it_is_not_decoded_whole_again(whole_decodes: list[int]) -> None:
    data, _ = _scene(lying_down=False)
    first, closer = _both_searches(data)
    assert len(first.faces) == 1 and whole_decodes == [1]  # the first search's own decoding
    assert closer.faces == first.faces and closer.unrecognisable == () and closer.unfinished is None
    assert whole_decodes == [1]
    assert (closer.width, closer.height) == (4000, 3000)


def test_someone_new_is_found_on_the_reduced_copy_and_checked_on_the_whole_photo(whole_decodes: list[int]) -> None:
    data, (cx, cy) = _scene(lying_down=True)
    first, closer = _both_searches(data)
    assert len(first.faces) == 1  # the first search looks for upright faces
    assert len(closer.faces) == 2 and whole_decodes == [1, 1]
    new = next(face for face in closer.faces if face not in first.faces)
    assert new.box.left < cx < new.box.right and new.box.top < cy < new.box.bottom
    assert 100 <= new.box.width <= 220  # in the photo's pixels, not the copy's
    reference = find_faces((FACES / LYING_DOWN).read_bytes())[1][0].encoding
    assert np.linalg.norm(new.encoding - reference) < 0.6  # encoded from the whole photo, upright
    assert decode_photo(data).width == 4000

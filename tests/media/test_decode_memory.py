"""Analysing a large photo takes memory in proportion to one copy of its pixels, not five; a photo whose
decoding would pass the memory budget is refused (413) before it is decoded."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from media.images import DEFAULT_MAX_DECODE_BYTES, _resized, decode_photo, thumbnail_jpeg
from tests.api.memory_probe import peak_growth

PNG_40_MP = """
import io
from PIL import Image, ImageDraw
from media.analysis import AnalysisSettings, analyse_photo, warm_up
warm_up()
image = Image.new("RGB", (8000, 5000), (120, 170, 230))
draw = ImageDraw.Draw(image)
for left in range(0, 8000, 400):
    draw.rectangle([left, 1000, left + 200, 4000], fill=(200, 100, 50))
out = io.BytesIO()
image.save(out, "PNG")
data = out.getvalue()  # about 0.1 MB
del image, draw, out
"""


@pytest.mark.slow
def test_a_40_megapixel_png_is_analysed_within_one_copy_of_its_pixels():
    growth, result = peak_growth(
        PNG_40_MP,
        """
analysis = analyse_photo(data, AnalysisSettings())
result = (analysis.width, analysis.height)
""",
    )
    assert result == "(8000, 5000)"
    # RGB pixels: 160 MB in Pillow (4 bytes a pixel) and 120 MB as the array; it was 687 MB
    assert growth < 360, f"analysing a 40 MP PNG raised memory by {growth} MiB"


def test_a_photo_needing_more_memory_than_the_budget_is_refused_before_decoding(tmp_path):
    pixels = DEFAULT_MAX_DECODE_BYTES // 12 + 1_000_000  # RGBA: Pillow's 4 bytes, a copy, a mask, the array
    side = int(pixels**0.5) + 1
    Image.new("RGBA", (side, side), (0, 0, 0, 0)).save(tmp_path / "clear.png", "PNG")
    growth, result = peak_growth(
        f"""
from media.images import ImageTooLarge, decode_photo
data = open({str(tmp_path / "clear.png")!r}, "rb").read()
""",
        """
try:
    decode_photo(data, max_pixels=10**9)
    result = "decoded"
except ImageTooLarge as exc:
    result = (exc.status_code, "memory" in exc.message)
""",
    )
    assert result == "(413, True)"
    assert growth < 50


def test_shrinking_in_strips_gives_the_same_pixels_as_pillow():
    rgb = np.random.default_rng(7).integers(0, 256, (2017, 3001, 3), dtype=np.uint8)
    whole = Image.fromarray(rgb).resize((1600, 1075), Image.Resampling.BILINEAR, reducing_gap=2.0)
    assert np.array_equal(
        np.asarray(whole), np.asarray(_resized(rgb, (1600, 1075), Image.Resampling.BILINEAR, reducing_gap=2.0))
    )
    expected = Image.fromarray(rgb)
    expected.thumbnail((240, 240), Image.Resampling.LANCZOS, reducing_gap=3.0)
    assert Image.open(io.BytesIO(thumbnail_jpeg(rgb, max_side=240))).size == expected.size


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "L", "CMYK"])
def test_every_mode_still_decodes_upright_and_flattened_on_white(mode):
    image = (
        Image.new("RGBA", (64, 48), (255, 0, 0, 0)).convert(mode)
        if mode != "CMYK"
        else Image.new("CMYK", (64, 48), (0, 255, 255, 0))
    )
    out = io.BytesIO()
    image.save(out, "JPEG" if mode in ("CMYK", "L") else "PNG")
    photo = decode_photo(out.getvalue())
    assert photo.rgb.shape == (48, 64, 3) and not photo.rgb.flags.writeable
    if mode in ("RGBA", "LA"):
        assert photo.rgb[0, 0].tolist() == [255, 255, 255]  # fully transparent: white

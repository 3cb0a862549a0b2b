"""A 12 MP photo of people far from the camera: faces too small for the first, reduced search."""

from __future__ import annotations

import io
from functools import cache

from PIL import Image

from media.faces import find_faces
from tests.conftest import FACES

PEOPLE = (
    "people/obama/obama-2.jpg",
    "people/biden/biden-2.jpg",
    "people/alex_lacamoire/alex-1.jpg",
    "people/kit_harington/kit-2.jpg",
    "people/rose_leslie/rose-1.jpg",
    "people/obama/obama-3.jpg",
)


@cache
def distant_faces_photo(face_px: int = 50) -> bytes:
    """A 4000×3000 JPEG with six people whose faces are ``face_px`` wide, spread over a plain wall."""
    canvas = Image.new("RGB", (4000, 3000), (150, 140, 120))
    for n, file in enumerate(PEOPLE):
        photo, faces = find_faces((FACES / file).read_bytes())
        box = faces[0].box
        area = box.padded(0.8, width=photo.width, height=photo.height)
        scale = face_px / box.width
        crop = Image.fromarray(photo.rgb[area.top : area.bottom, area.left : area.right])
        crop = crop.resize((max(1, round(area.width * scale)), max(1, round(area.height * scale))))
        canvas.paste(crop, (400 + (n % 3) * 1300, 700 + (n // 3) * 1300))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=92)
    return out.getvalue()

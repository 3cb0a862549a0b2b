"""Pictures of faces for people: redacted copies and face thumbnails, always metadata-free."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageFilter

from media.faces import Box
from media.images import Photo, strip_metadata_jpeg, thumbnail_jpeg

# HOG boxes run from brows to chin; a quarter more on each side also covers hair line, ears and
# jaw, which otherwise still let a person who knows the child recognise them.
DEFAULT_PADDING = 0.25
BLOCKS_ACROSS = 8


def redact(photo: Photo, boxes: Sequence[Box], *, padding: float = DEFAULT_PADDING) -> bytes:
    """A JPEG of ``photo`` with every box (grown by ``padding``) pixelated, then blurred."""
    rgb = np.array(photo.rgb, dtype=np.uint8, copy=True)
    for box in boxes:
        area = box.padded(padding, width=photo.width, height=photo.height)
        if area.width < 1 or area.height < 1:
            continue
        region = rgb[area.top : area.bottom, area.left : area.right]
        rgb[area.top : area.bottom, area.left : area.right] = _obscured(region)
    return strip_metadata_jpeg(rgb)


def face_thumbnail_jpeg(photo: Photo, box: Box, *, max_side: int = 160, padding: float = 0.3) -> bytes:
    """A small crop around one face, e.g. for a reviewer to compare faces side by side."""
    area = box.padded(padding, width=photo.width, height=photo.height)
    crop = photo.rgb[area.top : area.bottom, area.left : area.right]
    return thumbnail_jpeg(crop, max_side=max_side)


def _obscured(region: np.ndarray) -> np.ndarray:
    height, width = region.shape[:2]
    block = max(1, max(width, height) // BLOCKS_ACROSS)
    small_size = (max(1, round(width / block)), max(1, round(height / block)))
    image = Image.fromarray(region)
    blocks = image.resize(small_size, Image.Resampling.BOX).resize((width, height), Image.Resampling.NEAREST)
    # The blur removes the block edges, which a detector would otherwise read as structure.
    blurred = blocks.filter(ImageFilter.GaussianBlur(radius=block / 2))
    return np.asarray(blurred)

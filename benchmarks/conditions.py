"""The ways a face escapes a detector, made from an upright photo and the box of its face.

Each condition is a function of (pixels, face box) that returns new pixels: the photo turned
without an orientation tag, the head tilted, the light made hard, part of the face covered, or
the face made small. Used by ``benchmarks/recall.py`` and by the tests, so that the derived
photos are generated from a few stored originals instead of being stored themselves.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from media.faces import Box

Condition = Callable[[np.ndarray, Box], np.ndarray]


def turned(quarter_turns: int) -> Condition:
    """The photo turned by 90° steps (counter-clockwise), with no tag to turn it back."""

    def turn(rgb: np.ndarray, box: Box) -> np.ndarray:
        return np.ascontiguousarray(np.rot90(rgb, quarter_turns))

    return turn


def tilted(degrees: float) -> Condition:
    """The head rolled by ``degrees``: the photo rotated about its centre, the corners filled."""

    def tilt(rgb: np.ndarray, box: Box) -> np.ndarray:
        fill = tuple(int(v) for v in np.median(rgb[::4, ::4].reshape(-1, 3), axis=0))
        image = Image.fromarray(rgb).rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
        return np.asarray(image)

    return tilt


def dimmed(rgb: np.ndarray, box: Box) -> np.ndarray:
    """A dim gym or stage: a fifth of the light, with the sensor noise a phone adds at high ISO."""
    rng = np.random.default_rng(11)
    dark = rgb.astype(np.float32) * 0.2 + rng.normal(0.0, 3.0, rgb.shape)
    return np.clip(dark, 0, 255).astype(np.uint8)


def backlit(rgb: np.ndarray, box: Box) -> np.ndarray:
    """A window or stage light behind the person: the face in shadow, everything around it glaring."""
    height, width = rgb.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    cy, cx = (box.top + box.bottom) / 2, (box.left + box.right) / 2
    reach = max(box.width, box.height) * 0.9
    distance = np.hypot((ys - cy) / reach, (xs - cx) / reach)
    glare = np.clip(distance - 0.6, 0.0, 1.0)[..., None]  # 0 on the face, 1 well away from it
    shadowed = rgb.astype(np.float32) * 0.3
    return np.clip(shadowed * (1 - glare) + 245.0 * glare, 0, 255).astype(np.uint8)


def covered(part: str) -> Condition:
    """The lower half of the face behind a mask or a hand, or the upper half behind sunglasses or a hat."""

    def cover(rgb: np.ndarray, box: Box) -> np.ndarray:
        out = rgb.copy()
        middle = box.top + box.height // 2
        if part == "lower":
            out[middle + box.height // 12 : box.bottom + box.height // 8, box.left : box.right] = (170, 200, 225)
        else:
            out[max(0, box.top - box.height // 4) : middle, box.left : box.right] = (25, 25, 30)
        return out

    return cover


def shrunk(face_px: int, canvas: tuple[int, int] = (4000, 3000)) -> Condition:
    """The person far away: the face ``face_px`` wide in a 12 MP photo of a plain wall."""

    def shrink(rgb: np.ndarray, box: Box) -> np.ndarray:
        height, width = rgb.shape[:2]
        area = box.padded(0.8, width=width, height=height)
        scale = face_px / box.width
        crop = Image.fromarray(rgb[area.top : area.bottom, area.left : area.right])
        crop = crop.resize((max(1, round(area.width * scale)), max(1, round(area.height * scale))))
        photo = Image.new("RGB", canvas, (150, 140, 120))
        photo.paste(crop, ((canvas[0] - crop.width) // 2, (canvas[1] - crop.height) // 2))
        return np.asarray(photo)

    return shrink


def upright(rgb: np.ndarray, box: Box) -> np.ndarray:
    return rgb


CONDITIONS: dict[str, Condition] = {
    "upright": upright,
    "turned 90°": turned(1),
    "turned 180°": turned(2),
    "turned 270°": turned(3),
    "tilted 20°": tilted(20),
    "tilted 35°": tilted(35),
    "tilted 50°": tilted(50),
    "tilted -50°": tilted(-50),
    "dim": dimmed,
    "backlit": backlit,
    "lower half covered": covered("lower"),
    "upper half covered": covered("upper"),
    "small (44 px in 12 MP)": shrunk(44),
}

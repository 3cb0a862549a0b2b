"""Whole photos made from a face and a background photo without people, with where the faces are.

``benchmarks/conditions.py`` changes a photo around a face kept at its centre. The scenes here
also place faces: cut by the photo's edge, small in a 12 MP scene turned with no orientation tag,
a person too far away for any face to be seen, and a crowd of small faces, some turned. Each
returns the photo and the box of every face in it (a face cut by the edge extends past it), so
a benchmark can count the faces a search finds and the tests can check that a scene is what its
name says. The background is any photo of ``tests/data/scenes`` or ``tests/data/no-people``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from benchmarks.conditions import CONDITIONS, Condition
from media.faces import Box

LARGE = (4000, 3000)  # a 12 MP photo
MEDIUM = (1600, 1200)


@dataclass(frozen=True)
class Derived:
    rgb: np.ndarray
    faces: tuple[Box, ...]  # every face in it, in its pixels

    def visible(self, face: Box) -> Box:
        """The part of ``face`` inside the photo."""
        height, width = self.rgb.shape[:2]
        return Box(
            top=max(0, face.top), right=min(width, face.right), bottom=min(height, face.bottom), left=max(0, face.left)
        )


Scene = Callable[[np.ndarray, Box, np.ndarray], Derived]  # (face photo, its face, background) -> photo


def turn_box(box: Box, shape: tuple[int, ...], quarter_turns: int) -> Box:
    """Where ``box`` is after ``np.rot90(photo, quarter_turns)`` (counter-clockwise) of a photo of ``shape``."""
    height, width = shape[0], shape[1]
    for _ in range(quarter_turns % 4):
        box = Box(top=width - box.right, right=box.bottom, bottom=width - box.left, left=box.top)
        height, width = width, height
    return box


def centred_box(shape: tuple[int, ...], width: float, height: float) -> Box:
    top, left = round(shape[0] / 2 - height / 2), round(shape[1] / 2 - width / 2)
    return Box(top=top, right=left + round(width), bottom=top + round(height), left=left)


def in_place(condition: Condition, *, quarter_turns: int = 0, face_px: int | None = None) -> Scene:
    """A condition of conditions.py as a scene: the face stays at the centre (turned, or ``face_px`` wide)."""

    def scene(rgb: np.ndarray, box: Box, background: np.ndarray) -> Derived:
        out = np.ascontiguousarray(condition(rgb, box))
        sides = (box.height, box.width) if quarter_turns % 2 else (box.width, box.height)
        width, height = float(sides[0]), float(sides[1])
        if face_px is not None:
            width, height = face_px, box.height * face_px / box.width
        return Derived(out, (centred_box(out.shape, width, height),))

    return scene


def backdrop(background: np.ndarray, size: tuple[int, int]) -> Image.Image:
    """The background scaled to cover ``size`` (width, height) and cut to it at the centre."""
    image = Image.fromarray(background).convert("RGB")
    scale = max(size[0] / image.width, size[1] / image.height)
    image = image.resize((max(size[0], round(image.width * scale)), max(size[1], round(image.height * scale))))
    left, top = (image.width - size[0]) // 2, (image.height - size[1]) // 2
    return image.crop((left, top, left + size[0], top + size[1]))


def head(rgb: np.ndarray, box: Box, face_px: int) -> tuple[Image.Image, Box]:
    """The square four face widths wide around the face, scaled so that the face is ``face_px`` wide."""
    scale = face_px / box.width
    cx, cy, half = (box.left + box.right) / 2, (box.top + box.bottom) / 2, 2 * box.width
    crop = Image.fromarray(rgb).crop((round(cx - half), round(cy - half), round(cx + half), round(cy + half)))
    side = max(4, round(4 * box.width * scale))
    crop = crop.resize((side, side), Image.Resampling.LANCZOS)
    face = centred_box((side, side), face_px, box.height * scale)
    return crop, face


def _placed(face: Box, left: int, top: int) -> Box:
    return Box(top=face.top + top, right=face.right + left, bottom=face.bottom + top, left=face.left + left)


def cut_by_edge(edge: str, face_px: int = 160) -> Scene:
    """The face's centre on the photo's ``edge`` (left, right, top, bottom): about half the face outside."""

    def scene(rgb: np.ndarray, box: Box, background: np.ndarray) -> Derived:
        photo = backdrop(background, MEDIUM)
        crop, face = head(rgb, box, face_px)
        fx, fy = (face.left + face.right) // 2, (face.top + face.bottom) // 2
        x = {"left": 0, "right": MEDIUM[0]}.get(edge, MEDIUM[0] // 2) - fx
        y = {"top": 0, "bottom": MEDIUM[1]}.get(edge, MEDIUM[1] // 2) - fy
        photo.paste(crop, (x, y))
        return Derived(np.asarray(photo), (_placed(face, x, y),))

    return scene


def small_turned(quarter_turns: int, face_px: int = 70) -> Scene:
    """The face ``face_px`` wide, off centre in a 12 MP scene, the photo turned with no orientation tag."""

    def scene(rgb: np.ndarray, box: Box, background: np.ndarray) -> Derived:
        photo = backdrop(background, LARGE)
        crop, face = head(rgb, box, face_px)
        x, y = round(LARGE[0] * 0.68), round(LARGE[1] * 0.3)
        photo.paste(crop, (x, y))
        upright = np.asarray(photo)
        turned = np.ascontiguousarray(np.rot90(upright, quarter_turns))
        return Derived(turned, (turn_box(_placed(face, x, y), upright.shape, quarter_turns),))

    return scene


def crowd(count: int = 9, sizes: tuple[int, int] = (25, 50), seed: int = 3) -> Scene:
    """``count`` copies of the face, each 25–50 px wide, scattered over a 12 MP scene; one in two turned
    (90°, 180° or 270°) or mirrored, as people lying, bending or seen in a mirror."""

    def scene(rgb: np.ndarray, box: Box, background: np.ndarray) -> Derived:
        rng = np.random.default_rng(seed)
        photo = backdrop(background, LARGE)
        faces = []
        columns = int(np.ceil(np.sqrt(count)))
        cell_w, cell_h = LARGE[0] // columns, LARGE[1] // columns
        for n in range(count):
            crop, face = head(rgb, box, int(rng.integers(sizes[0], sizes[1] + 1)))
            turns = (0, 1, 0, 2, 0, 3, 0, 4)[n % 8]  # 4: mirrored
            if turns == 4:
                crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
                face = Box(top=face.top, right=crop.width - face.left, bottom=face.bottom, left=crop.width - face.right)
            elif turns:
                face = turn_box(face, (crop.height, crop.width), turns)
                crop = Image.fromarray(np.ascontiguousarray(np.rot90(np.asarray(crop), turns)))
            x = (n % columns) * cell_w + int(rng.integers(0, cell_w - crop.width))
            y = (n // columns) * cell_h + int(rng.integers(0, cell_h - crop.height))
            photo.paste(crop, (x, y))
            faces.append(_placed(face, x, y))
        return Derived(np.asarray(photo), tuple(faces))

    return scene


def far_away(face_px: int = 16) -> Scene:
    """A person so far away that the face is ``face_px`` wide in a 12 MP scene: no face can be checked."""

    def scene(rgb: np.ndarray, box: Box, background: np.ndarray) -> Derived:
        photo = backdrop(background, LARGE)
        crop, face = head(rgb, box, face_px)
        x, y = LARGE[0] // 3, LARGE[1] // 2
        photo.paste(crop, (x, y))
        return Derived(np.asarray(photo), (_placed(face, x, y),))

    return scene


def _in_place(name: str, condition: Condition) -> Scene:
    turns = {"turned 90°": 1, "turned 180°": 2, "turned 270°": 3}.get(name, 0)
    return in_place(condition, quarter_turns=turns, face_px=44 if name.startswith("small (44 px") else None)


SCENES: dict[str, Scene] = {
    **{name: _in_place(name, condition) for name, condition in CONDITIONS.items()},
    **{f"cut by the {edge} edge": cut_by_edge(edge) for edge in ("left", "right", "top", "bottom")},
    "70 px in 12 MP, upright": small_turned(0),
    **{f"70 px in 12 MP, turned {90 * k}°": small_turned(k) for k in (1, 2, 3)},
    "far away (16 px face in 12 MP)": far_away(),
    "crowd: 9 faces of 25–50 px in 12 MP, half turned": crowd(),
}
NEW = [name for name in SCENES if name not in CONDITIONS]

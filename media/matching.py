"""Three-banded matching of faces against enrolled templates.

identified:     nearest person within the match threshold and clearly nearer than anyone else;
possible:       within the review threshold but not identified (a human decides);
unknown:        clearly a face, large enough to compare, and nobody within the review threshold;
unrecognisable: a face too small to compare (under ``min_face_px``), or one under ``recognisable_px``
                that matches nobody: at that size a child's face often matches no photo of them, so
                "nobody enrolled" cannot be told from "too small to tell"; a reviewer decides.
Fail closed: anything short of a confident identification is never "identified".

Default min_margin 0.06: on the test photos (tests/data/faces) genuine identifications lead the next person
by 0.34 or more, so the margin only bites when two enrolled people are both close (twins,
siblings). Default min_face_px 40. Faces shrunk to 32-36 px still match their full-size photo about as
often as at 60 px (``benchmarks/gallery.py``), but lowering it let a photo through whose only hold was its
36 px faces while people seen from behind stood unseen at the back (``benchmarks/precision.py``): it waits
until people whose faces cannot be seen are found on their own.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np

from media.faces import Face

IDENTIFIED, POSSIBLE, UNKNOWN, UNRECOGNISABLE = "identified", "possible", "unknown", "unrecognisable"
MAX_CANDIDATES = 3
_FACES_PER_BLOCK = 32  # bounds the faces × templates distance matrix (32 × 100k × 4 B = 13 MB)


class TemplateIndex:
    """Enrolled encodings grouped by person, for nearest-person search in one matrix product.

    Stored as float32: half the memory, and its rounding (~1e-6) is far below any threshold step.
    """

    def __init__(self, person_ids: Sequence[int], encodings: np.ndarray) -> None:
        ids = np.asarray(person_ids, dtype=np.int64).reshape(-1)
        templates = np.asarray(encodings, dtype=np.float64)
        if templates.shape != (len(ids), 128):
            raise ValueError(f"expected {len(ids)}×128 encodings, got {templates.shape}")
        if not np.isfinite(templates).all():
            raise ValueError("encodings contain NaN or infinity")
        order = np.argsort(ids, kind="stable")
        ids, templates = ids[order], templates[order]
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else ids
        self._templates = np.ascontiguousarray(templates, dtype=np.float32)
        self._squared_norms = np.einsum("ij,ij->i", self._templates, self._templates)
        self._starts = starts
        self.person_ids: np.ndarray = ids[starts]

    @classmethod
    def empty(cls) -> TemplateIndex:
        return cls([], np.empty((0, 128)))

    def __len__(self) -> int:
        return len(self._templates)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self._templates, self._squared_norms, self._starts))

    def person_distances(self, encodings: np.ndarray) -> np.ndarray:
        """Faces × persons: each person's distance is that of their nearest template."""
        queries = np.asarray(encodings, dtype=np.float32).reshape(-1, 128)
        out = np.empty((len(queries), len(self.person_ids)), dtype=np.float32)
        if len(self) == 0:
            return out
        for first in range(0, len(queries), _FACES_PER_BLOCK):
            block = queries[first : first + _FACES_PER_BLOCK]
            squared = (
                np.einsum("ij,ij->i", block, block)[:, None]
                + self._squared_norms[None, :]
                - 2.0 * (block @ self._templates.T)
            )
            nearest = np.minimum.reduceat(squared, self._starts, axis=1)
            out[first : first + len(block)] = np.sqrt(np.maximum(nearest, 0.0))
        return out


@dataclass(frozen=True)
class Match:
    band: str
    person_id: int | None
    distance: float | None
    margin: float | None
    candidates: tuple[tuple[int, float], ...]
    reason: str


def match_faces(
    faces: Sequence[Face],
    index: TemplateIndex,
    *,
    match_threshold: float = 0.5,
    review_threshold: float = 0.6,
    min_margin: float = 0.06,
    min_face_px: int = 40,
    recognisable_px: int = 0,
    within: Collection[int] | None = None,
    watched: Collection[int] = (),
) -> list[Match]:
    """One ``Match`` per face, in the order given; no person is identified twice in a photo.

    ``within``: the only people a face may be matched with (``None``: everyone in ``index``); anyone else is
    nobody to this photo. ``watched``: people outside ``within`` who may not be shown; a face near one of them
    (within ``review_threshold``, and not clearly nearer someone it is identified as) is only *possible*, so
    that a person nobody expected in the photo is never let through as someone else."""
    if not 0 < match_threshold <= review_threshold:
        raise ValueError("thresholds must satisfy 0 < match_threshold <= review_threshold")
    if min_margin < 0 or min_face_px < 0:
        raise ValueError("min_margin and min_face_px must not be negative")
    if not faces:
        return []
    everyone = index.person_ids
    inside = np.ones(len(everyone), dtype=bool) if within is None else np.isin(everyone, np.fromiter(within, int))
    outside = ~inside & np.isin(everyone, np.fromiter(watched, int))
    distances = index.person_distances(np.stack([face.encoding for face in faces]))
    matches = []
    for face, row in zip(faces, distances, strict=True):
        if face.box.size < min_face_px:
            matches.append(_too_small(face.box.size))
            continue
        if not inside.any():
            match = _no_one(everyone_searched=within is None)
        else:
            match = _banded(_nearest(row[inside], everyone[inside]), match_threshold, review_threshold, min_margin)
        if outside.any():
            match = _watched(match, _nearest(row[outside], everyone[outside])[0], review_threshold, min_margin)
        if match.band == UNKNOWN and face.box.size < recognisable_px:
            match = replace(match, band=UNRECOGNISABLE, reason=_too_small_to_tell(face.box.size))
        matches.append(match)
    return _one_face_per_person(matches)


def _watched(match: Match, nearest: tuple[int, float], review: float, min_margin: float) -> Match:
    """The stricter rule for someone outside the people who could be there, who may not be shown."""
    person, distance = nearest
    if distance > review:
        return match
    if match.band == IDENTIFIED and match.distance is not None and distance > match.distance + min_margin:
        return match  # clearly the person identified, not them
    reason = f"near ({distance:.2f}) someone not expected in this photo who may not be shown"
    candidates = ((person, round(distance, 4)), *((p, d) for p, d in match.candidates if p != person))
    return Match(POSSIBLE, person, distance, None, candidates[:MAX_CANDIDATES], reason)


def _nearest(row: np.ndarray, person_ids: np.ndarray) -> list[tuple[int, float]]:
    k = min(MAX_CANDIDATES + 1, len(row))
    part = np.argpartition(row, k - 1)[:k]
    part = part[np.argsort(row[part], kind="stable")]
    return [(int(person_ids[i]), float(row[i])) for i in part]


def _banded(nearest: list[tuple[int, float]], match: float, review: float, min_margin: float) -> Match:
    person, best = nearest[0]
    margin = nearest[1][1] - best if len(nearest) > 1 else None
    candidates = tuple((p, round(d, 4)) for p, d in nearest[:MAX_CANDIDATES] if d <= review)
    if best > review:
        return Match(UNKNOWN, None, best, margin, (), f"no enrolled person within {review:g}")
    if best > match:
        reason = f"nearest distance {best:.2f} is above the match threshold {match:g}"
        return Match(POSSIBLE, person, best, margin, candidates, reason)
    if margin is not None and margin < min_margin:
        if nearest[1][1] <= match:
            reason = f"nearer than {match:g} to two people"
        else:
            reason = f"only {margin:.2f} nearer than the next person (needs {min_margin:g})"
        return Match(POSSIBLE, person, best, margin, candidates, reason)
    if margin is None:
        reason = f"distance {best:.2f}; the only enrolled person"
    else:
        reason = f"distance {best:.2f}, {margin:.2f} nearer than anyone else"
    return Match(IDENTIFIED, person, best, margin, candidates, reason)


def _one_face_per_person(matches: list[Match]) -> list[Match]:
    keeper: dict[int, int] = {}
    for i, m in enumerate(matches):
        if m.person_id is None or m.distance is None:
            continue
        held = keeper.get(m.person_id)
        if held is None or m.distance < (matches[held].distance or 0.0):
            keeper[m.person_id] = i
    result = list(matches)
    for i, m in enumerate(matches):
        if m.person_id is not None and keeper[m.person_id] != i:
            reason = "the same person matches another face in this photo more closely"
            result[i] = replace(m, band=POSSIBLE, reason=reason)
    return result


def _too_small(size: int) -> Match:
    return Match(UNRECOGNISABLE, None, None, None, (), f"a face too small to recognise ({size} px)")


def _too_small_to_tell(size: int) -> str:
    return f"a face too small to recognise ({size} px): it matches nobody enrolled, but at this size that is not sure"


def _no_one(*, everyone_searched: bool = True) -> Match:
    reason = "no one is enrolled" if everyone_searched else "no one enrolled could be in this photo"
    return Match(UNKNOWN, None, None, None, (), reason)

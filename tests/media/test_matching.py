from __future__ import annotations

import io
from collections.abc import Callable

import face_recognition
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from media.faces import Box, Face, find_faces
from media.images import Photo
from media.matching import Match, TemplateIndex, match_faces
from tests.media.conftest import BIDEN, OBAMA, read_photo

FacesOf = Callable[[str], tuple[Photo, list[Face]]]


def bands(matches: list[Match]) -> list[tuple[str, int | None]]:
    return [(m.band, m.person_id) for m in matches]


@pytest.mark.parametrize(
    ("file", "person"),
    [("people/obama/obama-2.jpg", OBAMA), ("people/biden/biden-2.jpg", BIDEN)],
)
def test_other_photos_of_enrolled_people_are_identified(
    file: str, person: int, faces_of: FacesOf, obama_biden_index: TemplateIndex
) -> None:
    [match] = match_faces(faces_of(file)[1], obama_biden_index)
    assert (match.band, match.person_id) == ("identified", person)
    assert match.distance is not None and match.distance <= 0.5
    assert match.margin is not None and match.margin >= 0.06
    assert match.candidates[0][0] == person


def test_the_unenrolled_child_is_never_identified(faces_of: FacesOf, obama_biden_index: TemplateIndex) -> None:
    biden, obama, child = match_faces(faces_of("groups/biden-obama-child.jpg")[1], obama_biden_index)
    assert bands([biden, obama]) == [("identified", BIDEN), ("identified", OBAMA)]
    assert child.band in ("unknown", "possible")


def test_two_faces_nearest_to_one_person_identify_only_one(faces_of: FacesOf, obama_biden_index: TemplateIndex) -> None:
    faces = faces_of("people/obama/obama-2.jpg")[1] + faces_of("people/obama/obama-3.jpg")[1]
    matches = match_faces(faces, obama_biden_index)
    assert [m.person_id for m in matches] == [OBAMA, OBAMA]
    assert sorted(m.band for m in matches) == ["identified", "possible"]
    kept = min(matches, key=lambda m: m.distance or 1.0)
    demoted = max(matches, key=lambda m: m.distance or 1.0)
    assert kept.band == "identified"
    assert "another face in this photo" in demoted.reason


def test_a_face_too_small_to_identify_is_too_small_to_recognise_never_unknown(obama_biden_index: TemplateIndex) -> None:
    portrait = Image.open(io.BytesIO(read_photo("people/obama/obama-portrait.jpg")))
    tiny = io.BytesIO()
    portrait.resize((120, 150)).save(tiny, "PNG")
    _, [face] = find_faces(tiny.getvalue())
    assert face.box.size < 40
    [match] = match_faces([face], obama_biden_index, min_face_px=40)
    assert (match.band, match.person_id) == ("unrecognisable", None)
    assert match.reason == f"a face too small to recognise ({face.box.size} px)"


def test_a_small_face_that_matches_nobody_is_too_small_to_recognise_a_large_one_is_unknown(
    obama_biden_index: TemplateIndex,
) -> None:
    """Under ``recognisable_px`` "nobody enrolled" cannot be told from "too small to tell"; above it, it can."""
    _, [face] = find_faces(read_photo("people/kit_harington/kit-1.jpg"))
    assert face.box.size >= 100
    [large] = match_faces([face], obama_biden_index, recognisable_px=100)
    assert large.band == "unknown"
    [small] = match_faces([face], obama_biden_index, recognisable_px=face.box.size + 1)
    assert small.band == "unrecognisable" and small.reason.startswith("a face too small to recognise")
    _, [obama] = find_faces(read_photo("people/obama/obama-2.jpg"))
    [known] = match_faces([obama], obama_biden_index, recognisable_px=obama.box.size + 1)
    assert known.band == "identified"  # a small face that does match someone is still identified


def test_someone_enrolled_with_a_near_identical_face_makes_it_a_review(
    faces_of: FacesOf,
) -> None:
    obama = faces_of("people/obama/obama-portrait.jpg")[1][0].encoding
    biden = faces_of("people/biden/biden-portrait.jpg")[1][0].encoding
    twin = obama + np.random.default_rng(1).normal(0, 0.001, 128)
    index = TemplateIndex([OBAMA, BIDEN, 3], np.stack([obama, biden, twin]))

    [match] = match_faces(faces_of("people/obama/obama-2.jpg")[1], index)
    assert match.band == "possible"
    assert match.margin is not None and match.margin < 0.06
    assert {p for p, _ in match.candidates} >= {OBAMA, 3}
    assert "two people" in match.reason
    [biden_match] = match_faces(faces_of("people/biden/biden-2.jpg")[1], index)
    assert (biden_match.band, biden_match.person_id) == ("identified", BIDEN)


def test_nobody_enrolled_means_everyone_unknown(faces_of: FacesOf) -> None:
    matches = match_faces(faces_of("groups/biden-obama-child.jpg")[1], TemplateIndex.empty())
    assert bands(matches) == [("unknown", None)] * 3
    assert match_faces([], TemplateIndex.empty()) == []


def test_a_stranger_is_unknown(faces_of: FacesOf, obama_biden_index: TemplateIndex) -> None:
    [match] = match_faces(faces_of("people/kit_harington/kit-1.jpg")[1], obama_biden_index)
    assert (match.band, match.person_id, match.candidates) == ("unknown", None, ())
    assert match.reason == "no enrolled person within 0.6"


def test_thresholds_are_the_callers(faces_of: FacesOf, obama_biden_index: TemplateIndex) -> None:
    faces = faces_of("people/obama/obama-2.jpg")[1]
    [match] = match_faces(faces, obama_biden_index, match_threshold=0.1, review_threshold=0.2)
    assert match.band == "unknown"
    with pytest.raises(ValueError):
        match_faces(faces, obama_biden_index, match_threshold=0.7, review_threshold=0.6)


def test_person_distance_is_the_nearest_of_their_templates(faces_of: FacesOf) -> None:
    rng = np.random.default_rng(3)
    seeds = np.stack([faces_of("people/obama/obama-portrait.jpg")[1][0].encoding] * 50)
    templates = seeds + rng.normal(0, 0.05, seeds.shape)
    ids = rng.integers(0, 12, len(templates))
    probe = faces_of("people/obama/obama-2.jpg")[1][0].encoding
    per_template = face_recognition.face_distance(templates, probe)
    index = TemplateIndex(ids.tolist(), templates)
    got = dict(zip(index.person_ids.tolist(), index.person_distances(probe)[0], strict=True))
    want = {int(p): per_template[ids == p].min() for p in np.unique(ids)}
    assert got.keys() == want.keys()
    assert all(abs(got[p] - want[p]) < 1e-4 for p in want)


def test_index_refuses_malformed_encodings() -> None:
    with pytest.raises(ValueError):
        TemplateIndex([1], np.zeros((1, 64)))
    with pytest.raises(ValueError):
        TemplateIndex([1], np.full((1, 128), np.nan))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    faces=st.integers(1, 6),
    people=st.integers(1, 8),
    spread=st.floats(0.0, 0.08),
)
def test_never_identified_without_confidence_and_never_twice(seed: int, faces: int, people: int, spread: float) -> None:
    rng = np.random.default_rng(seed)
    centre = rng.normal(0, 0.09, 128)
    ids = rng.integers(0, people, people * 2)
    index = TemplateIndex(ids.tolist(), centre + rng.normal(0, spread, (len(ids), 128)))
    sizes = rng.integers(20, 200, faces)
    probes = [
        Face(
            box=Box(top=0, right=int(s), bottom=int(s), left=0),
            encoding=centre + rng.normal(0, spread, 128),
        )
        for s in sizes
    ]
    matches = match_faces(probes, index, min_face_px=32)
    identified = [m.person_id for m in matches if m.band == "identified"]
    assert len(identified) == len(set(identified))
    for face, m in zip(probes, matches, strict=True):
        if m.band == "identified":
            assert face.box.size >= 32 and m.distance is not None and m.distance <= 0.5
            assert m.margin is None or m.margin >= 0.06
        if m.band == "unknown":
            assert m.person_id is None and m.candidates == ()
        assert len(m.candidates) <= 3


# --- Whom a face is compared with: the people who could be there, and who may not be shown elsewhere ---


def test_a_face_is_matched_only_with_the_people_who_could_be_there(
    faces_of: FacesOf, obama_biden_index: TemplateIndex
) -> None:
    obama = faces_of("people/obama/obama-2.jpg")[1]
    [outside] = match_faces(obama, obama_biden_index, within={BIDEN})
    assert (outside.band, outside.person_id) == ("unknown", None)  # a stranger to this photo's circle
    [inside] = match_faces(obama, obama_biden_index, within={OBAMA, BIDEN})
    assert (inside.band, inside.person_id) == ("identified", OBAMA)
    [nobody] = match_faces(obama, obama_biden_index, within=set())
    assert nobody.band == "unknown" and nobody.reason == "no one enrolled could be in this photo"


def test_a_face_near_someone_elsewhere_who_may_not_be_shown_goes_to_a_reviewer(
    faces_of: FacesOf, obama_biden_index: TemplateIndex
) -> None:
    """Outside the circle, a refusal is still searched: never an "unknown" that a public game might let go."""
    obama = faces_of("people/obama/obama-2.jpg")[1]
    [watched] = match_faces(obama, obama_biden_index, within={BIDEN}, watched={OBAMA})
    assert (watched.band, watched.person_id) == ("possible", OBAMA)
    assert watched.candidates[0][0] == OBAMA and "may not be shown" in watched.reason
    [biden] = match_faces(faces_of("people/biden/biden-2.jpg")[1], obama_biden_index, within={BIDEN}, watched={OBAMA})
    assert (biden.band, biden.person_id) == ("identified", BIDEN)  # clearly Biden: Obama is far


def test_a_watched_person_almost_as_near_as_the_one_identified_makes_the_face_possible() -> None:
    """The stricter rule: identified in the circle, but someone who may not be shown is within the margin."""
    rng = np.random.default_rng(7)
    face = rng.normal(size=128) * 0.05
    near, almost = face + 0.4 / np.sqrt(128), face - 0.44 / np.sqrt(128)
    index = TemplateIndex([1, 2], np.stack([near, almost]))
    probe = Face(box=Box(top=0, right=200, bottom=200, left=0), encoding=face)
    [alone] = match_faces([probe], index, within={1})
    assert (alone.band, alone.person_id) == ("identified", 1)
    [strict] = match_faces([probe], index, within={1}, watched={2})
    assert (strict.band, strict.person_id) == ("possible", 2)
    [ignored] = match_faces([probe], index, within={1}, watched={3})  # not enrolled: nothing to compare
    assert (ignored.band, ignored.person_id) == ("identified", 1)

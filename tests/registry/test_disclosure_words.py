"""The words an employee reads for a face they may not identify: who in general, and what to do."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from registry.clearances.disclosure import Viewer, face_words
from registry.clearances.schemas import ClearanceFacePublic, FaceReviewPublic
from registry.faces.schemas import BoxPublic


def face(
    *,
    band: str = "identified",
    verdict: str = "blocked",
    rule: str = "student-consent",
    redactable: bool = True,
    resolution: str | None = None,
) -> ClearanceFacePublic:
    review = (
        FaceReviewPublic(resolution=resolution, person_id=None, reviewer_id=1, reviewed_at=datetime.now(UTC), note=None)
        if resolution
        else None
    )
    return ClearanceFacePublic(
        index=0,
        box=BoxPublic(top=0, right=10, bottom=10, left=0),
        band=band,
        person_id=7,
        person_name="Maya Lopez",
        distance=0.3,
        margin=0.2,
        candidates=[],
        match_reason="",
        verdict=verdict,
        rule=rule,
        clause="4118.51 IV.A.2",
        message="Maya Lopez (student): no image release on file.",
        consent_id=3,
        redactable=redactable,
        review=review,
    )


@pytest.mark.parametrize(
    ("given", "kind", "refusal", "words"),
    [
        ({}, "student", None, "A student without a release for this destination: blur it or leave the photo out."),
        ({}, "student", "refused", "A student whose parent or guardian refused: blur it or leave the photo out."),
        ({}, "employee", "withdrawn", "A co-worker whose consent was withdrawn: blur it or leave the photo out."),
        (
            {"redactable": False},
            "employee",
            None,
            "A co-worker without their consent for this destination: do not post the photo.",
        ),
        ({"verdict": "allowed"}, "student", None, "A student who may be shown here."),
        ({"band": "unknown"}, None, None, "Someone the service could not identify: blur it or leave the photo out."),
        (
            {"band": "possible", "verdict": "needs_review"},
            None,
            None,
            "Someone who may be enrolled: a reviewer must decide who it is before the photo is posted.",
        ),
        (
            {"band": "possible", "resolution": "nobody"},
            None,
            None,
            "Someone the service could not identify: blur it or leave the photo out.",
        ),
        (
            {"rule": "reviewer-rejected", "resolution": "reject"},
            None,
            None,
            "A reviewer decided this face may not be shown: blur it or leave the photo out.",
        ),
    ],
)
def test_the_words_say_what_to_do_and_name_nobody(given, kind, refusal, words) -> None:
    assert face_words(face(**given), kind=kind, refusal=refusal) == words


def test_who_may_identify_whom() -> None:
    coach = Viewer(user_id=4, role="employee", person_id=11, group_people=frozenset({21, 22}))
    assert coach.may_identify(11) and coach.may_identify(21)
    assert not coach.may_identify(23) and not coach.may_identify(None)
    for role in ("office_staff", "reviewer", "admin"):
        assert Viewer(user_id=1, role=role).may_identify(23)

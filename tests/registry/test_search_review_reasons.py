"""What the closer look saw but could not check is never allowed on the service's say-so."""

from __future__ import annotations

from typing import Any

from media.analysis import PhotoAnalysis
from media.faces import Box
from media.finding import CUT_BY_EDGE, NO_FACE, TOO_SMALL, Unrecognisable
from registry.clearances.service import search_review_reasons


def analysis(**seen: Any) -> PhotoAnalysis:
    return PhotoAnalysis(
        width=400, height=400, taken_at=None, faces=(), sha256="0" * 64, thumbnail=b"", searched_harder=True, **seen
    )


def test_a_person_whose_face_could_not_be_checked_needs_review() -> None:
    assert search_review_reasons(analysis()) == []
    areas = (
        Unrecognisable(Box(top=10, right=60, bottom=60, left=10), TOO_SMALL),
        Unrecognisable(Box(top=100, right=160, bottom=160, left=100), TOO_SMALL),
        Unrecognisable(Box(top=300, right=400, bottom=360, left=340), CUT_BY_EDGE),
    )
    [reason] = search_review_reasons(analysis(unrecognisable=areas))
    assert reason.startswith("a person whose face could not be checked")
    assert f"2 times {TOO_SMALL} and {CUT_BY_EDGE}" in reason and "upload a closer or clearer photo" in reason
    # a face the service blurred itself (a redacted copy) is no one to check
    [reason] = search_review_reasons(
        analysis(unrecognisable=areas[:2]), blurred_boxes=[Box(top=0, right=70, bottom=70, left=0)]
    )
    assert f"found {TOO_SMALL};" in reason


def test_a_search_cut_short_says_why() -> None:
    [reason] = search_review_reasons(analysis(unfinished="the harder search did not finish within 60 s"))
    assert "could not be searched for faces completely" in reason and "60 s" in reason


def test_a_person_under_a_face_the_service_blurred_is_that_face_but_another_person_is_not() -> None:
    blurred = Box(top=10, right=260, bottom=190, left=80)  # a face the blurred copy hides
    torso = Box(top=200, right=250, bottom=560, left=90)  # the detector's box starts at the shoulders
    beside = Box(top=200, right=390, bottom=560, left=270)  # someone else, no face checked
    far_below = Box(top=900, right=250, bottom=1000, left=90)  # too far below to be that face's body

    def people(*boxes: Box) -> tuple[Unrecognisable, ...]:
        return tuple(Unrecognisable(box, NO_FACE) for box in boxes)

    assert search_review_reasons(analysis(unrecognisable=people(torso)), blurred_boxes=[blurred]) == []
    [reason] = search_review_reasons(analysis(unrecognisable=people(torso, beside)), blurred_boxes=[blurred])
    assert f"found {NO_FACE};" in reason
    [reason] = search_review_reasons(analysis(unrecognisable=people(far_below)), blurred_boxes=[blurred])
    assert f"found {NO_FACE};" in reason
    # without the blur, the same torso is a person whose face was not checked
    [reason] = search_review_reasons(analysis(unrecognisable=people(torso)))
    assert f"found {NO_FACE};" in reason

"""What the closer look saw but could not check is never allowed on the service's say-so."""

from __future__ import annotations

from typing import Any

from media.analysis import PhotoAnalysis
from media.faces import Box
from registry.clearances.service import search_review_reasons


def analysis(**seen: Any) -> PhotoAnalysis:
    return PhotoAnalysis(
        width=400, height=400, taken_at=None, faces=(), sha256="0" * 64, thumbnail=b"", searched_harder=True, **seen
    )


def test_a_person_whose_face_could_not_be_checked_needs_review() -> None:
    assert search_review_reasons(analysis()) == []
    areas = (Box(top=10, right=60, bottom=60, left=10), Box(top=100, right=160, bottom=160, left=100))
    [reason] = search_review_reasons(analysis(doubtful=areas))
    assert reason.startswith("a person whose face could not be checked") and "2 face-like" in reason
    # a face the service blurred itself (a redacted copy) is no one to check
    [reason] = search_review_reasons(analysis(doubtful=areas), blurred_boxes=[Box(top=0, right=70, bottom=70, left=0)])
    assert "1 face-like" in reason


def test_a_search_cut_short_says_why() -> None:
    [reason] = search_review_reasons(analysis(unfinished="the harder search did not finish within 60 s"))
    assert "could not be searched for faces completely" in reason and "60 s" in reason


def test_a_person_under_a_face_the_service_blurred_is_that_face_but_another_person_is_not() -> None:
    blurred = Box(top=10, right=260, bottom=190, left=80)  # a face the blurred copy hides
    torso = Box(top=200, right=250, bottom=560, left=90)  # the detector's box starts at the shoulders
    beside = Box(top=200, right=390, bottom=560, left=270)  # someone else, no face checked
    far_below = Box(top=900, right=250, bottom=1000, left=90)  # too far below to be that face's body
    assert search_review_reasons(analysis(people=(torso,)), blurred_boxes=[blurred]) == []
    [reason] = search_review_reasons(analysis(people=(torso, beside)), blurred_boxes=[blurred])
    assert "1 person(s) with no face it could check" in reason
    [reason] = search_review_reasons(analysis(people=(far_below,)), blurred_boxes=[blurred])
    assert "1 person(s)" in reason
    # without the blur, the same torso is a person whose face was not checked
    [reason] = search_review_reasons(analysis(people=(torso,)))
    assert "1 person(s)" in reason

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

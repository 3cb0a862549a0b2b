"""The decision and photo pages speak plainly: no thresholds, record ids or ISO dates, faces counted in words."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.web.templating import plain_words
from registry.core.settings import Settings
from tests.api.clearance_helpers import add_person, enrol, record
from tests.api.hostile_helpers import SQLITE_ONLY
from tests.api.test_web_my_photos import _clear_on_the_page
from tests.api.test_web_pages import _sign_in


def test_stored_sentences_are_shown_without_internals() -> None:
    assert plain_words("Face 0: Possibly Maya Lopez (within 0.6).") == "Face 1: Possibly Maya Lopez."
    assert plain_words("It relied on consent #6, signed 2026-09-02.") == (
        "It relied on the consent, signed 2 September 2026."
    )
    assert plain_words("Review requested: the photo's camera time (2026-12-02 14:05) is outside the event") == (
        "A reviewer must check this: the photo's camera time (2 December 2026, 14:05) is outside the event"
    )
    assert (
        plain_words("Tag 'district_logo' (Blocked). No logo.") == "“The district logo is visible” (Blocked). No logo."
    )
    assert plain_words("the search found 1 face-like area(s) it could not identify") == (
        "the search found 1 face-like area it could not identify"
    )
    assert plain_words("the search found 3 face-like area(s)") == "the search found 3 face-like areas"
    assert plain_words("The blurred copy is blocked (clearance 12); it is not offered.") == (
        "The blurred copy is blocked; it is not offered."
    )


@SQLITE_ONLY
def test_a_face_a_reviewer_confirmed_is_no_longer_possibly_anyone(
    client: TestClient,
    session: Session,
    settings: Settings,
    office: dict[str, str],
    make_user: Callable[..., dict[str, str]],
) -> None:
    settings.match_threshold = 0.2  # a genuine match lands in the review band
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    record(client, office, obama)
    token = _sign_in(client, session, "employee")
    clearance = _clear_on_the_page(client, token, "people/obama/obama-2.jpg", "Portrait day")
    waiting = client.get(f"/clearances/{clearance}").text
    assert "possibly someone enrolled" in waiting

    reviewer = make_user("reviewer")
    resolved = client.post(
        f"/api/v1/clearances/{clearance}/review",
        headers=reviewer,
        json={"faces": [{"index": 0, "resolution": "person", "person_id": obama}]},
    )
    assert resolved.status_code == 200, resolved.text
    page = client.get(f"/clearances/{clearance}").text
    assert "possibly" not in page.lower()
    assert "someone on the school&#39;s records" in page or "someone on the school's records" in page
    assert "1 face found" in page and "The 1 face" not in page
    assert re.search(r"checked \d{1,2} [A-Z][a-z]{3,8} \d{4} at \d\d:\d\d", page)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", page.split("<main", 1)[1])
    assert "obama-2.jpg" in page and "“Portrait day”" in page

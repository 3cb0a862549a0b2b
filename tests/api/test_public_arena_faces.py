"""Who the public arena releases under Litchfield: students (IV.A.2), never a co-worker (IV.A.1).

A co-worker who is not enrolled (no biometric consent) is a face nobody can identify: at a named
public game that face must not be taken for a student in the crowd.
"""

from __future__ import annotations

from tests.api.clearance_helpers import add_person, clear, enrol, full_view, public_event


def test_a_coworker_who_is_not_enrolled_is_not_released_at_a_named_public_game(client, office, employee, make_user):
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")  # no image release
    add_person(client, office, "E-1", "employee", "Joe Biden")  # no consent of any kind: not enrolled
    game = public_event(client, office)
    response = clear(client, employee, "groups/biden-obama.jpg", event_id=game)
    assert response.status_code == 201, response.text
    cleared = full_view(client, make_user("reviewer"), response.json())
    assert cleared["decision"] == "blocked"
    by_band = {f["band"]: f for f in cleared["faces"]}
    assert by_band["identified"]["person_name"] == "Barack Obama"
    assert by_band["identified"]["verdict"] == "allowed"  # the student: the public arena (IV.A.2)
    assert (by_band["unknown"]["verdict"], by_band["unknown"]["rule"]) == ("blocked", "unknown-face")
    assert "IV.A.1" in by_band["unknown"]["clause"]
    assert cleared["redaction_offered"] is True  # blur the face nobody could identify and the rest may go

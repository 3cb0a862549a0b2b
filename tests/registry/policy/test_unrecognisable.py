"""Someone who refused and cannot be recognised (no enrolled face) may be in a photo: a face nobody could
identify is then not taken as fine, even where the pack would allow unknown faces, and the uploader is told
who cannot be checked. No images, no database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from registry.policy import PolicyPack, decide
from registry.policy.engine import CANNOT_CHECK
from registry.policy.pack import PACKS_DIR, parse_pack

from .builders import LIN_STUDENT, OBAMA_STUDENT, PUBLIC_GAME, consent, face, identified, request, unknown

# A district's own pack that, like Litchfield's before, takes an unknown face at a public game for the crowd.
CROWD_RULE = """
[[rule]]
id = "unknown-public-arena"
clause = "Example district: the crowd at a public game"
message = "Faces nobody could identify at a public game are the crowd."
subject = "unknown"
destinations = ["personal_social_media"]
contexts = ["public_arena"]
verdict = "allowed"

[[rule]]
id = "unknown-face"
"""


@pytest.fixture(scope="module")
def crowd_pack() -> PolicyPack:
    text = (PACKS_DIR / "litchfield-4118.51.toml").read_text()
    changed = text.replace('[[rule]]\nid = "unknown-face"\n', CROWD_RULE, 1)
    assert changed != text
    return parse_pack(changed, source="example")


REFUSED = consent(LIN_STUDENT, status="refused", scopes=())


def at_the_game(*faces, consents=(REFUSED,), refused_not_enrolled=(LIN_STUDENT,)):
    return replace(request(*faces, context=PUBLIC_GAME, consents=consents), refused_not_enrolled=refused_not_enrolled)


def test_without_anyone_who_cannot_be_checked_the_crowd_rule_allows(crowd_pack):
    assert decide(at_the_game(unknown(), refused_not_enrolled=()), crowd_pack).decision == "allowed"


def test_an_unknown_face_may_be_a_refused_child_who_is_not_enrolled(crowd_pack):
    decision = decide(at_the_game(identified(OBAMA_STUDENT), unknown()), crowd_pack)
    assert decision.decision == "needs_review"
    assert face(decision, 0).verdict == "allowed"  # the identified student: the public arena
    held = face(decision, 1)
    assert (held.verdict, held.rule) == ("needs_review", CANNOT_CHECK)
    told = [r for r in decision.reasons if r.rule == CANNOT_CHECK and r.person_id is not None]
    assert len(told) == 1 and told[0].person_id == LIN_STUDENT.id
    assert "Lin-Manuel Miranda" in told[0].message and "refused" in told[0].message
    assert told[0].verdict == "needs_review"


def test_a_reviewer_who_looked_settles_it(crowd_pack):
    looked = replace(unknown(), approved_by_reviewer=True)
    assert decide(at_the_game(looked), crowd_pack).decision == "allowed"


def test_a_blurred_face_or_a_child_with_a_release_is_no_concern(crowd_pack):
    blurred = replace(unknown(), blurred=True)
    assert decide(at_the_game(blurred), crowd_pack).decision == "allowed"
    granted = consent(LIN_STUDENT)
    decision = decide(at_the_game(unknown(), consents=(granted,)), crowd_pack)
    assert decision.decision == "allowed"
    assert not any(r.rule == CANNOT_CHECK for r in decision.reasons)


def test_where_the_pack_blocks_unknown_faces_the_uploader_is_still_told(litchfield):
    decision = decide(at_the_game(unknown()), litchfield)
    assert decision.decision == "blocked" and face(decision, 0).rule == "unknown-face"
    told = [r for r in decision.reasons if r.rule == CANNOT_CHECK and r.person_id is not None]
    assert [r.person_id for r in told] == [LIN_STUDENT.id] and told[0].verdict == "allowed"
    assert decision.redaction_offered  # blurring the face settles it

"""A photo a reviewer says was not taken at its event is decided as taken somewhere not open to the
public, under the strictest of the pack's rules for such places: where it was taken is not known, so no
kind of place may allow it that another kind would not. No images, no database."""

from __future__ import annotations

from dataclasses import replace

from registry.clearances.service import PLACE_UNKNOWN, decide_clearance
from registry.policy import Context, PolicyPack, decide
from registry.policy.pack import PACKS_DIR, parse_pack
from tests.registry.policy.builders import LIN_STUDENT, PUBLIC_GAME, identified, request

# A district's own rule, before the public arena's: students may be posted from any game, public or not.
GAMES_RULE = """
[[rule]]
id = "student-at-any-game"
clause = "Example district: games"
message = "Students at the district's games may be posted."
subject = "student"
destinations = ["personal_social_media"]
contexts = ["sporting_event"]
verdict = "allowed"

[[rule]]
id = "student-public-arena"
"""


def _pack_with_a_games_rule() -> PolicyPack:
    text = (PACKS_DIR / "litchfield-4118.51.toml").read_text()
    changed = text.replace('[[rule]]\nid = "student-public-arena"\n', GAMES_RULE, 1)
    assert changed != text
    return parse_pack(changed, source="example")


def test_the_strictest_kind_of_place_decides_not_the_declared_one() -> None:
    pack = _pack_with_a_games_rule()
    at_the_game = request(identified(LIN_STUDENT), context=PUBLIC_GAME)  # a student without a release
    assert decide(at_the_game, pack).decision == "allowed"
    elsewhere = replace(at_the_game, context_notes=(PLACE_UNKNOWN,))
    # The declared kind alone, made private, would still allow under the games rule ...
    private_game = replace(at_the_game, context=Context("sporting_event", False, event_named=False))
    assert decide(private_game, pack).decision == "allowed"
    # ... but the photo may have been taken in a classroom: blocked.
    decided = decide_clearance(elsewhere, pack)
    assert decided.decision == "blocked"
    assert any(r.message == PLACE_UNKNOWN for r in decided.reasons)


def test_without_the_reviewers_word_the_declared_place_decides() -> None:
    pack = _pack_with_a_games_rule()
    at_the_game = request(identified(LIN_STUDENT), context=PUBLIC_GAME)
    assert decide_clearance(at_the_game, pack) == decide(at_the_game, pack)

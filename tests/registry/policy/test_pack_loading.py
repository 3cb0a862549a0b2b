"""Packs as shipped load; a broken pack is refused at start with the file and line to fix."""

import re
from pathlib import Path

import pytest

from registry.policy import PackError, builtin_pack_ids, load_builtin_pack, load_pack
from registry.policy.pack import PACKS_DIR
from registry.policy.vocabulary import BASE_TAGS

LITCHFIELD = "litchfield-4118.51"
SHIPPED = (PACKS_DIR / f"{LITCHFIELD}.toml").read_text(encoding="utf-8")


def broken_pack(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    assert old in SHIPPED, old
    text = SHIPPED.replace(old, new, 1)
    path = tmp_path / f"{LITCHFIELD}.toml"
    path.write_text(text, encoding="utf-8")
    return path, text


def line_of(text: str, fragment: str, after: str = "") -> int:
    start = text.index(after) + 1 if after else 0
    return text[: text.index(fragment, start)].count("\n") + 1


def refusal(path: Path) -> str:
    with pytest.raises(PackError) as caught:
        load_pack(path)
    return str(caught.value)


def test_both_shipped_packs_load_with_their_titles_tags_and_rules():
    assert builtin_pack_ids() == ["danbury-4-303", LITCHFIELD]
    for pack_id in builtin_pack_ids():
        pack = load_builtin_pack(pack_id)
        assert pack.id == pack_id
        assert pack.title and pack.district and pack.version and pack.policy_reference
        assert pack.tag_names >= BASE_TAGS
        sentences = pack.describe()
        assert len(sentences) == len(pack.rules)
        for rule, sentence in zip(pack.rules, sentences, strict=True):
            assert rule.clause in sentence and rule.message in sentence


def test_litchfield_public_arena_is_games_and_performances():
    pack = load_builtin_pack(LITCHFIELD)
    assert pack.public_arena == {"sporting_event", "fine_arts_performance"}
    assert not load_builtin_pack("danbury-4-303").public_arena


def test_an_unknown_builtin_pack_is_refused():
    with pytest.raises(PackError, match="no built-in policy pack 'springfield'"):
        load_builtin_pack("springfield")


def test_a_toml_syntax_error_names_the_line(tmp_path):
    path, text = broken_pack(tmp_path, 'id = "own-face"', 'id = "own-face')
    line = line_of(text, 'id = "own-face')
    message = refusal(path)
    assert message.startswith(f"{LITCHFIELD}.toml line {line}: not valid TOML")


def test_an_unknown_destination_names_the_rule_and_its_line(tmp_path):
    old = 'destinations = ["personal_social_media"]\ncontexts = "any"\nrequires'
    path, text = broken_pack(tmp_path, old, old.replace("personal_social_media", "facebook"))
    line = line_of(text, '["facebook"]')
    assert refusal(path) == (f"{LITCHFIELD}.toml line {line}: unknown destination 'facebook' in rule 'student-consent'")


def test_a_rule_without_a_clause_is_refused_at_its_header(tmp_path):
    path, text = broken_pack(tmp_path, 'clause = "4118.51 IV.A.1"\n', "")
    line = line_of(text, "[[rule]]", after='id = "student-consent"')
    message = refusal(path)
    assert f"line {line}:" in message and "`clause` is missing in rule 'co-worker-consent'" in message


def test_an_empty_message_is_refused(tmp_path):
    path, _ = broken_pack(tmp_path, 'message = "Your own face never', 'message = " "\n# "')
    assert "needs a non-empty message" in refusal(path)


def test_a_duplicate_rule_id_names_the_second_rule(tmp_path):
    path, text = broken_pack(tmp_path, 'id = "co-worker-consent"', 'id = "student-consent"')
    line = line_of(text, 'id = "student-consent"', after='id = "student-consent"\nclause')
    message = refusal(path)
    assert re.search(rf"line {line}: duplicate rule id 'student-consent' \(first used on line \d+\)", message)


def test_an_undecided_combination_is_refused_at_load_time(tmp_path):
    old = 'subject = "student"\ndestinations = ["district_social_media", "district_website", "print"]'
    path, _ = broken_pack(tmp_path, old, old.replace(', "print"', ""))
    message = refusal(path)
    assert "no rule decides subject 'student' on print" in message


def test_an_unknown_key_names_its_line(tmp_path):
    path, text = broken_pack(tmp_path, "\nredactable = true", "\nredact = true")
    line = line_of(text, "\nredact = true") + 1
    message = refusal(path)
    assert message.startswith(f"{LITCHFIELD}.toml line {line}: unknown key 'redact'")


def test_a_rule_that_can_never_apply_is_refused(tmp_path):
    shadowing = '[[rule]]\nid = "own-face"'
    everything = (
        '[[rule]]\nid = "all-students"\nclause = "x"\nmessage = "x"\nsubject = "student"\n'
        'destinations = "any"\ncontexts = "any"\nverdict = "blocked"\n\n'
    )
    path, _ = broken_pack(tmp_path, shadowing, everything + shadowing)
    assert "rule 'student-public-arena' is never used" in refusal(path)


UNKNOWN_FACE = '[[rule]]\nid = "unknown-face"'
UNKNOWN_ALLOWED = (
    '[[rule]]\nid = "unknown-allowed"\nclause = "x"\nmessage = "x"\nsubject = "unknown"\n'
    'destinations = ["personal_social_media"]\ncontexts = ["{where}"]\nverdict = "allowed"\n\n'
)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'subject = "possible"\ndestinations = "any"\ncontexts = "any"\nverdict = "needs_review"',
            'subject = "possible"\ndestinations = "any"\ncontexts = "any"\nverdict = "allowed"',
            "a possible match can never be allowed",
        ),
        (
            UNKNOWN_FACE,
            UNKNOWN_ALLOWED.format(where="classroom") + UNKNOWN_FACE,
            "unknown faces may be allowed only",
        ),
        ('tags = ["district_logo"]', 'tags = ["district_crest"]', "unknown tag 'district_crest'"),
        ('otherwise = "needs_review"', 'otherwise = "allowed"', "`otherwise`"),
        ('public_arena = ["sporting_event"', 'public_arena = ["rodeo"', "unknown context kind"),
        ('id = "litchfield-4118.51"', 'id = "litchfield"', "must match the file name"),
        (
            'floor_plan = "The photo',
            '# floor_plan = "The photo',
            "must describe the tag 'floor_plan'",
        ),
    ],
    ids=[
        "possible-allowed",
        "unknown-allowed-in-class",
        "unknown-tag",
        "otherwise-allowed",
        "unknown-arena-kind",
        "id-not-file-name",
        "base-tag-missing",
    ],
)
def test_unsafe_or_inconsistent_packs_are_refused(tmp_path, old, new, expected):
    path, _ = broken_pack(tmp_path, old, new)
    message = refusal(path)
    assert expected in message
    assert re.match(rf"{re.escape(LITCHFIELD)}\.toml line \d+: ", message)

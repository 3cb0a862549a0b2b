"""Policy packs: a district's policy as data, loaded from TOML and refused at start if invalid.

The format is documented in the header comment of each shipped pack (`packs/*.toml`).
Precedence: the first rule in file order that matches a face or tag decides it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.policy import vocabulary as v
from registry.policy.rules import PackError, Rule
from registry.policy.toml_fields import (
    SourceLines,
    flag,
    known_keys,
    optional_text,
    required_text,
    word_set,
)

PACKS_DIR = Path(__file__).parent / "packs"
_PACK_KEYS = frozenset(
    {
        "id",
        "title",
        "district",
        "version",
        "policy_reference",
        "public_arena",
        "redaction",
        "tags",
        "adult_students_sign",
        "require_listed_guardian",
        "unverified_public_arena",
        "block_unchecked_person",
    }
)
_RULE_KEYS = frozenset(
    {
        "id",
        "clause",
        "message",
        "subject",
        "destinations",
        "contexts",
        "tags",
        "verdict",
        "requires",
        "otherwise",
        "unless",
        "redactable",
    }
)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@dataclass(frozen=True)
class Tag:
    name: str
    description: str


@dataclass(frozen=True)
class PolicyPack:
    id: str
    title: str
    district: str
    version: str
    policy_reference: str
    public_arena: frozenset[str]
    tags: tuple[Tag, ...]
    redaction_allowed: bool
    rules: tuple[Rule, ...]
    # A student aged 18 or more signs their own forms (and a parent's no longer counts).
    adult_students_sign: bool = False
    # A parent's or guardian's grant counts only when the signer is among the student's guardians on the roster.
    require_listed_guardian: bool = False
    # A public-arena context the uploader declared without naming a district event: "review"
    # when it is what allows the photo, or "accept" the uploader's word.
    unverified_public_arena: str = "review"
    # A person the face search saw but could not check: decided as an unknown face (true) instead
    # of sent to review (false, the default).
    block_unchecked_person: bool = False

    def __post_init__(self) -> None:
        _check_pack(self)

    @property
    def tag_names(self) -> frozenset[str]:
        return frozenset(tag.name for tag in self.tags)

    def destinations_asking(self, tag: str) -> frozenset[str]:
        """Where this tag can change a photo's decision: a rule about it there does not simply allow it. An
        uploader is asked about a tag only there (a tag no rule holds against is not asked at all)."""
        return frozenset(
            destination
            for rule in self.rules
            if rule.subject == v.TAG_SUBJECT and tag in rule.tags and rule.verdict != v.ALLOWED
            for destination in rule.destinations
        )

    def is_public_arena(self, context_kind: str, public: bool) -> bool:
        return public and context_kind in self.public_arena

    def rule_for(
        self,
        subject: str,
        destination: str,
        context_kind: str,
        public: bool,
        tag: str | None = None,
    ) -> Rule:
        """The first rule in file order that decides this case (every case has one)."""
        arena = self.is_public_arena(context_kind, public)
        for rule in self.rules:
            if rule.applies(
                subject=subject,
                destination=destination,
                context_kind=context_kind,
                in_public_arena=arena,
                tag=tag,
            ):
                return rule
        raise LookupError(f"pack {self.id} decides nothing for {subject} {tag or ''}")

    def describe(self) -> list[str]:
        """The rules in plain sentences, in the order they are applied."""
        return [f"{n}. {rule.describe()}" for n, rule in enumerate(self.rules, start=1)]


def _check_pack(pack: PolicyPack) -> None:
    for key in ("id", "title", "district", "version", "policy_reference"):
        if not getattr(pack, key).strip():
            raise PackError(f"[pack] needs a non-empty {key}", key=key)
    if unknown := sorted(pack.public_arena - v.CONTEXT_KINDS):
        raise PackError(f"unknown context kind '{unknown[0]}' in public_arena", key="public_arena")
    if pack.unverified_public_arena not in ("review", "accept"):
        raise PackError('unverified_public_arena must be "review" or "accept"', key="unverified_public_arena")
    if missing := sorted(v.BASE_TAGS - pack.tag_names):
        raise PackError(f"[pack.tags] must describe the tag '{missing[0]}'", key="pack.tags")
    seen: dict[str, Rule] = {}
    for rule in pack.rules:
        if rule.id in seen:
            raise PackError(
                f"duplicate rule id '{rule.id}' (first used on line {seen[rule.id].line})",
                line=rule.line,
                key="id",
            )
        seen[rule.id] = rule
        if unknown := sorted(rule.tags - pack.tag_names):
            raise PackError(
                f"unknown tag '{unknown[0]}' in rule '{rule.id}'; describe it in [pack.tags]",
                line=rule.line,
                key="tags",
            )
    _check_coverage(pack)


def _check_coverage(pack: PolicyPack) -> None:
    """Every face subject and tag is decided everywhere, and every rule decides something."""
    cases: list[tuple[str, str | None]] = [(subject, None) for subject in sorted(v.FACE_SUBJECTS)]
    cases += [(v.TAG_SUBJECT, tag) for tag in sorted(pack.tag_names)]
    used: set[str] = set()
    for subject, tag in cases:
        for destination in sorted(v.DESTINATIONS):
            for kind in sorted(v.CONTEXT_KINDS):
                for public in (False, True):
                    try:
                        used.add(pack.rule_for(subject, destination, kind, public, tag).id)
                    except LookupError:
                        what = f"tag '{tag}'" if tag else f"subject '{subject}'"
                        where = f"{kind} ({'public' if public else 'not public'})"
                        raise PackError(
                            f"no rule decides {what} on {destination} at {where}; add a rule "
                            "for it (packs must decide every case)",
                            line=_first_line(pack, subject),
                        ) from None
    for rule in pack.rules:
        if rule.id not in used:
            raise PackError(
                f"rule '{rule.id}' is never used: earlier rules decide every case "
                "it covers (the first matching rule wins)",
                line=rule.line,
            )


def _first_line(pack: PolicyPack, subject: str) -> int | None:
    return next((rule.line for rule in pack.rules if rule.subject == subject), None)


def builtin_pack_ids() -> list[str]:
    return sorted(path.stem for path in PACKS_DIR.glob("*.toml"))


def load_builtin_pack(pack_id: str) -> PolicyPack:
    if pack_id not in builtin_pack_ids():
        raise PackError(f"no built-in policy pack '{pack_id}'; there are: " + ", ".join(builtin_pack_ids()))
    return load_pack(PACKS_DIR / f"{pack_id}.toml")


def load_active_pack(name: str) -> PolicyPack:
    """A built-in pack by id, or a district's own pack file; a bad pack stops start-up (PackError)."""
    path = Path(name)
    return load_pack(path) if path.suffix == ".toml" else load_builtin_pack(name)


def load_pack(path: Path) -> PolicyPack:
    """Read and check a pack file; a PackError names the file and the line to fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PackError(f"{path.name}: cannot read the policy pack: {error}") from None
    pack = parse_pack(text, source=path.name)
    if pack.id != path.stem:
        raise PackError(
            f"{path.name} line {SourceLines(text).find('id', 1)}: pack id '{pack.id}' "
            f"must match the file name '{path.stem}'"
        )
    return pack


def parse_pack(text: str, *, source: str) -> PolicyPack:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"at line (\d+)", str(error))
        line = found.group(1) if found else "1"
        raise PackError(f"{source} line {line}: not valid TOML: {error}") from None
    lines = SourceLines(text)
    try:
        return _build(data, lines)
    except PackError as error:
        raise PackError(f"{source} line {lines.locate(error)}: {error}") from None


def _build(data: dict[str, Any], lines: SourceLines) -> PolicyPack:
    known_keys(data, frozenset({"pack", "rule"}), "the file")
    head = data.get("pack")
    if not isinstance(head, dict):
        raise PackError("the file needs a [pack] table")
    known_keys(head, _PACK_KEYS, "[pack]")
    tags = head.get("tags")
    if not isinstance(tags, dict):
        raise PackError("[pack] needs a [pack.tags] table describing each tag")
    for name, description in tags.items():
        if not _SLUG.match(name) or not isinstance(description, str) or not description.strip():
            raise PackError(
                f"tag '{name}' needs a lower-case name and a description",
                line=lines.header("pack.tags"),
                key=name,
            )
    raw_rules = data.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise PackError("the file needs [[rule]] entries")
    headers = lines.rule_headers()
    rules = []
    for n, raw in enumerate(raw_rules):
        line = headers[n] if n < len(headers) else None
        try:
            rules.append(_rule(raw, n + 1, line))
        except PackError as error:
            error.line = error.line or line
            raise
    return PolicyPack(
        block_unchecked_person=flag(head, "block_unchecked_person", "[pack]", default=False),
        id=required_text(head, "id", "[pack]"),
        title=required_text(head, "title", "[pack]"),
        district=required_text(head, "district", "[pack]"),
        version=required_text(head, "version", "[pack]"),
        policy_reference=required_text(head, "policy_reference", "[pack]"),
        public_arena=word_set(head, "public_arena", "[pack]", everything=v.CONTEXT_KINDS),
        tags=tuple(Tag(name, description) for name, description in tags.items()),
        redaction_allowed=flag(head, "redaction", "[pack]"),
        rules=tuple(rules),
        adult_students_sign=flag(head, "adult_students_sign", "[pack]", default=False),
        require_listed_guardian=flag(head, "require_listed_guardian", "[pack]", default=False),
        unverified_public_arena=optional_text(head, "unverified_public_arena", "[pack]") or "review",
    )


def _rule(raw: object, number: int, line: int | None) -> Rule:
    if not isinstance(raw, dict):
        raise PackError(f"rule number {number} must be a [[rule]] table", line=line)
    name = f"rule '{raw['id']}'" if isinstance(raw.get("id"), str) else f"rule number {number}"
    known_keys(raw, _RULE_KEYS, name)
    return Rule(
        id=required_text(raw, "id", name),
        clause=required_text(raw, "clause", name),
        message=required_text(raw, "message", name),
        subject=required_text(raw, "subject", name),
        destinations=word_set(raw, "destinations", name, everything=v.DESTINATIONS),
        contexts=word_set(raw, "contexts", name, everything=frozenset({v.ANY})),
        tags=word_set(raw, "tags", name, required=False),
        verdict=optional_text(raw, "verdict", name),
        requires=optional_text(raw, "requires", name),
        otherwise=optional_text(raw, "otherwise", name),
        unless=optional_text(raw, "unless", name),
        redactable=flag(raw, "redactable", name, default=False),
        line=line,
    )

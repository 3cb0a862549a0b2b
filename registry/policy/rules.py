"""One rule of a policy pack: what it is about, where it applies, what it decides.

A rule checks its own words when it is made, so a rule that exists is a valid rule; the
checks that need the whole pack (tags, coverage, precedence) live in `pack.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry.policy import vocabulary as v


class PackError(ValueError):
    """An invalid policy pack. Once loaded from a file, the message names the file and line.

    `line` and `key` say where the problem is while the pack is being read; the loader then
    raises a new PackError whose message starts "name.toml line N: ".
    """

    def __init__(self, message: str, *, line: int | None = None, key: str | None = None):
        super().__init__(message)
        self.line = line
        self.key = key


PERSON_SUBJECTS = v.PERSON_KINDS
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Rule:
    id: str
    clause: str
    message: str
    subject: str
    destinations: frozenset[str]
    contexts: frozenset[str]
    tags: frozenset[str] = frozenset()
    verdict: str | None = None
    requires: str | None = None
    otherwise: str | None = None
    unless: str | None = None
    redactable: bool = False
    line: int | None = None

    def __post_init__(self) -> None:
        _check_words(self)
        _check_outcome(self)

    def applies(
        self,
        *,
        subject: str,
        destination: str,
        context_kind: str,
        in_public_arena: bool,
        tag: str | None = None,
    ) -> bool:
        if subject != self.subject or destination not in self.destinations:
            return False
        if tag is not None and tag not in self.tags:
            return False
        return any(
            selector == v.ANY
            or selector == context_kind
            or (selector == v.PUBLIC_ARENA and in_public_arena)
            or (selector == v.NOT_PUBLIC_ARENA and not in_public_arena)
            for selector in self.contexts
        )

    def describe(self) -> str:
        """The rule as one plain sentence, for the admin page."""
        if self.subject == v.TAG_SUBJECT:
            who = "Photos tagged " + " or ".join(sorted(self.tags))
        else:
            who = v.SUBJECT_LABELS[self.subject].capitalize()
        where = (
            "any destination"
            if self.destinations == v.DESTINATIONS
            else " or ".join(v.DESTINATION_LABELS[d] for d in sorted(self.destinations))
        )
        when = _CONTEXT_WORDS.get(frozenset(self.contexts), "at " + ", ".join(sorted(self.contexts)).replace("_", " "))
        if self.requires is not None and self.otherwise is not None:
            whose = "a parent's or guardian's" if self.subject == "student" else "their own"
            outcome = (
                f"allowed only with {whose} image-release consent in force for that "
                f"destination, otherwise {v.VERDICT_LABELS[self.otherwise]}"
            )
        elif self.unless == v.LOGO_USE_CONSENT and self.verdict is not None:
            outcome = (
                f"{v.VERDICT_LABELS[self.verdict]} unless the uploader holds written "
                "logo-use consent in force for that destination"
            )
        else:
            outcome = v.VERDICT_LABELS[str(self.verdict)]
        blur = " (a blocked face may be blurred instead)" if self.redactable else ""
        return f"{who}, on {where}, {when}: {outcome}{blur}. [{self.clause}] {self.message}"


_CONTEXT_WORDS = {
    frozenset({v.ANY}): "in any context",
    frozenset({v.PUBLIC_ARENA}): "in the public arena",
    frozenset({v.NOT_PUBLIC_ARENA}): "outside the public arena",
}


def _check_words(rule: Rule) -> None:
    name = f"rule '{rule.id}'"
    if not _RULE_ID.match(rule.id):
        raise PackError(f"rule id '{rule.id}' must be lower-case words joined by '-'", key="id")
    for key in ("clause", "message"):
        if not getattr(rule, key).strip():
            raise PackError(f"{name} needs a non-empty {key}", key=key)
    if rule.subject not in v.SUBJECTS:
        raise PackError(
            f"unknown subject '{rule.subject}' in {name}; use one of {_listed(v.SUBJECTS)}",
            key="subject",
        )
    if unknown := sorted(rule.destinations - v.DESTINATIONS):
        raise PackError(f"unknown destination '{unknown[0]}' in {name}", key="destinations")
    if unknown := sorted(rule.contexts - v.CONTEXT_SELECTORS):
        raise PackError(f"unknown context '{unknown[0]}' in {name}", key="contexts")
    if not rule.destinations or not rule.contexts:
        raise PackError(f'{name} needs destinations and contexts (a list, or "any")')
    if v.ANY in rule.contexts and len(rule.contexts) > 1:
        raise PackError(f'{name}: contexts "any" cannot be combined', key="contexts")
    if (rule.subject == v.TAG_SUBJECT) != bool(rule.tags):
        raise PackError(f'{name}: `tags` is needed by, and only by, rules with subject "tag"')


def _check_outcome(rule: Rule) -> None:
    name = f"rule '{rule.id}'"
    if (rule.verdict is None) == (rule.requires is None):
        raise PackError(f"{name} needs exactly one of `verdict` or `requires`")
    if rule.verdict is not None and rule.verdict not in v.VERDICTS:
        raise PackError(f"unknown verdict '{rule.verdict}' in {name}", key="verdict")
    if rule.requires is not None:
        if rule.requires != v.IMAGE_RELEASE_CONSENT or rule.subject not in PERSON_SUBJECTS:
            raise PackError(
                f'{name}: `requires` may only be "{v.IMAGE_RELEASE_CONSENT}", for subjects ' + _listed(PERSON_SUBJECTS),
                key="requires",
            )
        if rule.otherwise not in (v.BLOCKED, v.NEEDS_REVIEW):
            raise PackError(
                f'{name}: `requires` needs `otherwise` = "blocked" or "needs_review"',
                key="otherwise",
            )
    elif rule.otherwise is not None:
        raise PackError(f"{name}: `otherwise` only goes with `requires`", key="otherwise")
    if rule.unless is not None and (
        rule.unless != v.LOGO_USE_CONSENT or rule.subject != v.TAG_SUBJECT or rule.verdict == v.ALLOWED
    ):
        raise PackError(
            f'{name}: `unless` may only be "{v.LOGO_USE_CONSENT}", on a tag rule that does not allow',
            key="unless",
        )
    if rule.redactable and rule.subject == v.TAG_SUBJECT:
        raise PackError(f"{name}: only faces can be blurred; a tag rule is not redactable", key="redactable")
    _check_fail_closed(rule, name)


def _check_fail_closed(rule: Rule, name: str) -> None:
    """Refuse rules that would let an unconfirmed identity through (DESIGN.md, "fail closed")."""
    if rule.verdict != v.ALLOWED:
        return
    if rule.subject == "possible":
        raise PackError(f"{name}: a possible match can never be allowed; a human must decide", key="verdict")
    if rule.subject == "unknown" and rule.contexts != {v.PUBLIC_ARENA}:
        raise PackError(
            f'{name}: unknown faces may be allowed only with contexts = ["public_arena"]',
            key="contexts",
        )


def _listed(words: frozenset[str]) -> str:
    return ", ".join(sorted(words))

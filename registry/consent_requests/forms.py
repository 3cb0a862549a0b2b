"""What a family is asked: the district's form text (versioned) and one question per destination.

The text is the district's own file where `family_forms_dir` names one (`<kind>.<language>.txt`), else the
built-in text in forms/ filled in with the pack's district. A file starts with `Version:` and `Title:` lines;
the rest is paragraphs. The version recorded with a signature names the file, its version line and the SHA-256
of the exact text shown, so the receipt proves which words were signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from registry.core.errors import Invalid
from registry.policy import vocabulary as v
from registry.policy.vocabulary import ConsentStatus

BUILT_IN = Path(__file__).resolve().parent / "forms"
KINDS = ("image_release", "biometric")  # what a family may be asked online (a logo permission is an employee's)
ENROL = "enrol"  # the biometric form's one question
YES, NO = "yes", "no"


@dataclass(frozen=True)
class FormText:
    kind: str
    language: str
    version: str
    title: str
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n\n".join((self.title, *self.paragraphs))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def reference(self) -> str:
        return f"{self.kind}.{self.language} version {self.version} (text SHA-256 {self.sha256[:16]})"


def form_text(kind: str, language: str, *, district: str, own_dir: Path | None = None) -> FormText:
    name = f"{kind}.{language}.txt"
    path = own_dir / name if own_dir is not None and (own_dir / name).exists() else BUILT_IN / name
    if not path.exists():
        path = BUILT_IN / f"{kind}.en.txt"
    lines = path.read_text(encoding="utf-8").replace("{district}", district).strip().splitlines()
    header = {}
    while lines and ":" in lines[0] and lines[0].split(":", 1)[0] in ("Version", "Title"):
        key, value = lines.pop(0).split(":", 1)
        header[key] = value.strip()
    paragraphs = tuple(p.strip().replace("\n", " ") for p in "\n".join(lines).split("\n\n") if p.strip())
    return FormText(kind, language, header.get("Version", "1"), header.get("Title", kind), paragraphs)


def questions(kind: str, _: Callable[[str], str]) -> list[tuple[str, str]]:
    """(field name, the question in the family's words), one fieldset each."""
    if kind == "biometric":
        return [(ENROL, _("May the school enrol your child's face to check photos before they are posted?"))]
    labels = {
        "personal_social_media": _("Staff members' own social media accounts"),
        "district_social_media": _("The district's and the schools' social media"),
        "district_website": _("The district and school websites"),
        "print": _("Print: newsletters, the yearbook, posters"),
    }
    return [(d, labels[d]) for d in sorted(v.DESTINATIONS)]


class MissingAnswers(Invalid):
    """A question was left unanswered: nothing is recorded."""

    def __init__(self, names: list[str]) -> None:
        super().__init__("Answer every question with Yes or No.")
        self.names = names


def consent_from_answers(kind: str, answers: Mapping[str, str | None]) -> tuple[ConsentStatus, list[str]]:
    """(status, scopes) of the consent these answers make: the destinations answered Yes, or a refusal of every
    destination when every answer is No. Every question must be answered Yes or No; anything else is missing."""
    names = [name for name, _label in questions(kind, str)]
    missing = [name for name in names if answers.get(name) not in (YES, NO)]
    if missing:
        raise MissingAnswers(missing)
    yes = sorted(name for name in names if answers[name] == YES)
    if not yes:
        return v.REFUSED, []
    return v.GRANTED, [] if kind == "biometric" else yes

"""Every word a family reads has its Spanish translation in the catalog: the pages, the receipt, the letter, the
e-mail, and the messages the pages translate from the services (a missing one would show English silently)."""

from __future__ import annotations

import re

from registry.consent_requests import signing
from registry.consent_requests.i18n import translations
from tests.paths import ROOT

CALLS = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")
SERVICE_WORDS = re.compile(
    r'errors\["\w+"\] = "([^"]+)"|raise Conflict\("([^"]+)"\)|\{"\w+": "([^"]+)"\}|(?:title|message)="([^"]+)"'
)
SOURCES = [
    *sorted((ROOT / "api/templates/family").glob("*.html")),
    *sorted((ROOT / "api/web").glob("pages_family*.py")),
    *sorted((ROOT / "registry/consent_requests").glob("*.py")),
]


def words_read_by_families() -> set[str]:
    found: set[str] = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        found |= {a or b for a, b in CALLS.findall(text)}
        if path.suffix == ".py":
            found |= {next(g for g in groups if g) for groups in SERVICE_WORDS.findall(text)}
    return {w.replace("\\'", "'") for w in found if w}


def test_every_family_word_has_its_spanish() -> None:
    words = words_read_by_families() | {signing.SAME_DAY_NO}
    assert len(words) > 60  # the extraction finds the pages' words at all
    spanish = translations("es")
    missing = sorted(w for w in words if spanish.gettext(w) == w and w not in ("No",))
    assert missing == []

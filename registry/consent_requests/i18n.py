"""The families' words in their language: gettext catalogs (locale/<language>/LC_MESSAGES/messages.po).

The catalogs are read from their .po text with Babel when first asked for, so nothing compiled is kept in the
repository. English is the text of the messages themselves. To add a language: copy es/, translate, and add
its code to LANGUAGES.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import date
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"


def language_or_default(code: str | None) -> str:
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@cache
def translations(language: str) -> gettext.NullTranslations:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def gettext_for(language: str) -> Callable[[str], str]:
    """The `_` of one language."""
    return translations(language_or_default(language)).gettext


MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}


def long_date(day: date, language: str) -> str:
    """ "30 June 2027" / "30 de junio de 2027"."""
    month = MONTHS[language_or_default(language)][day.month - 1]
    return f"{day.day} de {month} de {day.year}" if language == "es" else f"{day.day} {month} {day.year}"

"""The gettext catalogues every text a customer reads is written through: English msgids in the
code and templates, other languages in `translations/<locale>/LC_MESSAGES/messages.po`, the
layout Flask-Babel reads (`make translations` extracts and compiles; README says how)."""

from __future__ import annotations

from functools import cache
from gettext import NullTranslations
from pathlib import Path

from babel.support import Translations

TRANSLATIONS = Path(__file__).parent / "translations"


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of `locale`; for English (or any language without one) the
    msgids themselves."""
    return Translations.load(TRANSLATIONS, [locale])


def N_(message: str) -> str:  # the name extraction looks for by default
    """Marks `message` for the catalogue where the code translates it later, by value."""
    return message

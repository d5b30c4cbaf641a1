"""The gettext catalogues: every English text the code and templates hand to gettext has a
translation in each language, placeholders kept, and the committed .mo files are the .po
files compiled (no database, no app)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from rollout.i18n import TRANSLATIONS, translations

ROOT = Path(__file__).parents[2]
LANGUAGES = sorted(path.name for path in TRANSLATIONS.iterdir() if path.is_dir())


def catalogue(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


def singular(msgid: str | tuple[str, ...]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def used_messages() -> set[tuple[str | None, str]]:
    """(context, msgid) of every text the code and templates translate, found as
    `make translations` finds them (babel.cfg)."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(ROOT, method_map, options_map)
    return {(context, singular(msgid)) for _file, _line, msgid, _comments, context in found}


def test_english_has_no_catalogue_and_reads_the_msgids():
    assert translations("en").gettext("Hello %(name)s,") == "Hello %(name)s,"
    assert translations("fr").gettext("Hello %(name)s,") == "Bonjour %(name)s,"


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_text_the_code_translates_has_a_translation(locale):
    po = catalogue(locale)
    untranslated = []
    for context, msgid in sorted(used_messages(), key=str):
        entry = po.get(msgid, context=context)
        strings = () if entry is None else entry.string
        forms = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(forms):
            untranslated.append((context, msgid))
    assert untranslated == [], f"run `make translations` and translate these in {locale}"


@pytest.mark.parametrize("locale", LANGUAGES)
def test_the_catalogue_holds_only_texts_the_code_uses(locale):
    held = {(entry.context, singular(entry.id)) for entry in catalogue(locale) if entry.id}
    assert held - used_messages() == set(), "run `make translations` to drop them"


@pytest.mark.parametrize("locale", LANGUAGES)
def test_translations_keep_the_placeholders_of_their_english(locale):
    problems = [(entry.id, errors) for entry, errors in catalogue(locale).check()]
    assert problems == []


@pytest.mark.parametrize("locale", LANGUAGES)
def test_the_committed_mo_is_its_po_compiled(locale):
    compiled = BytesIO()
    write_mo(compiled, catalogue(locale))
    compiled.seek(0)
    fresh, committed = Translations(compiled), Translations.load(TRANSLATIONS, [locale])
    # The header ("" msgid) names the Babel version that compiled it: compare the rest.
    assert {k: v for k, v in committed._catalog.items() if k != ""} == {
        k: v for k, v in fresh._catalog.items() if k != ""
    }, "run `make translations` to compile the .po"
    assert committed.info()["plural-forms"] == fresh.info()["plural-forms"]


def test_the_pages_templates_and_labels_are_among_the_texts_checked():
    used = used_messages()
    assert (None, "Maintenance schedule") in used  # web/templates/
    assert (None, "New features") in used  # marked with N_ in web/pages/

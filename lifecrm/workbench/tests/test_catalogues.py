"""The zh-Hant and zh-Hans catalogues are complete, not fuzzy, well-formed, and their .mo files are current."""
from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

from lifecrm.workbench.scripts.compile_catalogues import LOCALE_DIR, compile_po
from lifecrm.workbench.tests.pofile import Entry, read

LANGUAGES = ["zh_Hant", "zh_Hans"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w*)\}")


def _po(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def _label(entry: Entry) -> str:
    return f"line {entry.line}: {entry.msgid!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    entries = read(_po(language))
    header, messages = entries[0], entries[1:]
    assert header.msgid == "" and not header.fuzzy, "the header must not be fuzzy"
    assert f"Language: {language}" in header.msgstr
    assert len(messages) > 100
    untranslated = [_label(e) for e in messages if not e.translated]
    fuzzy = [_label(e) for e in messages if e.fuzzy]
    assert not untranslated, f"{language}: untranslated entries: {untranslated}"
    assert not fuzzy, f"{language}: fuzzy entries: {fuzzy}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_named_placeholder(language):
    wrong = []
    for entry in read(_po(language))[1:]:
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        expected = set().union(*(set(PLACEHOLDER.findall(s)) for s in sources))
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if text and set(PLACEHOLDER.findall(text)) != expected:
                wrong.append(_label(entry))
    assert not wrong, f"{language}: placeholders differ: {wrong}"


def test_the_two_scripts_differ():
    """A Simplified catalogue copied from the Traditional one (or back) would pass every other test."""
    hant = {e.msgid: e.msgstr for e in read(_po("zh_Hant"))[1:]}
    hans = {e.msgid: e.msgstr for e in read(_po("zh_Hans"))[1:]}
    assert hant["insured"] == "被保險人" and hans["insured"] == "被保险人"
    assert hant["in grace period"] == "寬限期中" and hans["in grace period"] == "宽限期中"
    assert hant["policy"] == "保單" and hans["policy"] == "保单"
    assert sum(hant[k] != hans[k] for k in hant) > len(hant) / 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_mo_file_is_compiled_from_the_current_po(language):
    po = _po(language)
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run lifecrm/workbench/scripts/compile_catalogues.py"
    assert mo.read_bytes() == compile_po(po), (
        f"{mo} is out of date: run .venv/bin/python lifecrm/workbench/scripts/compile_catalogues.py"
    )
    catalog = gettext.GNUTranslations(mo.open("rb"))
    for entry in read(po)[1:]:
        if entry.msgid_plural:
            assert catalog.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt is None:
            assert catalog.gettext(entry.msgid) == entry.msgstr


def test_the_reader_refuses_a_stray_msgstr():
    with pytest.raises(ValueError):
        from lifecrm.workbench.tests.pofile import parse

        parse('msgid ""\nmsgstr "h"\n\nmsgid "a"\nmsgstr "b"\n\nmsgstr "c"\n')


def test_reasons_the_system_writes_read_in_the_page_language():
    from django.utils import translation

    from lifecrm.workbench.pages import system_reason

    with translation.override("zh-hant"):
        assert system_reason("premium due 2026-10-01 unpaid") == "2026-10-01 到期之保費未繳"
        assert system_reason("grace period ended 2026-11-30 unpaid") == "寬限期於 2026-11-30 屆滿仍未繳費"
        assert system_reason("policy issued, first premium paid") == "保單生效，首期保費已繳"
        assert system_reason("客戶來電要求") == "客戶來電要求"  # typed by staff: as typed
    with translation.override("zh-hans"):
        assert system_reason("premium due 2026-10-01 unpaid") == "2026-10-01 到期的保费未缴"
    with translation.override("en"):
        assert system_reason("premium due 2026-10-01 unpaid") == "premium due 2026-10-01 unpaid"

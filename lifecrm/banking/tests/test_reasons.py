"""The bank's ISO 20022 status reason codes read as "code — label" in the page's language, from one table."""
from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext

from lifecrm.banking import rules
from lifecrm.banking.reasons import reason_text

CODES = ("AC01", "AC04", "AC06", "AG01", "AM04", "AM05", "MD01", "MD06", "MS02", "MS03",
         "RR01", "RR02", "RR03", "RR04", "FF01", "NARR")


def test_every_code_our_banks_send_has_a_label():
    assert set(CODES) <= set(rules.REASON_LABELS)


def test_a_code_reads_with_its_label_in_the_page_language():
    with translation.override("en"):
        assert reason_text("AC04") == "AC04 — Account closed"
        assert reason_text(" am04 ") == "AM04 — Insufficient funds"
    with translation.override("zh-hant"):
        assert reason_text("AC04") == "AC04 — 帳戶已結清"
        assert reason_text("AM04") == "AM04 — 存款不足"
    with translation.override("zh-hans"):
        assert reason_text("AC04") == "AC04 — 账户已销户"
        assert reason_text("AM04") == "AM04 — 余额不足"


def test_an_unknown_code_shows_alone_and_no_code_shows_nothing():
    assert reason_text("ZZ99") == "ZZ99"
    assert reason_text("") == "" and reason_text(None) == ""


@pytest.mark.parametrize("language", ["zh-hant", "zh-hans"])
def test_every_label_is_translated(language):
    with translation.override(language):
        untranslated = [code for code, label in rules.REASON_LABELS.items() if gettext(label) == label]
    assert not untranslated


def test_the_template_filter():
    template = Template("{% load bank_reasons %}[{{ code|bank_reason }}]")
    with translation.override("zh-hant"):
        assert template.render(Context({"code": "MD01"})) == "[MD01 — 無有效授權]"
        assert template.render(Context({"code": ""})) == "[]"

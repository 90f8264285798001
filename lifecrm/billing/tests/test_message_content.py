"""Message templates: a section rendered on its own says what the whole template's section says."""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from django.template import Context

from lifecrm.billing import reminders
from lifecrm.notifications import content

TEMPLATES = Path(reminders.__file__).resolve().parent / "templates" / "billing" / "messages"
NAMES = sorted({reminders.MESSAGES + path.name.split(".")[0] for path in TEMPLATES.glob("*.txt")})
BASE = {"company": "立孚人寿", "salutation": "张伟先生 & <Co>", "policy": "P0000001", "product": "终身寿险",
        "currency": "CNY", "amount": "1,234.50", "due_date": "2026年12月11日", "grace_end": "2027年2月9日",
        "suspension_date": "2027年2月10日", "suspended_on": "2027年2月10日", "grace_days": 60,
        "reinstatement_years": 2, "today": "2026年11月26日", "reason_code": "AM04"}


def whole(name: str, language: str, context: dict) -> content.Message:
    """The message as the whole template renders it, split at its markers afterwards."""
    rendered = content._split(content._template((name,), language).render(Context(context)))
    texts = {part: rendered[part].strip() for part in content.SECTIONS}
    return content.Message(language, " ".join(texts["subject"].split()), texts["sms"], texts["body"])


@pytest.mark.parametrize(("name", "language"), list(itertools.product(NAMES, content.LANGUAGES)))
def test_each_section_alone_renders_as_in_the_whole_template(name, language):
    assert content._sections((name,), language) is not None  # every shipped template is sectioned
    for overdue, auto_debit, demand_based, jurisdiction in itertools.product(
            (False, True), (False, True), (False, True), ("CN", "HK", "TW")):
        context = BASE | {"overdue": overdue, "auto_debit": auto_debit, "demand_based": demand_based,
                          "jurisdiction": jurisdiction}
        expected = whole(name, language, context)
        assert content.render(names=[name], language=language, context=context) == expected
        sms = content.render(names=[name], language=language, context=context, parts=("sms",))
        assert (sms.subject, sms.sms, sms.body) == ("", expected.sms, "")
        written = content.render(names=[name], language=language, context=context, parts=content.WRITTEN)
        assert (written.subject, written.sms, written.body) == (expected.subject, "", expected.body)


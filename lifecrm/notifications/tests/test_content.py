"""The messages' template engine and content: templates found in any app under their own prefix, sections rendered
alone or whole, the customer's language and how a letter addresses them."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from lifecrm.notifications import content, letters


def test_a_template_whose_sections_do_not_stand_alone_is_rendered_whole(settings, tmp_path):
    folder = tmp_path / "billing" / "messages"
    folder.mkdir(parents=True)
    (folder / "spanning.en.txt").write_text(
        "{% if overdue %}\n=== subject\nLate {{ policy }}\n=== sms\nPay now\n=== body\nOverdue{% else %}\n"
        "=== subject\nDue {{ policy }}\n=== sms\nPay soon\n=== body\nDue soon{% endif %}\n", encoding="utf-8")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    assert content._sections(("billing/messages/spanning",), "en") is None
    message = content.render(names=["billing/messages/spanning"], language="en",
                             context={"overdue": True, "policy": "P1"}, parts=("sms",))
    assert (message.subject, message.sms, message.body) == ("", "Pay now", "")


def test_an_apps_message_is_found_under_its_prefix_and_the_first_name_that_exists_wins(settings, tmp_path):
    folder = tmp_path / "service" / "messages"
    folder.mkdir(parents=True)
    (folder / "case-opened.en.txt").write_text(
        "=== subject\nCase {{ case }} & co\n=== sms\nWe opened case {{ case }}\n=== body\nDear {{ name }}\n",
        encoding="utf-8")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    message = content.render(names=["service/messages/missing", "service/messages/case-opened"], language="en",
                             context={"case": "C1", "name": "<Zhang>"})
    assert message == content.Message("en", "Case C1 & co", "We opened case C1", "Dear &lt;Zhang&gt;")
    # billing's messages come from the billing app's own templates folder (app directories)
    demand = content.render(names=["billing/messages/demand"], language="zh-hans", parts=("sms",),
                            context={"policy": "P1", "amount": "1.00", "currency": "CNY"})
    assert "P1" in demand.sms


def test_language_and_salutation():
    zhang = SimpleNamespace(preferred_language="", sex="M", name="张伟", name_romanised="Zhang Wei")
    assert content.language_for(zhang, "HK") == "zh-hant"
    assert content.language_for(zhang, "XX") == "zh-hans"
    assert content.language_for(SimpleNamespace(preferred_language="en"), "CN") == "en"
    assert content.salutation(zhang, "zh-hans") == "张伟先生"
    assert content.salutation(zhang, "en") == "Mr Zhang Wei"
    assert content.format_date(date(2026, 9, 5), "en") == "5 September 2026"
    assert content.format_date(date(2026, 9, 5), "zh-hant") == "2026年9月5日"


def test_a_letter_is_laid_out_by_this_apps_letter_template():
    message = content.Message("zh-hant", "保單效力停止通知", "", "第一段\n\n第二段")
    html = letters.letter_html(message=message, recipient="陳美玲女士", address="台北市信義路1號", postcode="110",
                               posted_on=date(2026, 10, 1), company="立孚人壽")
    assert '<html lang="zh-Hant">' in html and "Noto Sans CJK TC" in html
    assert "2026年10月1日" in html and "<p>第一段</p>" in html and "110" in html

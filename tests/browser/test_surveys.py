"""A customer answers a satisfaction survey through the link in the SMS (no login), on a phone; the branch manager
then reads the answer on the satisfaction report. Screenshots of the survey page in each language (and 390 px wide)
and of the report at 1366 px."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from lifecrm.notifications.services import outbox_dispatch
from lifecrm.notifications.sms import read_outbox
from lifecrm.service import services
from lifecrm.service.models import Survey
from tests.factories import PASSWORD, make_customer, make_org, make_staff, make_staff_per_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LINK = re.compile(r"/survey/([\w-]+)/")


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    settings.LIFECRM_SMS_OUTBOX = tmp_path / "sms"
    settings.LIFECRM_QUIET_HOURS = "off"  # the test runs at any hour: the survey SMS leaves when the outbox runs
    org = make_org()
    staff = make_staff_per_role(org)
    handler = make_staff("callcentre", org.team_a, name="陳美玲")
    links = {}
    now = timezone.now()
    for language, name in (("zh-hant", "陳大文"), ("zh-hans", "王芳"), ("en", "Li Ming")):
        customer = make_customer(branch=org.team_a, agent=staff["agent"], name=name, preferred_language=language)
        actor = staff["hq"].user
        case = services.case_open(actor=actor, customer=customer, case_type="inquiry", category="premium",
                                  subject="保費查詢", channel="call", opened_at=now - timedelta(hours=3))
        services.case_assign(actor=actor, case=case, assignee=handler, at=now - timedelta(hours=2))
        services.case_event_append(actor=actor, case=case, kind="resolved", at=now - timedelta(hours=1))
        services.case_event_append(actor=actor, case=case, kind="closed", at=now - timedelta(minutes=30))
        outbox_dispatch(at=timezone.now())  # the outbox's dispatcher (`lifecrm send-outbox`, every minute)
        message = next(m for m in read_outbox(settings.LIFECRM_SMS_OUTBOX) if m["message_id"].endswith(f"-{case.pk}"))
        links[language] = LINK.search(message["text"]).group(0)
    return org, staff, handler, links


def test_a_customer_answers_on_a_phone_and_the_manager_sees_it(page: Page, live_server, world, screenshots):
    org, staff, handler, links = world
    for language, heading in (("zh-hans", "您对我们处理您案件的方式满意吗？"),
                              ("en", "How satisfied are you with how we handled your case?")):
        page.goto(live_server.url + links[language])
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        page.screenshot(path=str(screenshots / f"survey-{language}.png"), full_page=True)

    # The customer opens the link on a phone: no login, the page in their language (zh-Hant).
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + links["zh-hant"])
    expect(page.get_by_role("heading", level=1)).to_have_text("您對我們處理您案件的方式滿意嗎？")
    page.screenshot(path=str(screenshots / "survey-zh-hant-390.png"), full_page=True)
    page.get_by_role("button", name="送出回覆").click()  # no score chosen: said so, nothing recorded
    expect(page.get_by_role("alert")).to_have_text("請選擇一個分數。")
    page.locator("label[for=score-4]").click()
    page.get_by_label("還有什麼想告訴我們的嗎？（選填）").fill("處理很快，謝謝")
    page.get_by_role("button", name="送出回覆").click()
    expect(page.get_by_test_id("survey-thanks")).to_have_text("感謝您的回覆。")
    page.goto(live_server.url + links["zh-hant"])  # the link again: answered, once
    expect(page.get_by_test_id("survey-answered")).to_be_visible()
    answered = Survey.objects.get(answered_at__isnull=False)
    assert (answered.score, answered.comment, answered.staff) == (4, "處理很快，謝謝", handler)

    # The branch manager reads it on the report, credited to the handler and her team.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + "/login/")
    page.get_by_label("使用者名稱").fill(staff["branch"].user.username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.wait_for_load_state("networkidle")
    page.locator("#service-menu").click()
    page.get_by_role("link", name="客戶滿意度").click()
    table = page.get_by_test_id("survey-table")
    expect(table).to_contain_text(handler.name)
    expect(page.get_by_test_id("csat-average")).to_have_text("4.0")
    expect(page.get_by_test_id("response-rate")).to_have_text("33.3 %")
    page.screenshot(path=str(screenshots / "survey-report-zh-hant.png"), full_page=True)
    page.get_by_label("分組").select_option("team")
    page.get_by_role("button", name="查詢").click()
    expect(table).to_contain_text(org.team_a.name)

"""The emergency desk at 1,366 px in Traditional Chinese and English: the intake with the caller's cover, and a case
with its cover summary, its dispatch log with times and its big actions. Screenshots for a look."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from lifecrm.core.actors import SYSTEM
from lifecrm.service.services import dispatch_log, dispatch_request, emergency_open
from tests.factories import PASSWORD, make_customer, make_org, make_policy, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(transactional_db):
    org = make_org()
    agent = make_staff("agent", org.team_a, name="李業務")
    callcentre = make_staff("callcentre", org.branch_a, username="emergencydesk", name="陳座席")
    customer = make_customer(branch=org.branch_a, agent=agent, name="王小明", name_romanised="Wang Xiaoming",
                             mobile_phone="13800138000")
    make_policy(owner=customer, agent=agent, branch=org.branch_a)
    at = timezone.now() - timedelta(minutes=40)
    case = emergency_open(actor=SYSTEM, customer=customer, location="朝阳公园北门", situation="跑步时摔倒，无法站立",
                          callback_phone="13800138000", at=at, category="ambulance")
    sent = dispatch_request(actor=SYSTEM, case=case, partner_kind="ambulance", partner_name="北京120急救中心",
                            requested_at=at + timedelta(minutes=2), at=at + timedelta(minutes=2), reference="BJ120-7781")
    dispatch_log(actor=SYSTEM, dispatch=sent, stage="confirmed", stamp=at + timedelta(minutes=4),
                 at=at + timedelta(minutes=4))
    return callcentre, customer, case


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # nothing runs off the desk's screen


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_the_emergency_pages_at_1366_px(page: Page, live_server, desk, screenshots, language):
    callcentre, customer, case = desk
    page.goto(live_server.url + "/login/")
    page.get_by_label("使用者名稱").fill(callcentre.user.username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    if language != "zh-hant":
        page.locator("#language-menu").click()
        page.locator(f'button[name="language"][value="{language}"]').click()
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/service/emergency/?customer={customer.pk}")
    expect(page.get_by_test_id("emergency-cover")).to_be_visible()
    expect(page.get_by_test_id("emergency-intake")).to_be_visible()
    _fits(page)
    page.screenshot(path=str(screenshots / f"emergency-intake-{language}.png"), full_page=True)
    page.goto(f"{live_server.url}/service/emergency/{case.pk}/")
    expect(page.get_by_test_id("case-cover")).to_be_visible()
    expect(page.get_by_test_id("dispatches")).to_contain_text("BJ120-7781")
    actions = page.get_by_test_id("emergency-actions")
    expect(actions.get_by_role("link", name="13800138000")).to_be_visible()
    _fits(page)
    page.screenshot(path=str(screenshots / f"emergency-case-{language}.png"), full_page=True)

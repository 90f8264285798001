"""A branch manager opens a customer 360 that shows the tier, the stage and the reasons behind them, the value
components and a policy's lapse risk with its reasons, in zh-Hant and in English (issue 15 §7)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from lifecrm.core.actors import SYSTEM
from lifecrm.parties.services import Segment, segments_record
from lifecrm.value.models import CustomerValue, LapseModelVersion, LapseScore
from lifecrm.value.rules import reason
from tests.factories import PASSWORD, make_customer, make_org, make_policy, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(transactional_db):
    org = make_org()
    manager = make_staff("branch", org.branch_a, username="manager", name="周經理")
    customer = make_customer(branch=org.branch_a, name="王小明", name_romanised="Wang Xiaoming")
    policy = make_policy(owner=customer, agent=None, branch=org.branch_a)
    day = timezone.localdate() - timedelta(days=7)
    segments_record(actor=SYSTEM, as_of=day, segments={customer.pk: Segment("gold", "growing", {
        "tier": [reason("tier_reached", tier="gold", amount=Decimal("120000"), threshold=Decimal("100000"), version=1)],
        "stage": [reason("policy_added", policy=policy.number, day=date(2025, 10, 1), months=24)]})})
    CustomerValue.objects.create(
        customer=customer, as_of=day, jurisdiction="CN", currency="CNY", current_value=Decimal("95000.00"),
        premiums_paid=Decimal("40000.00"), margin_earned=Decimal("1200.00"), potential_value=Decimal("15000.00"),
        network_value=Decimal("8800.00"), total_value=Decimal("120000.00"), reasons={},
        computed_at=datetime.now(UTC))
    model = LapseModelVersion.objects.create(version=1, as_of=day, trained_at=datetime.now(UTC), algorithm="test",
                                             train_cutoffs=[], test_cutoff=day, parameters={}, checksum="x",
                                             metrics={})
    LapseScore.objects.create(policy=policy, as_of=day, model=model, score=0.42, reasons=[
        {"feature": "rejected_debits_recent", "value": 2.0, "contribution": 1.1},
        {"feature": "method_cash", "value": 1.0, "contribution": 0.3}])
    return manager, customer, policy


def test_the_360_shows_tier_stage_value_and_lapse_risk_with_their_reasons(page: Page, live_server, book,
                                                                          screenshots):
    manager, customer, policy = book
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + "/login/")
    page.get_by_label("使用者名稱").fill(manager.user.username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.goto(f"{live_server.url}/customers/{customer.pk}/")

    tier = page.locator("section[aria-labelledby='service-title']")
    expect(tier).to_contain_text("金")
    expect(tier).to_contain_text("成長期")
    expect(tier.get_by_test_id("segment-reasons")).to_contain_text("價值 120,000.00，達到「金」等級門檻 100,000.00（門檻第 1 版）")
    expect(tier.get_by_test_id("segment-reasons")).to_contain_text(f"保單 {policy.number} 於 2025-10-01 新增，不足 24 個月")
    value = page.locator("#customer-value")
    expect(value.get_by_test_id("total-value")).to_contain_text("120,000.00")
    risks = page.locator("#lapse-risks")
    expect(risks).to_contain_text(policy.number)
    expect(risks).to_contain_text("42 %")
    expect(risks).to_contain_text("近期被拒絕的自動扣款：2")
    page.screenshot(path=str(screenshots / "customer360-value-zh-hant.png"), full_page=True)

    page.locator("#language-menu").click()
    page.locator('button[name="language"][value="en"]').click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#lapse-risks")).to_contain_text("direct debits rejected recently: 2")
    expect(page.locator("#lapse-risks")).to_contain_text("pays by cash at the counter")
    expect(page.locator("section[aria-labelledby='service-title']")).to_contain_text("gold")
    expect(page.get_by_test_id("segment-reasons")).to_contain_text(
        "value 120,000.00 at or above the gold threshold 100,000.00 (thresholds version 1)")
    page.screenshot(path=str(screenshots / "customer360-value-en.png"), full_page=True)

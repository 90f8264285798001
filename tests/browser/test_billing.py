"""A counter clerk takes the arrears of a policy in grace in cash; HQ reads the collection dashboard.

The policy comes from the factories and the daily batch (`lifecrm run-daily`), as in
lifecrm/billing/tests/test_collection.py; the business date of the pages is pinned to the batch's date.
"""
from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from lifecrm.billing.models import Payment
from lifecrm.billing.tests.test_views_world import build_world
from lifecrm.core.actors import SYSTEM
from lifecrm.policies.models import Policy
from tests.factories import PASSWORD, make_customer, make_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AS_OF = date(2026, 10, 10)  # policies issued 31 Aug 2026, premium due 30 Sep unpaid: in grace since 1 Oct


@pytest.fixture
def world(transactional_db, settings, tmp_path, monkeypatch):
    settings.LIFECRM_SMS_OUTBOX = tmp_path / "sms"
    settings.LIFECRM_LETTER_OUTBOX = tmp_path / "letters"
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: AS_OF)
    world = build_world(as_of=AS_OF)
    assert world.policy_a.status == "grace"
    _persistency_cohort(world)
    return world


def _persistency_cohort(world) -> None:
    """Older policies for the persistency card: issued March 2025 (13th month) and March 2024 (25th month),
    most of them still paying (their premiums were paid before the billing history began)."""
    for issued, paying, lapsed in ((date(2025, 3, 31), 3, 1), (date(2024, 3, 31), 2, 1)):
        for n in range(paying + lapsed):
            owner = make_customer(branch=world.org.team_a, agent=world.staff["agent"])
            policy = make_policy(owner=owner, agent=world.staff["agent"], branch=world.org.team_a, issue_date=issued,
                                 as_of=issued)
            if n < paying:
                Policy.objects.filter(pk=policy.pk).update(paid_instalments=30)


def _log_in(page: Page, base: str, user) -> None:
    page.goto(base + "/login/")
    page.get_by_label("使用者名稱").fill(user.username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.wait_for_load_state("networkidle")


def _log_out(page: Page) -> None:
    page.locator("#user-menu").click()
    page.get_by_role("button", name="登出").click()
    page.wait_for_load_state("networkidle")


def _switch_language(page: Page, code: str) -> None:
    page.locator("#language-menu").click()
    page.locator(f'button[name="language"][value="{code}"]').click()
    page.wait_for_load_state("networkidle")


def test_counter_takes_the_arrears_and_hq_reads_the_dashboard(page: Page, live_server, world, screenshots):
    policy = world.policy_a
    counter = world.staff["counter"]
    _log_in(page, live_server.url, counter.user)

    # The policy page: in grace, its billing section loads by itself (htmx) with the arrears.
    page.goto(f"{live_server.url}/policies/{policy.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("寬限期中")
    billing = page.get_by_test_id("policy-billing")
    expect(billing.get_by_test_id("billing-arrears")).to_have_text("CNY 120.50")
    expect(billing.get_by_test_id("billing-schedule")).to_contain_text("逾期")
    page.screenshot(path=str(screenshots / "policy-billing-zh-hant.png"), full_page=True)

    # Take the arrears in cash: the form comes filled with the policy and the amount owed.
    billing.get_by_test_id("take-payment").click()
    expect(page).to_have_url(re.compile(rf"/billing/payments/new/\?policy={policy.pk}$"))
    expect(page.get_by_label("保單號碼")).to_have_value(policy.number)
    expect(page.get_by_label("金額")).to_have_value("120.50")
    expect(page.get_by_label("收款日")).to_have_value(AS_OF.isoformat())
    page.get_by_label("付款方式").select_option("cash")
    page.get_by_label("收費單號或參考號").fill("")
    page.get_by_role("button", name="確認入帳").click()
    # No slip number: refused, nothing booked, the field says why.
    expect(page.locator("#id_slip-errors")).to_contain_text("請輸入收費單號")
    expect(page.get_by_text("未入帳任何款項")).to_be_visible()
    assert not Payment.objects.exists()
    page.get_by_label("收費單號或參考號").fill("C-000123")
    page.get_by_role("button", name="確認入帳").click()

    # The receipt: its number, the premium it paid, and the policy in force again.
    expect(page).to_have_url(re.compile(r"/billing/payments/\d+/$"))
    payment = Payment.objects.get()
    expect(page.get_by_test_id("receipt-no")).to_have_text(payment.receipt_no)
    expect(page.get_by_test_id("policy-outcome")).to_contain_text("保單已恢復有效")
    expect(page.get_by_test_id("policy-status")).to_have_text("有效")
    expect(page.get_by_test_id("allocations")).to_contain_text("2026-09-30")
    page.screenshot(path=str(screenshots / "counter-payment-receipt-zh-hant.png"), full_page=True)
    _switch_language(page, "en")
    expect(page.get_by_test_id("policy-outcome")).to_contain_text("The policy is in force again.")
    page.screenshot(path=str(screenshots / "counter-payment-receipt-en.png"), full_page=True)
    _switch_language(page, "zh-hant")

    # The policy page says "in force" now, and lists the payment.
    page.get_by_role("link", name="開啟保單").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("有效")
    expect(page.get_by_test_id("billing-payments")).to_contain_text(payment.receipt_no)
    assert Policy.objects.get(pk=policy.pk).status == "in_force"
    _log_out(page)

    # HQ opens the collection dashboard from the menu.
    _log_in(page, live_server.url, world.staff["hq"].user)
    page.locator("#billing-menu").click()
    page.get_by_role("link", name="收費總覽", exact=True).click()  # the menu's (the home page links it too)
    expect(page.get_by_role("heading", level=1)).to_have_text("收費總覽")
    expect(page.get_by_test_id("kpi-due")).to_contain_text("3")
    expect(page.get_by_test_id("kpi-collected")).to_contain_text("CNY 120.50")  # received this month
    expect(page.get_by_test_id("kpi-collected")).to_contain_text("1 筆")
    expect(page.get_by_test_id("kpi-grace")).to_contain_text("2")
    expect(page.get_by_test_id("by-unit")).to_contain_text("北京分公司")
    expect(page.get_by_test_id("by-unit")).to_contain_text("上海分公司")
    expect(page.get_by_test_id("persistency-card")).to_contain_text("75.00 %")  # 13th month: 3 of 4
    page.wait_for_function("() => window.Chart !== undefined && Chart.getChart('collection-trend') !== undefined")
    page.screenshot(path=str(screenshots / "collection-dashboard-zh-hant.png"), full_page=True)
    _switch_language(page, "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("收费总览")
    page.screenshot(path=str(screenshots / "collection-dashboard-zh-hans.png"), full_page=True)
    _switch_language(page, "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Collection dashboard")
    page.wait_for_function("() => window.Chart !== undefined && Chart.getChart('collection-trend') !== undefined")
    page.screenshot(path=str(screenshots / "collection-dashboard-en.png"), full_page=True)


def test_the_call_centre_logs_a_call_outcome_in_place(page: Page, live_server, world, screenshots):
    from lifecrm.billing.models import Reminder

    task = Reminder.objects.get(due_item__policy=world.policy_q, status="task_open")
    _log_in(page, live_server.url, world.staff["callcentre"].user)
    page.locator("#billing-menu").click()
    page.get_by_role("link", name="續期工作清單").click()
    card = page.get_by_test_id(f"task-{task.pk}")
    expect(card).to_contain_text(world.policy_q.number)
    card.get_by_text("記錄通話結果").click()
    card.get_by_label("通話結果", exact=True).select_option("no_answer")
    card.get_by_label("承諾繳費日").fill("2026-10-12")
    card.get_by_role("button", name="結案").click()
    # A promised date without a promise: refused in place (htmx swaps the 400 answer), the task stays open.
    expect(page.get_by_test_id(f"task-{task.pk}")).to_contain_text("只有「承諾繳費」才能填寫承諾繳費日")
    card = page.get_by_test_id(f"task-{task.pk}")
    card.get_by_label("承諾繳費日").fill("")
    card.get_by_label("備註").fill("下午再撥")
    card.get_by_role("button", name="結案").click()
    expect(page.get_by_test_id("task-done")).to_contain_text("無人接聽")
    expect(page).to_have_url(re.compile(r"/billing/worklist/$"))  # swapped in place, no navigation
    page.screenshot(path=str(screenshots / "worklist-zh-hant.png"), full_page=True)
    assert Reminder.objects.get(pk=task.pk).outcome == "no_answer"


def test_a_branch_manager_filters_and_reassigns_a_renewal_call(page: Page, live_server, world, screenshots):
    from lifecrm.billing.models import Reminder

    task = Reminder.objects.get(due_item__policy=world.policy_a, status="task_open")
    _log_in(page, live_server.url, world.staff["branch"].user)
    page.locator("#billing-menu").click()
    page.get_by_role("link", name="續期工作清單").click()
    section = page.get_by_test_id("branch-worklist")
    expect(section).to_contain_text(world.policy_q.number)
    section.get_by_label("由誰處理").select_option(str(world.staff["agent"].pk))
    section.get_by_role("button", name="篩選").click()
    page.wait_for_load_state("networkidle")
    section = page.get_by_test_id("branch-worklist")
    expect(section).not_to_contain_text(world.policy_q.number)
    card = page.get_by_test_id(f"task-{task.pk}")
    card.get_by_role("link", name="重新指派").click()
    card = page.get_by_test_id(f"task-{task.pk}")
    card.get_by_label("將電話交給").select_option(str(world.staff["agent_other"].pk))
    card.get_by_role("button", name="重新指派").click()
    expect(page.get_by_test_id("task-reassigned")).to_contain_text(world.staff["agent_other"].name)
    expect(page).to_have_url(re.compile(r"/billing/worklist/\?"))  # swapped in place, no navigation
    page.screenshot(path=str(screenshots / "branch-worklist-zh-hant.png"), full_page=True)
    assert Reminder.objects.get(pk=task.pk).assigned_to_id == world.staff["agent_other"].pk


def test_a_branch_manager_refunds_an_overpayment_from_the_policy_page(page: Page, live_server, world, screenshots):
    """A customer paid twice: the branch manager pays the surplus back from suspense, and gets its receipt."""
    from decimal import Decimal

    from lifecrm.billing import services
    from lifecrm.billing.selectors import suspense_balance

    policy = world.policy_a
    services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("500.00"), method="bank_transfer",
                            received_on=AS_OF, natural_key="transfer:T-1", as_of=AS_OF)
    surplus = suspense_balance(policy_id=policy.pk)
    assert surplus > 0
    _log_in(page, live_server.url, world.staff["branch"].user)
    page.goto(f"{live_server.url}/policies/{policy.pk}/")
    billing = page.get_by_test_id("policy-billing")
    billing.get_by_test_id("refund").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("暫收款退款")
    expect(page.get_by_label("退款金額")).to_have_value(f"{surplus:.2f}")
    page.get_by_label("退款金額").fill(f"{surplus + 1:.2f}")
    page.get_by_label("轉帳或支票參考號").fill("TR-88")
    page.get_by_label("原因").fill("客戶重複匯款")
    page.get_by_role("button", name="確認退款").click()
    expect(page.locator("#id_amount-errors")).to_contain_text(f"暫收款僅有 {surplus:.2f}")
    page.get_by_label("退款金額").fill(f"{surplus:.2f}")
    page.screenshot(path=str(screenshots / "refund-form-zh-hant.png"), full_page=True)
    page.get_by_role("button", name="確認退款").click()
    expect(page).to_have_url(re.compile(r"/billing/payments/\d+/$"))
    expect(page.get_by_test_id("policy-outcome")).to_contain_text("此為暫收款退款")
    page.screenshot(path=str(screenshots / "refund-receipt-zh-hant.png"), full_page=True)
    assert suspense_balance(policy_id=policy.pk) == 0
    assert Payment.objects.get(natural_key="refund:TR-88").amount == -surplus


def test_hq_sees_unanswered_debits_and_imports_the_banks_result_file(page: Page, live_server, transactional_db,
                                                                     settings, tmp_path, monkeypatch, screenshots):
    """Debits sent on 17 Nov for 20 Nov; on 26 Nov the bank has still not answered: the bank files page says
    so. HQ uploads the bank's pain.002; the report shows one paid, one rejected, and the warning is gone."""
    from lifecrm.billing.debits.export import debit_export
    from lifecrm.billing.tests.test_bankfiles import EXPORT_DAY, auto_debit_policy, e2e, sample
    from tests.factories import make_org, make_staff

    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 11, 26))
    org = make_org()
    paying, short = auto_debit_policy(org), auto_debit_policy(org, name="李娜")
    [bank_file] = debit_export(as_of=EXPORT_DAY).created
    hq = make_staff("hq", org.hq)
    _log_in(page, live_server.url, hq.user)
    page.goto(f"{live_server.url}/banking/bank-files/")
    warning = page.get_by_test_id("awaiting-results")
    expect(warning).to_contain_text("尚無銀行回覆的扣款")
    expect(warning).to_contain_text(f"{bank_file.message_id}.xml")
    page.screenshot(path=str(screenshots / "bank-files-awaiting-zh-hant.png"), full_page=True)

    result = tmp_path / "pain002.xml"
    result.write_bytes(sample("pain002_accept_reject.xml", paid=e2e(paying), rejected=e2e(short),
                              message_id=bank_file.message_id))
    page.get_by_label("銀行回覆檔").set_input_files(str(result))
    page.get_by_role("button", name="匯入", exact=True).click()
    expect(page.get_by_test_id("import-done")).to_be_visible()
    expect(page.get_by_test_id("report-paid")).to_have_text("1")
    expect(page.get_by_test_id("report-rejected")).to_have_text("1")
    page.screenshot(path=str(screenshots / "bank-file-report-zh-hant.png"), full_page=True)
    page.goto(f"{live_server.url}/banking/bank-files/")
    expect(page.get_by_test_id("awaiting-results")).to_have_count(0)


def test_a_branch_manager_recovers_a_refund_a_bounced_cheque_took_back(page: Page, live_server, world, screenshots):
    """A cheque overpaid the policy, the surplus was refunded, then the cheque bounced: the Money in suspense
    page lists the amount to recover; the branch manager takes it from its link (the form asks for the
    reopened premium and the refund together) and the list is empty again."""
    from decimal import Decimal

    from lifecrm.billing import services
    from lifecrm.billing.models import SuspenseAccount

    policy = world.policy_a
    cheque = services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("500.00"), method="cheque",
                                     received_on=AS_OF, natural_key="cheque:77", as_of=AS_OF)
    services.suspense_refund(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("259.00"), method="bank_transfer",
                             reference="TR-1", reason="overpaid", as_of=AS_OF)
    services.payment_reverse(actor=SYSTEM, payment_id=cheque.pk, reason="cheque bounced", as_of=AS_OF)
    _log_in(page, live_server.url, world.staff["branch"].user)
    page.locator("#billing-menu").click()
    page.get_by_role("link", name="暫收款").click()
    recover = page.get_by_test_id("suspense-to-recover")
    expect(recover).to_contain_text(policy.number)
    expect(recover).to_contain_text("CNY 259.00")
    page.screenshot(path=str(screenshots / "suspense-zh-hant.png"), full_page=True)
    recover.get_by_role("link", name="收取保費").click()
    expect(page.get_by_label("金額")).to_have_value("379.50")  # the premium of 30 Sep reopened + the refund
    page.get_by_label("付款方式").select_option("cash")
    page.get_by_label("收費單號或參考號").fill("C-000777")
    page.get_by_role("button", name="確認入帳").click()
    expect(page).to_have_url(re.compile(r"/billing/payments/\d+/$"))
    page.goto(f"{live_server.url}/billing/suspense/")
    expect(page.get_by_test_id("suspense-to-recover")).to_contain_text("沒有待追回的款項。")
    assert not SuspenseAccount.objects.filter(policy=policy).exists()
    assert Policy.objects.get(pk=policy.pk).status == "in_force"

"""A claims handler registers a death claim from the customer 360, sends the one missing-documents notice, records
the documents, assesses and decides; a colleague checks the decision; the handler pays it to the two beneficiaries
(a pain.001 file). Screenshots of the claims queue and of the handler's home page (zh-Hant)."""
from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from lifecrm.banking.models import BankFile
from lifecrm.claims.models import Claim, Payout
from lifecrm.core.actors import SYSTEM
from lifecrm.policies import services as policy_services
from tests.factories import PASSWORD, make_customer, make_org, make_product, make_staff, seq

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(transactional_db):
    org = make_org()
    handler = make_staff("claims", org.branch_a, username="claims", name="林理賠")
    checker = make_staff("claims", org.branch_a, username="checker", name="黃複核")
    insured = make_customer(branch=org.branch_a, name="王大明", name_romanised="Wang Daming")
    wife = make_customer(branch=org.branch_a, name="李美玲", name_romanised="Li Meiling", sex="F")
    son = make_customer(branch=org.branch_a, name="王小明", name_romanised="Wang Xiaoming")
    b = policy_services.BeneficiaryInput
    policy = policy_services.policy_create(
        actor=SYSTEM, as_of=timezone.localdate(), number=f"P{seq():010d}", product=make_product(), owner=insured,
        insured=insured, payer=insured, agent=None, branch=org.branch_a, channel="agency",
        application_date=timezone.localdate().replace(year=2022), issue_date=timezone.localdate().replace(year=2022),
        term_years=20, premium_term_years=20, sum_assured=Decimal("300000.01"), premium_mode="annual",
        modal_premium=Decimal("1339.00"), annual_premium=Decimal("1339.00"), payment_method="bank_transfer",
        beneficiaries=[b(wife.name, "spouse", Fraction(1, 2), 1, wife.pk), b(son.name, "child", Fraction(1, 2), 1,
                                                                                son.pk)])
    policy_services.policy_issue(actor=SYSTEM, policy_id=policy.pk, as_of=timezone.localdate())
    return handler, checker, insured, (wife, son)


def _login(page: Page, live_server, staff) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/login/")
    page.get_by_label("使用者名稱").fill(staff.user.username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.wait_for_load_state("networkidle")


def test_a_death_claim_from_report_to_payment(page: Page, live_server, book, screenshots):
    handler, checker, insured, beneficiaries = book
    _login(page, live_server, handler)
    page.goto(f"{live_server.url}/customers/{insured.pk}/")
    page.get_by_test_id("report-claim").click()
    form = page.get_by_test_id("claim-report-form")
    form.locator("#id_claim_type").select_option("death")
    form.locator("#id_cause").select_option("illness")
    expect(form.locator("#id_event_date")).to_have_value(str(timezone.localdate()))  # today, ready to change
    form.locator("#id_claimant_name").fill("李美玲")
    form.locator("#id_claimant_phone").fill("13900001111")
    page.get_by_test_id("claim-report-submit").click()
    expect(page).to_have_url(re.compile(r"/claims/\d+/$"))
    claim = Claim.objects.get()
    expect(page.get_by_test_id("claim-status")).to_contain_text("已報案")

    # two documents came with the report; one notice asks for everything else
    documents = page.get_by_test_id("claim-documents")
    documents.locator('input[value="claim_form"]').check()
    documents.locator('input[value="claimant_id"]').check()
    page.get_by_test_id("claim-documents-receive").click()
    page.get_by_test_id("claim-send-notice").click()
    expect(page.get_by_test_id("claim-notice")).to_contain_text("死亡证明")  # in the customer's language (zh-Hans)
    expect(page.get_by_test_id("claim-clocks")).to_contain_text("已停止")
    expect(page.get_by_test_id("claim-send-notice")).to_have_count(0)  # one notice only

    # everything else arrives
    for box in page.get_by_test_id("claim-documents").locator('input[name="codes"]').all():
        box.check()
    page.get_by_test_id("claim-documents-receive").click()
    expect(page.get_by_test_id("claim-status")).to_contain_text("審核中")
    page.get_by_test_id("claim-assess").click()
    decide = page.get_by_test_id("claim-decide-form")
    decide.locator('input[value="approved"]').check()
    decide.locator("#reasons").fill("資料齊全，保險責任成立")
    page.get_by_test_id("claim-decide").click()
    expect(page.get_by_test_id("claim-status")).to_contain_text("待覆核")

    page.goto(f"{live_server.url}/claims/")
    expect(page.get_by_test_id("claim-list")).to_contain_text(claim.number)
    page.screenshot(path=str(screenshots / "claims-queue-zh-hant.png"), full_page=True)

    # a colleague checks the decision
    _login(page, live_server, checker)
    page.goto(f"{live_server.url}/")
    expect(page.locator("main")).to_contain_text(claim.number)  # on the checker's home page
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    page.get_by_test_id("claim-check-approve").click()
    expect(page.get_by_test_id("claim-status")).to_contain_text("已決定")

    # the handler's home page: the claim to pay, with its 10-day payment deadline
    _login(page, live_server, handler)
    page.goto(f"{live_server.url}/")
    expect(page.locator("main")).to_contain_text(claim.number)
    page.screenshot(path=str(screenshots / "claims-handler-home-zh-hant.png"), full_page=True)

    # the handler pays the two beneficiaries, half each
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    plan = page.get_by_test_id("claim-payout-plan")
    expect(plan).to_contain_text("150,000.01")  # money, as the page shows it
    expect(plan).to_contain_text("150,000.00")
    for i in range(2):
        page.locator(f"#bank_name_{i}").fill("中國工商銀行")
        page.locator(f"#bank_code_{i}").fill("102100099996")
        page.locator(f"#account_{i}").fill(f"62220202001000000{i}")
    page.get_by_test_id("claim-pay").click()
    expect(page.get_by_test_id("claim-status")).to_contain_text("已給付")
    expect(page.get_by_test_id("claim-payouts")).to_contain_text("****")
    payouts = list(Payout.objects.filter(claim=claim).order_by("id"))
    assert sorted(p.payee_name for p in payouts) == sorted(b.name for b in beneficiaries)
    assert sum(p.amount for p in payouts) == Decimal("300000.01")
    assert BankFile.objects.filter(format="pain.001").count() == 1

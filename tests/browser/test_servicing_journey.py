"""A beneficiary change through the real pages (issue 17, "Done means"): the counter clerk opens the policy, records
the request (one third each for three children), accepts it and ticks the documents in as they arrive; the request
waits for a checker and is never offered to its maker; the branch manager finds it in the approvals inbox and
approves it; the clerk executes it, and the policy has a new version with the three exact shares.

Screenshots (zh-Hant, 1366 px): the servicing queue, the request page waiting for approval, the approvals inbox."""
from __future__ import annotations

import re
from fractions import Fraction

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from lifecrm.servicing.models import ServiceRequest
from tests.factories import PASSWORD, make_customer, make_org, make_policy, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, url: str, staff) -> None:
    page.goto(url + "/login/")
    page.get_by_label("使用者名稱").fill(staff.user.username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{staff.name}，您好")


def _log_out(page: Page) -> None:
    page.locator("#user-menu").click()
    page.get_by_role("button", name="登出").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def _act(page: Page, name: str) -> None:
    action = page.get_by_test_id(f"request-action-{name}")
    action.locator("summary").click()
    action.get_by_test_id(f"submit-{name}").click()
    expect(page.get_by_test_id("request-message")).to_be_visible()


def test_a_counter_clerk_records_a_beneficiary_change_and_a_checker_approves_it(page: Page, live_server,
                                                                                 transactional_db, screenshots):
    org = make_org()
    agent = make_staff("agent", org.team_a, name="李業務")
    clerk = make_staff("counter", org.branch_a, name="周櫃員")
    manager = make_staff("branch", org.branch_a, name="林經理")
    owner = make_customer(branch=org.team_a, agent=agent, name="王小明", name_romanised="Wang Xiaoming")
    policy = make_policy(owner=owner, agent=agent, branch=org.team_a)
    url = live_server.url

    # -- the counter: from the policy page, a beneficiary change, one third each
    _log_in(page, url, clerk)
    page.goto(url + reverse("workbench:policy", args=[policy.pk]))
    page.get_by_test_id("new-servicing-request").click()
    page.get_by_test_id("type-beneficiary_change").click()
    page.get_by_label("新受益人").fill("王一, 子女, 1/3\n王二, 子女, 1/3\n王三, 子女, 1/3")
    page.get_by_test_id("request-submit").click()
    expect(page.get_by_test_id("request-status")).to_have_text("已收件")
    request = ServiceRequest.objects.get()
    expect(page.get_by_test_id("request-number")).to_have_text(request.number)
    expect(page.get_by_test_id("request-beneficiaries")).to_contain_text("1/3")
    _act(page, "accept")
    for code in ("application", "owner_id", "beneficiary_id"):
        page.get_by_test_id(f"receive-{code}").click()
        expect(page.get_by_test_id(f"document-{code}").locator(".badge")).to_contain_text("收到")
    expect(page.get_by_test_id("request-status")).to_have_text("待覆核")
    expect(page.get_by_test_id("request-action-approve")).to_have_count(0)  # never to its maker
    page.screenshot(path=str(screenshots / "servicing-request-zh-hant.png"), full_page=True)
    page.locator("#servicing-menu").click()
    page.get_by_test_id("nav-servicing-queue").click()
    expect(page.get_by_test_id("servicing-queue")).to_contain_text(request.number)
    page.screenshot(path=str(screenshots / "servicing-queue-zh-hant.png"), full_page=True)
    _log_out(page)

    # -- the checker: the approvals inbox, the request, approved
    _log_in(page, url, manager)
    page.locator("#servicing-menu").click()
    page.get_by_test_id("nav-servicing-approvals").click()
    page.screenshot(path=str(screenshots / "servicing-approvals-zh-hant.png"), full_page=True)
    page.get_by_test_id("servicing-queue").get_by_role("link", name=request.number).click()
    _act(page, "approve")
    expect(page.get_by_test_id("request-checker")).to_have_text(manager.name)
    _log_out(page)

    # -- the counter executes it: a new contract version with the exact shares
    _log_in(page, url, clerk)
    page.goto(url + reverse("servicing:request", args=[request.pk]))
    _act(page, "execute")
    expect(page.get_by_test_id("request-status")).to_have_text("已生效")
    current = policy.versions.get(effective_to__isnull=True)
    assert [b.share for b in current.beneficiaries.all()] == [Fraction(1, 3)] * 3

"""A call-centre agent logs a call from the customer 360 with the keyboard and sees it on the timeline."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lifecrm.service.models import Interaction
from tests.factories import PASSWORD, make_customer, make_org, make_policy, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(transactional_db):
    org = make_org()
    agent = make_staff("agent", org.team_a, name="李業務")
    callcentre = make_staff("callcentre", org.branch_a, username="callcentre", name="陳座席")
    customer = make_customer(branch=org.branch_a, agent=agent, name="王小明", name_romanised="Wang Xiaoming",
                             mobile_phone="13800138000")
    policy = make_policy(owner=customer, agent=agent, branch=org.branch_a)
    return callcentre, customer, policy


def _switch_language(page: Page, code: str) -> None:
    page.locator("#language-menu").click()
    page.locator(f'button[name="language"][value="{code}"]').click()
    page.wait_for_load_state("networkidle")


def test_a_call_is_logged_from_the_360_and_shows_on_the_timeline(page: Page, live_server, book, screenshots):
    callcentre, customer, policy = book
    page.goto(live_server.url + "/login/")
    page.get_by_label("使用者名稱").fill(callcentre.user.username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.goto(f"{live_server.url}/customers/{customer.pk}/")

    panel = page.get_by_test_id("interaction-panel")
    expect(panel.get_by_role("heading", name="記錄通話")).to_be_visible()
    subject = panel.locator("#interaction-subject")
    expect(subject).to_be_focused()  # the agent types at once
    page.screenshot(path=str(screenshots / "customer360-log-call-zh-hant.png"), full_page=True)

    # a reason in one click, a few words more, Enter: a call received now, answered
    panel.get_by_role("button", name="理賠進度").click()
    expect(subject).to_have_value("理賠進度")
    subject.press("End")
    subject.type("，客戶詢問體檢報告")
    panel.locator("#interaction-policy").select_option(label=policy.number)
    subject.press("Enter")

    expect(panel.get_by_test_id("interaction-logged")).to_contain_text("理賠進度，客戶詢問體檢報告")
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))  # swapped in place
    timeline = page.get_by_test_id("customer-timeline")
    expect(timeline).to_contain_text("電話（進線）：理賠進度，客戶詢問體檢報告")
    expect(panel.locator("#interaction-subject")).to_have_value("")  # ready for the next call
    logged = Interaction.objects.get()
    assert (logged.channel, logged.direction, logged.outcome, logged.policy_id) == ("call", "in", "answered",
                                                                                   policy.pk)

    # the timeline's filter: interactions only, then everything again
    timeline.get_by_role("link", name="聯絡紀錄").click()
    expect(timeline.get_by_role("link", name="聯絡紀錄")).to_have_attribute("aria-current", "true")
    expect(timeline.locator(".wb-timeline-item")).to_have_count(1)
    timeline = page.get_by_test_id("customer-timeline")
    timeline.get_by_role("link", name="全部").click()
    expect(page.get_by_test_id("customer-timeline").locator(".wb-timeline-item")).to_have_count(3)

    # an empty subject is refused in place, in the page's language
    page.get_by_test_id("interaction-panel").locator("#interaction-subject").press("Enter")
    expect(page.locator("#interaction-subject-errors")).to_have_text("請填寫這次聯絡的事由。")
    assert Interaction.objects.count() == 1

    _switch_language(page, "en")
    expect(page.get_by_role("heading", name="Log a call")).to_be_visible()
    expect(page.get_by_test_id("customer-timeline")).to_contain_text("phone call (inbound)")
    page.screenshot(path=str(screenshots / "customer360-log-call-en.png"), full_page=True)


def test_a_category_chosen_while_the_types_categories_are_on_their_way_survives_the_swap(page: Page, live_server,
                                                                                         book):
    """The type's categories come by htmx; the answer is held back while the agent chooses a category: the swap keeps
    that choice when the type has it, and drops it when it does not."""
    callcentre, customer, policy = book
    page.goto(live_server.url + "/login/")
    page.get_by_label("使用者名稱").fill(callcentre.user.username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.goto(f"{live_server.url}/service/customers/{customer.pk}/cases/new/")
    case_type, category = page.locator("#id_case_type"), page.locator("#id_category")
    expect(case_type).to_have_value("complaint")
    held = []
    page.route("**/service/cases/categories/**", lambda route: held.append(route))
    page.evaluate("() => { window.swaps = 0; document.body.addEventListener('htmx:afterSwap', () => window.swaps++) }")

    case_type.select_option("complaint")  # the answer is held back: the agent chooses meanwhile
    while not held:
        page.wait_for_timeout(20)
    category.select_option("complaint_sales")
    held.pop().continue_()
    page.wait_for_function("() => window.swaps === 1")
    expect(category).to_have_value("complaint_sales")

    case_type.select_option("inquiry")  # the inquiry's categories have no complaint_sales: back to none
    while not held:
        page.wait_for_timeout(20)
    held.pop().continue_()
    page.wait_for_function("() => window.swaps === 2")
    expect(category).to_have_value("")
    expect(category.locator("option[value='premium']")).to_have_count(1)

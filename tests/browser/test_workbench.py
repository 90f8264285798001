"""A call-centre agent logs in, finds a customer by phone, reads the 360 page and switches language."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import Page, expect

from lifecrm.core.actors import SYSTEM
from lifecrm.parties.services import consent_record, relationship_add
from tests.factories import PASSWORD, make_customer, make_org, make_policy, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(transactional_db):
    org = make_org()
    agent = make_staff("agent", org.team_a, name="李業務")
    callcentre = make_staff("callcentre", org.branch_a, username="callcentre", name="陳座席")
    customer = make_customer(branch=org.branch_a, agent=agent, name="王小明", name_romanised="Wang Xiaoming",
                             mobile_phone="13800138000", email="xiaoming.wang@example.com",
                             address="北京市東城區東華門街道 18 號", postcode="100010", occupation="軟體工程師",
                             occupation_class=1)
    spouse = make_customer(branch=org.branch_a, agent=agent, name="林美華", name_romanised="Lin Meihua", sex="F",
                           birth_date=date(1983, 2, 8))
    make_customer(branch=org.branch_a, agent=agent, name="王大同", name_romanised="Wang Datong",
                  birth_date=date(1975, 11, 3))
    relationship_add(actor=SYSTEM, from_customer=spouse, to_customer=customer, kind="spouse", since=date(2008, 10, 1))
    consent_record(actor=SYSTEM, customer=customer, purpose="marketing", granted=True,
                   at=datetime(2023, 6, 1, tzinfo=UTC), source="sms")
    policies = [
        make_policy(owner=customer, agent=agent, branch=org.branch_a),
        make_policy(owner=spouse, insured=customer, agent=agent, branch=org.branch_a, issue_date=date(2024, 8, 15),
                    premium_mode="annual"),
    ]
    return callcentre, customer, policies


def _switch_language(page: Page, code: str) -> None:
    page.locator("#language-menu").click()
    page.locator(f'button[name="language"][value="{code}"]').click()
    page.wait_for_load_state("networkidle")


def test_call_centre_finds_a_customer_by_phone_and_reads_the_360(page: Page, live_server, book, screenshots):
    staff, customer, policies = book

    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    page.screenshot(path=str(screenshots / "login-zh-hant.png"), full_page=True)
    page.get_by_label("使用者名稱").fill(staff.user.username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(staff.name)
    page.screenshot(path=str(screenshots / "home-zh-hant.png"), full_page=True)
    search = page.locator("#q")
    search.fill("138 0013 8000")
    search.press("Enter")

    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("王小明")
    for policy in policies:
        expect(page.get_by_role("link", name=policy.number, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="保單", exact=True)).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(customer.id_number)
    expect(page.get_by_role("button", name="顯示")).to_have_count(0)  # the call centre may not reveal IDs
    page.screenshot(path=str(screenshots / "customer360-zh-hant.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: one column, the menu collapses
    expect(page.locator(".navbar-toggler")).to_be_visible()
    page.screenshot(path=str(screenshots / "customer360-zh-hant-mobile.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})

    _switch_language(page, "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    expect(page.get_by_role("heading", name="Policies", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("王小明")
    page.screenshot(path=str(screenshots / "customer360-en.png"), full_page=True)

    _switch_language(page, "zh-hans")
    expect(page.get_by_role("heading", name="保单", exact=True)).to_be_visible()
    page.screenshot(path=str(screenshots / "customer360-zh-hans.png"), full_page=True)

    _switch_language(page, "zh-hant")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.get_by_role("heading", name="保單", exact=True)).to_be_visible()

    page.locator("#nav-q").fill("王")
    page.locator("#nav-q").press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    expect(page.locator("#results-title")).to_have_text("有 2 位客戶符合「王」")
    page.screenshot(path=str(screenshots / "search-zh-hant.png"), full_page=True)
    page.go_back()

    page.get_by_role("link", name=policies[0].number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(policies[0].number)
    expect(page.get_by_role("heading", name="事件日誌")).to_be_visible()
    page.screenshot(path=str(screenshots / "policy-zh-hant.png"), full_page=True)


def test_counter_staff_reveal_an_id_number_through_htmx(page: Page, live_server, book, screenshots):
    _, customer, _ = book
    org_unit = customer.branch
    counter = make_staff("counter", org_unit, username="counter", name="周櫃面")
    page.goto(live_server.url + "/login/")
    page.get_by_label("使用者名稱").fill(counter.user.username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.goto(f"{live_server.url}/customers/{customer.pk}/")

    page.locator(".wb-reveal summary").click()
    page.get_by_role("button", name="顯示證件號碼").click()  # no purpose yet: refused with a message
    expect(page.locator("#id-purpose-errors")).to_contain_text("請說明為何需要完整證件號碼")
    page.locator("#id-purpose").fill("臨櫃客戶身分核對")
    page.get_by_role("button", name="顯示證件號碼").click()
    expect(page.get_by_test_id("id-number-full")).to_have_text(customer.id_number)
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))  # swapped in place, no navigation
    page.screenshot(path=str(screenshots / "customer360-revealed-zh-hant.png"), full_page=True)


def test_an_employer_pages_through_its_employees_in_place(page: Page, live_server, book, screenshots):
    callcentre, customer, _ = book
    employer = make_customer(branch=customer.branch, name="某某有限公司", name_romanised="Moumou Co")
    for n in range(25):
        employee = make_customer(branch=customer.branch, name=f"員工{n:02d}", name_romanised=f"Yuangong {n:02d}")
        relationship_add(actor=SYSTEM, from_customer=employer, to_customer=employee, kind="employer")
    page.goto(live_server.url + "/login/")
    page.get_by_label("使用者名稱").fill(callcentre.user.username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.goto(f"{live_server.url}/customers/{employer.pk}/")

    relations = page.get_by_test_id("customer-relationships")
    expect(relations.get_by_test_id("relationship-counts")).to_have_text("25 位員工 — 顯示 20 位")
    expect(relations.get_by_role("link", name=re.compile("^員工"))).to_have_count(20)
    relations.get_by_role("link", name="下一頁").click()
    expect(page.get_by_test_id("customer-relationships").get_by_text("第 21–25 筆，共 25 筆")).to_be_visible()
    expect(page.get_by_test_id("customer-relationships").get_by_role("link", name=re.compile("^員工"))).to_have_count(5)
    expect(page).to_have_url(re.compile(rf"/customers/{employer.pk}/$"))  # swapped in place, no navigation
    page.screenshot(path=str(screenshots / "customer360-employer-page-2-zh-hant.png"), full_page=True)


def test_call_centre_types_names_and_addresses_in_the_other_script_and_pages_through_a_list(
        page: Page, live_server, book, screenshots):
    staff, customer, _ = book
    for n in range(30):  # 32 customers named 王… in all: two pages
        make_customer(branch=customer.branch, name=f"王{n:02d}", name_romanised=f"Wang {chr(97 + n % 26)}")
    page.goto(live_server.url + "/login/")
    page.get_by_label("使用者名稱").fill(staff.user.username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()

    # the home page's examples are the book's own: the phone example opens a customer
    examples = page.locator("#search-examples a")
    expect(examples).to_have_count(5)
    examples.first.click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))

    search = page.locator("#nav-q")
    search.fill("林美华")  # Simplified; the book has 林美華
    search.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("林美華")

    page.locator("#nav-q").fill("东华门街道")  # a part of 北京市東城區東華門街道 18 號
    page.locator("#nav-q").press("Enter")
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))

    page.locator("#nav-q").fill("+86 138-0013-8000")
    page.locator("#nav-q").press("Enter")
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))

    page.locator("#nav-q").fill("王")
    page.locator("#nav-q").press("Enter")
    expect(page.locator("#results-title")).to_have_text("有 32 位客戶符合「王」")
    expect(page.locator("#results-range")).to_have_text("第 1–25 筆，共 32 筆")
    expect(page.locator("tbody tr")).to_have_count(25)
    page.screenshot(path=str(screenshots / "search-paged-zh-hant.png"), full_page=True)
    page.locator("#page-next").click()
    expect(page.locator("#page-position")).to_have_text("第 2 頁，共 2 頁")
    expect(page.locator("tbody tr")).to_have_count(7)
    expect(page.locator("#page-next")).to_have_count(0)
    page.locator("#page-previous").click()
    expect(page.locator("#page-position")).to_have_text("第 1 頁，共 2 頁")

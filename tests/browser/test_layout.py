"""Every staff page, in English, Traditional and Simplified Chinese, at 1,366 px: nothing scrolls sideways and
nothing is cut off. English at 1,366 px is the widest case (its labels are longer than the Chinese ones).

The pages come from the URLconf with the objects of a small book (tests/pagebook.py). Screenshots of the
customer 360, the persistency page and the collection dashboard in English go to test-output/.
"""
from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from tests.pagebook import AS_OF, build_page_book, staff_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LANGUAGES = ("en", "zh-hant", "zh-hans")
SCREENSHOTS = {"workbench:customer": "customer360", "billing:persistency": "persistency", "billing:dashboard": "dashboard",
               "value:thresholds": "tier-thresholds"}

# What is cut off: the page scrolls sideways; an element that clips its content (overflow hidden or clip)
# holds more than it shows; a table is wider than the box it sits in, or a cell's text runs out of its cell.
OVERFLOW = """() => {
  const root = document.documentElement;
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  if (root.scrollWidth > root.clientWidth) problems.push(`page: ${root.scrollWidth} > ${root.clientWidth}`);
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden" || el.closest("[hidden], .visually-hidden, .visually-hidden-focusable:not(:focus), .dropdown-menu, .modal, canvas")) continue;
    const clips = ["hidden", "clip"].includes(style.overflowX);
    if (clips && el.scrollWidth > el.clientWidth + 1) problems.push(`${name(el)} clips: ${el.scrollWidth} > ${el.clientWidth}`);
    if (el.tagName === "TABLE") {
      const box = el.parentElement;
      if (el.getBoundingClientRect().width > box.getBoundingClientRect().width + 1) {
        problems.push(`${name(el)} wider than ${name(box)}: ${Math.round(el.getBoundingClientRect().width)} > ${Math.round(box.getBoundingClientRect().width)}`);
      }
    }
    if ((el.tagName === "TD" || el.tagName === "TH") && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${name(el)} "${el.textContent.trim().slice(0, 40)}" runs out of its cell: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  return problems;
}"""


@pytest.fixture
def book(transactional_db, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: AS_OF)
    return build_page_book()


def _open_as(page: Page, base: str, login: str | None, book, language: str, current: dict) -> None:
    if current.get("login") == login:
        return
    page.context.clear_cookies()
    if login:
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore

        user = book.world.staff[login].user
        session = SessionStore()
        session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), settings.AUTHENTICATION_BACKENDS[-1]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base}])
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    current["login"] = login


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_scrolls_sideways_or_cuts_a_column_at_1366px(page: Page, live_server, book, screenshots, language):
    assert page.viewport_size == {"width": 1366, "height": 900}
    found, current = {}, {}
    for staff_page in staff_pages(book):
        _open_as(page, live_server.url, staff_page.login, book, language, current)
        response = page.goto(live_server.url + staff_page.path)
        assert response and response.status == 200, (staff_page, response and response.status)
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang").lower() == language
        problems = page.evaluate(OVERFLOW)
        if problems:
            found[staff_page.path] = problems
        if language == "en" and staff_page.name in SCREENSHOTS and "?" not in staff_page.path:
            page.screenshot(path=str(screenshots / f"{SCREENSHOTS[staff_page.name]}-en-1366.png"), full_page=True)
    assert not found, f"{language}: {found}"


def test_the_collection_chart_hatches_the_running_month(page: Page, live_server, book):
    _open_as(page, live_server.url, "hq", book, "en", {})
    page.goto(live_server.url + "/billing/")
    page.wait_for_load_state("networkidle")
    running = page.evaluate("""() => {
      const chart = Chart.getChart("collection-trend");
      const last = chart.data.labels.length - 1;
      return {label: chart.data.labels[last], due: chart.data.datasets[0].backgroundColor[last] instanceof CanvasPattern,
              paid: chart.data.datasets[1].backgroundColor[last] instanceof CanvasPattern,
              before: chart.data.datasets[1].backgroundColor[last - 1] instanceof CanvasPattern,
              legend: chart.legend.legendItems.map((item) => item.text)};
    }""")
    assert running == {"label": ["2026-10", "to date"], "due": True, "paid": True, "before": False,
                       "legend": ["Premiums due", "Paid (premiums)", "Collection rate", "This month, still running: to date"]}


def test_a_busy_customers_policies_fit_the_360_at_1366px(page: Page, live_server, transactional_db):
    """The 360's policies table at 1,366 px in English: a policy in its grace period (the longest status), the
    customer as owner, insured and payer (three role badges), a long product name and a sum assured in the
    millions. Its last column (next due, "overdue") was cut off at the card's edge."""
    from datetime import date
    from decimal import Decimal

    from lifecrm.core.actors import SYSTEM
    from lifecrm.policies import services as policy_services
    from tests.factories import PASSWORD, make_customer, make_org, make_policy, make_product, make_staff

    org = make_org()
    staff = make_staff("callcentre", org.hq)
    customer = make_customer(branch=org.branch_a)
    product = make_product("GYDPA", name="金色年华递延养老年金", name_en="Golden Years Deferred Pension Annuity")
    for n, mode in enumerate(("annual", "semiannual", "monthly")):
        policy = make_policy(owner=customer, agent=None, branch=org.branch_a, product=product,
                             issue_date=date(2020, 4 + n, 9), premium_mode=mode,
                             sum_assured=Decimal("1940000.00"), modal_premium=Decimal("74420.15"))
        if n == 0:
            policy_services.policy_transition(actor=SYSTEM, policy_id=policy.pk, to_status="grace",
                                              effective_date=date(2026, 10, 17), as_of=date(2026, 10, 17))
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", staff.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.wait_for_load_state("networkidle")
    assert "in grace period" in page.locator("#customer-policies").inner_text()
    problems = [p for p in page.evaluate(OVERFLOW) if "wb-table" in p or "runs out" in p]
    assert not problems, problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_navbar_search_box_keeps_room_to_type_at_1366px(page: Page, live_server, book, language):
    """Every role's navbar (up to six menus, the search, the language and the user) leaves the search box wide enough
    to read its placeholder's start and type a name or a phone number (it was squeezed to ~70 px for HQ in English)."""
    widths, current = {}, {}
    for login in sorted(book.world.staff):
        _open_as(page, live_server.url, login, book, language, current)
        page.goto(live_server.url + "/")
        box = page.locator("#nav-q")
        if box.count():
            widths[login] = round(box.bounding_box()["width"])
    assert widths and min(widths.values()) >= 150, widths

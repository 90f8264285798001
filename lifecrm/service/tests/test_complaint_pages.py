"""The complaint pages and reports: the register (scope, overdue flags, a fixed number of queries), its Excel
export, a complaint's actions through the page, and the statistics' arithmetic."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lifecrm.org.models import OrgUnit
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.service import complaint_rules as rules
from lifecrm.service import complaints, services
from lifecrm.service.complaint_reports import complaint_register, complaint_statistics
from lifecrm.service.models import Complaint
from lifecrm.service.tests.test_complaints import decide, noon, open_complaint
from tests.factories import make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.LIFECRM_SMS_OUTBOX = str(tmp_path / "sms")
    settings.LIFECRM_LETTER_OUTBOX = str(tmp_path / "letters")


def test_rates_per_10000_policies_customers_and_per_100_million_of_premium():
    assert rules.rate(3, 12_000, rules.PER_POLICIES) == Decimal("2.50")
    assert rules.rate(1, 30_000, rules.PER_CUSTOMERS) == Decimal("0.33")
    assert rules.rate(2, Decimal("150000000.00"), rules.PER_PREMIUM) == Decimal("1.33")
    assert rules.rate(1, 0, rules.PER_POLICIES) is None


def test_statistics_by_branch_and_category(service_world):
    w = service_world
    for customer in (w.customer_a, w.customer_b):
        make_policy(owner=customer, agent=None, branch=customer.branch, annual_premium=Decimal("50000000.00"))
    make_policy(owner=w.customer_a, agent=None, branch=w.customer_a.branch, annual_premium=Decimal("25000000.00"))
    open_complaint(w)  # team A, 6 March 2026
    open_complaint(w, received=date(2026, 4, 1))
    open_complaint(w, received=date(2027, 1, 5))  # outside the period
    report = complaint_statistics(scope=data_scope_for_user(w.staff["hq"].user), jurisdiction="CN",
                                  period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    assert (report.total.complaints, report.total.policies, report.total.customers) == (2, 3, 2)
    assert report.total.premium == Decimal("125000000.00")
    assert report.total.per_policies == Decimal("6666.67") and report.total.per_customers == Decimal("10000.00")
    assert report.total.per_premium == Decimal("1.60")
    team_a = next(r for r in report.by_branch if r.key == str(w.org.team_a.pk))
    assert (team_a.complaints, team_a.policies, team_a.premium, team_a.per_premium) == (
        2, 2, Decimal("75000000.00"), Decimal("2.67"))
    sales = next(r for r in report.by_category if r.key == "complaint_sales")
    assert sales.complaints == 2 and sales.per_policies == report.total.per_policies
    # the manager of branch B sees only branch B's book and none of the complaints
    # a unit by its English name in English, its own in Chinese
    OrgUnit.objects.filter(pk=w.org.team_a.pk).update(name_en="Beijing team 1")
    for language, label in (("en", "Beijing team 1"), ("zh-hant", w.org.team_a.name)):
        named = complaint_statistics(scope=data_scope_for_user(w.staff["hq"].user), jurisdiction="CN",
                                     period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), language=language)
        assert next(r for r in named.by_branch if r.key == str(w.org.team_a.pk)).label == label, language
    mine = complaint_statistics(scope=data_scope_for_user(w.staff["branch_b"].user), jurisdiction="CN",
                                period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    assert (mine.total.complaints, mine.total.policies) == (0, 1)


def test_the_register_is_scoped_flags_the_overdue_and_asks_a_fixed_number_of_queries(
        service_world, django_assert_num_queries):
    w = service_world
    first = open_complaint(w)
    decide(w, first, date(2026, 3, 10))
    open_complaint(w, received=date(2026, 3, 20))
    services.case_open(actor=w.staff["hq"].user, customer=w.customer_b, case_type="complaint", subject="Late",
                       channel="call", opened_at=noon(date(2026, 3, 25)))  # branch B's
    scope = data_scope_for_user(w.staff["hq"].user)
    with django_assert_num_queries(2):
        rows = complaint_register(scope=scope, as_of=date(2026, 4, 6))
    assert [(r.complaint.stage, r.due, r.overdue) for r in rows] == [
        ("open", date(2026, 4, 9), False), ("open", date(2026, 4, 4), True), ("decided", None, False)]
    assert rows[2].first.on_time
    assert [r.complaint.case.customer for r in complaint_register(
        scope=data_scope_for_user(w.staff["branch_b"].user), as_of=date(2026, 4, 6))] == [w.customer_b]
    overdue = complaint_register(scope=scope, as_of=date(2026, 4, 6), overdue_only=True)
    assert [r.complaint.received_on for r in overdue] == [date(2026, 3, 20)]


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_the_register_page_and_its_excel_export(service_world, client, language):
    w = service_world
    for day in (date(2026, 3, 6), date(2026, 3, 20)):
        open_complaint(w, received=day)
    client.force_login(w.staff["callcentre"].user)
    client.cookies["django_language"] = language
    page = client.get(reverse("service:complaints"), HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200 and page.content.decode().count("CP0") == 2
    export = client.get(reverse("service:complaints-export"), HTTP_ACCEPT_LANGUAGE=language)
    sheet = load_workbook(io.BytesIO(export.content)).active
    numbers = [sheet.cell(row, 1).value for row in range(5, sheet.max_row + 1)]
    assert len(numbers) == 2 and all(n.startswith("CP") for n in numbers)
    assert sheet.cell(5, 2).value.date() == date(2026, 3, 20)


def test_a_complaint_is_marked_complex_and_decided_through_its_page(service_world, client):
    w = service_world
    complaint = open_complaint(w, received=timezone.localdate() - timedelta(days=1))  # the page acts now
    client.force_login(w.staff["callcentre"].user)
    client.cookies["django_language"] = "en"
    url = lambda action: reverse("service:complaint-act", kwargs={  # noqa: E731
        "complaint_id": complaint.pk, "complaint_action": action})
    refused = client.post(url("extension-request"), {"days": 10, "reason": "x"})
    assert refused.status_code == 409 and "mark it complex first" in refused.content.decode()
    assert client.post(url("complex"), {"reason": ""}).status_code == 400
    assert client.post(url("complex"), {"reason": "Three policies"}).status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).is_complex
    page = client.get(reverse("service:complaint", kwargs={"complaint_id": complaint.pk}))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="complaint-action-extension-request"' in body
    assert 'name="days"' in body and 'name="reason"' in body  # the extension's form with its fields
    assert client.post(url("extension-request"), {"days": 10, "reason": ""}).content.decode().count(
        'name="days" value="10"') == 1  # a refused request comes back filled in
    client.force_login(w.staff["branch_b"].user)
    assert client.get(reverse("service:complaint", kwargs={"complaint_id": complaint.pk})).status_code == 404


def test_the_staff_member_complained_about_is_refused_on_the_page(service_world, client):
    w = service_world
    complaint = open_complaint(w, about_staff=w.staff["callcentre"])
    client.force_login(w.staff["callcentre"].user)
    client.cookies["django_language"] = "zh-hant"
    answer = client.post(reverse("service:complaint-act", kwargs={"complaint_id": complaint.pk,
                                                                  "complaint_action": "decide"}),
                         {"facts": "f", "decision": "d", "basis": "b"})
    assert answer.status_code == 409 and "您是此投訴的被投訴人：須由其他員工處理。" in answer.content.decode()
    assert not complaint.decisions.exists()


def test_the_statistics_page_draws_its_charts(service_world, client):
    w = service_world
    open_complaint(w)
    client.force_login(w.staff["hq"].user)
    page = client.get(reverse("service:complaint-statistics"),
                      {"jurisdiction": "CN", "period_start": "2026-01-01", "period_end": "2026-12-31"})
    body = page.content.decode()
    assert page.status_code == 200 and "complaints-branch-data" in body and "chart.umd.min.js" in body
    assert client.get(reverse("service:complaint-statistics"),
                      {"jurisdiction": "CN", "period_start": "2026-12-31", "period_end": "2026-01-01"}
                      ).status_code == 400
    client.force_login(w.staff["callcentre"].user)
    assert client.get(reverse("service:complaint-statistics")).status_code == 403


def test_a_complaint_case_links_to_its_complaint_and_offers_only_what_its_stage_allows(service_world, client):
    w = service_world
    complaint = open_complaint(w, received=timezone.localdate() - timedelta(days=3))
    client.force_login(w.staff["callcentre"].user)
    client.cookies["django_language"] = "en"
    case_url = reverse("service:case", args=[complaint.pk])
    complaint_url = reverse("service:complaint", kwargs={"complaint_id": complaint.pk})
    body = client.get(case_url).content.decode()
    assert f'href="{complaint_url}"' in body and 'data-testid="case-complaint-link"' in body
    assert 'data-testid="case-action-resolve"' not in body  # decided on the complaint's page, not resolved here
    assert 'data-testid="case-action-cancel"' in body  # withdrawn before its decision
    assert f'href="{case_url}"' in client.get(complaint_url).content.decode()
    decide(w, complaint, timezone.localdate())
    with_decision = client.get(case_url).content.decode()
    assert 'data-testid="case-action-close"' not in with_decision
    assert 'data-testid="case-action-reopen"' not in with_decision
    refused = client.post(reverse("service:case-action", args=[complaint.pk, "close"]), {"note": ""})
    assert refused.status_code == 409 and "complaint" in refused.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).case.status == "resolved"
    inquiry = services.case_open(actor=w.staff["callcentre"].user, customer=w.customer_a, case_type="inquiry",
                                 subject="Premium", channel="call", opened_at=noon(timezone.localdate()))
    assert 'data-testid="case-complaint-link"' not in client.get(reverse("service:case", args=[inquiry.pk])
                                                                  ).content.decode()


@pytest.mark.parametrize(("language", "delivered", "facts"), [("zh-hant", "已送達：", "事實："),
                                                              ("zh-hans", "已送达：", "事实："),
                                                              ("en", "Delivered: ", "Facts: ")])
def test_a_delivered_decision_reads_with_the_languages_own_colon(service_world, client, language, delivered, facts):
    """A Chinese sentence takes the fullwidth colon: the colon is the translation's, not the template's."""
    w = service_world
    complaint = open_complaint(w, received=timezone.localdate() - timedelta(days=3))
    decided = decide(w, complaint, timezone.localdate())
    complaints.complaint_delivery_record(actor=w.staff["callcentre"].user, complaint=complaint, channel="post",
                                         delivered_at=decided.decided_at, reference="EMS1",
                                         at=decided.decided_at)
    client.force_login(w.staff["callcentre"].user)
    client.cookies["django_language"] = language
    page = client.get(reverse("service:complaint", kwargs={"complaint_id": complaint.pk})).content.decode()
    text = re.sub(r"<[^>]+>", "", page)
    assert delivered in text and f"{facts}The facts." in text


def test_no_service_template_puts_an_ascii_colon_after_a_translated_word():
    """A colon after `{% translate %}` or a label would stay ASCII in a Chinese sentence (the translation owns it)."""
    folder = Path(__file__).resolve().parents[1] / "templates"
    blocks = re.compile(r"\{% blocktranslate.*?\{% endblocktranslate %\}", re.DOTALL)  # English source sentences
    offenders = [f"{path.name}: {match.group(0)}" for path in folder.rglob("*.html")
                 for match in re.finditer(r"(%\}|</strong>|\}\})\s*: ", blocks.sub("", path.read_text()))]
    assert offenders == []


@pytest.mark.parametrize(("delivered", "provisional"), [(date(2026, 11, 5), False), (date(2026, 12, 10), True)])
def test_a_review_deadline_counted_on_a_provisional_calendar_says_so(service_world, client, delivered, provisional):
    """The last day to ask for a review is moved past rest days: counted in a year whose calendar is not yet
    published (CN's 2027 as shipped) it carries the provisional mark. The decision's and the review's own limits
    are calendar days, never moved by a calendar: they need no mark."""
    w = service_world
    complaint = open_complaint(w, received=delivered - timedelta(days=14))
    decide(w, complaint, delivered - timedelta(days=1))
    complaints.complaint_delivery_record(actor=w.staff["callcentre"].user, complaint=complaint, channel="post",
                                         delivered_at=noon(delivered), reference="EMS1", at=noon(delivered))
    complaint.refresh_from_db()
    assert complaint.review_last_day.year == (2027 if provisional else 2026)
    client.force_login(w.staff["callcentre"].user)
    client.cookies["django_language"] = "en"
    body = client.get(reverse("service:complaint", kwargs={"complaint_id": complaint.pk})).content.decode()
    assert complaint.review_last_day.isoformat() in body
    assert ('data-testid="provisional-deadline"' in body) is provisional

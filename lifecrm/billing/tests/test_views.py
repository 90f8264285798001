"""Collection pages: who may open which, scope (404), the dashboard, the policy's billing section, persistency
and bank files; fixed query counts."""
from __future__ import annotations

import io
import json
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from lifecrm.banking.models import BankFile
from lifecrm.billing.models import Collection, DueItem, Payment
from lifecrm.billing.services import payment_record
from lifecrm.billing.tests.test_views_world import (  # noqa: F401  (the *_fixture names are fixtures)
    AS_OF,
    PREMIUM,
    build_world,
    business_date_fixture,
    outbox_fixture,
    run_daily,
    world_fixture,
)
from lifecrm.billing.views import pages
from lifecrm.core.actors import SYSTEM
from lifecrm.org.rules import DataScope, ScopeKind
from tests.factories import make_customer, make_policy, make_product

pytestmark = pytest.mark.django_db

# page -> the roles that may open it (everyone else: 403); `claims` stands for any role not listed.
ACCESS = {
    "billing:dashboard": {"hq", "branch"},
    "billing:worklist": {"agent", "callcentre", "callcentre_hq", "hq", "branch"},
    "billing:payment-new": {"hq", "branch", "counter"},
    "banking:bank-files": {"hq", "branch"},
    "billing:persistency": {"hq", "branch"},
    "billing:persistency-export": {"hq", "branch"},
}
LOGINS = ("hq", "branch", "counter", "callcentre", "callcentre_hq", "claims", "agent", "branch_b")


def login(client, world, who):
    client.force_login(world.staff[who].user)
    return client


@pytest.mark.parametrize("who", LOGINS)
def test_each_page_answers_its_roles_and_refuses_the_others(client, world, who):
    login(client, world, who)
    for name, roles in ACCESS.items():
        allowed = who in roles or (who == "branch_b" and "branch" in roles)
        response = client.get(reverse(name))
        assert response.status_code == (200 if allowed else 403), (who, name)
        if not allowed:
            assert "You may not open this page" in response.content.decode()


def test_anonymous_users_go_to_login_and_users_without_staff_get_403(client, world, django_user_model):
    urls = [reverse(name) for name in ACCESS] + [reverse("billing:policy", args=[world.policy_a.pk]),
                                                 reverse("billing:receipt", args=[1]),
                                                 reverse("banking:bank-file", args=[1])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), url
    client.force_login(django_user_model.objects.create_user(username="nobody", password="x-long-pass-9"))
    for url in urls:
        assert client.get(url).status_code == 403, url


# policy billing: who sees which policy (404 outside the scope)
POLICY_VISIBILITY = {
    "hq": {"policy_a", "policy_q", "policy_b"},
    "branch": {"policy_a", "policy_q"},
    "counter": {"policy_a"},  # a counter clerk of team A sees team A's subtree
    "callcentre": {"policy_a", "policy_q"},
    "claims": {"policy_a", "policy_q"},
    "agent": {"policy_a"},
    "branch_b": {"policy_b"},
}


@pytest.mark.parametrize("who", sorted(POLICY_VISIBILITY))
def test_the_policy_billing_section_follows_the_scope(client, world, who):
    login(client, world, who)
    for name in ("policy_a", "policy_q", "policy_b"):
        policy = getattr(world, name)
        response = client.get(reverse("billing:policy", args=[policy.pk]), HTTP_HX_REQUEST="true")
        visible = name in POLICY_VISIBILITY[who]
        assert response.status_code == (200 if visible else 404), (who, name)
        if visible:
            assert 'data-testid="policy-billing"' in response.content.decode()


def test_the_policy_page_loads_its_billing_section_with_htmx(client, world):
    login(client, world, "counter")
    body = client.get(reverse("workbench:policy", args=[world.policy_a.pk])).content.decode()
    url = reverse("billing:policy", args=[world.policy_a.pk])
    assert f'hx-get="{url}"' in body and 'hx-trigger="load"' in body
    full = client.get(url).content.decode()  # without htmx: a page of its own, in the layout
    assert "<html" in full and 'data-testid="policy-billing"' in full


def test_the_billing_section_shows_schedule_payments_suspense_reminders(client, world, business_date):
    payment_record(actor=SYSTEM, policy_id=world.policy_a.pk, amount=Decimal("300.00"), method="cash",
                   received_on=AS_OF, natural_key="counter:T:1", as_of=AS_OF)
    body = login(client, world, "counter").get(reverse("billing:policy", args=[world.policy_a.pk]),
                                               HTTP_HX_REQUEST="true").content.decode()
    assert "2026-09-30" in body and "instalment 2" in body  # the premium due 30 Sep (instalment 1 = at issue)
    assert "2026-10-31" in body  # the next one, raised ahead
    assert "R20261010" in body and "cash" in body  # the payment with its receipt number
    assert "CNY 59.00" in body  # 300 − 2 × 120.50 waits in suspense
    assert "sales agent phone task" in body and "phone task open" in body  # the ladder's steps that went out
    assert "skipped" not in body  # steps found too late reached nobody: not listed
    assert f'href="{reverse("billing:payment-new")}?policy={world.policy_a.pk}"' in body  # counters take payments
    agent_body = login(client, world, "agent").get(reverse("billing:policy", args=[world.policy_a.pk]),
                                                   HTTP_HX_REQUEST="true").content.decode()
    assert "?policy=" not in agent_body  # an agent does not take money


def _count(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


# session, user, staff (scope); the policy; due items, payments, reminders, reinstatements, suspense (2).
# (The htmx fragment has no layout, so no second staff query.)
POLICY_BILLING_QUERIES = 3 + 7


def test_the_billing_section_runs_a_fixed_number_of_queries(client, world, business_date):
    login(client, world, "hq")
    url_q = reverse("billing:policy", args=[world.policy_q.pk])
    url_a = reverse("billing:policy", args=[world.policy_a.pk])
    _count(client, url_q, HTTP_HX_REQUEST="true")  # warm the process caches (grace rules, calendars)
    quiet = _count(client, url_q, HTTP_HX_REQUEST="true")
    for n in range(4):
        payment_record(actor=SYSTEM, policy_id=world.policy_a.pk, amount=PREMIUM, method="cash", received_on=AS_OF,
                       natural_key=f"counter:T:{n}", as_of=AS_OF)
    for day in (date(2026, 11, 20), date(2026, 12, 15)):
        run_daily(day)
    business_date(date(2026, 12, 15))
    busy = _count(client, url_a, HTTP_HX_REQUEST="true")
    assert quiet == busy == POLICY_BILLING_QUERIES


# -- the dashboard ------------------------------------------------------------------------------------------

def test_the_dashboard_counts_this_months_premiums_and_the_policies_in_grace(client, world):
    translation.activate("en")
    body = login(client, world, "hq").get(reverse("billing:dashboard")).content.decode()
    page = pages.dashboard(scope=DataScope(ScopeKind.ALL, world.org.hq.path, None, "hq"), as_of=AS_OF)
    # Due in October 2026: instalment 2 of each of the three policies (31 Oct); none paid; all three in grace.
    assert (page.total.due_count, page.total.paid_count, page.total.in_grace, page.total.suspended) == (3, 0, 3, 0)
    assert (page.total.received_count, page.total.received.items) == (0, [])
    assert page.total.due.items == [("CNY", Decimal("361.50"))]
    assert [(r.label, r.due_count, r.in_grace) for r in page.rows] == [("Beijing branch", 2, 2), ("Shanghai branch", 1, 1)]
    assert "Beijing branch" in body and "Shanghai branch" in body and "CNY 361.50" in body
    assert 'id="collection-trend"' in body and "vendor/chartjs/chart.umd.min.js" in body
    assert not re.search(r'(?:src|href)="(?:https?:)?//', body)  # no asset from elsewhere (a CDN); ids may hold "cdn"
    assert [c.month for c in page.persistency] == [13, 25]
    assert page.trend["labels"][-1] == "2026-10" and page.trend["due"][-2:] == [3, 3]  # September, October


@pytest.mark.parametrize(("language", "to_date"), [("en", "to date"), ("zh-hant", "至今"), ("zh-hans", "至今")])
def test_the_trend_marks_this_month_as_running_not_as_a_cliff(client, world, language, to_date):
    """October is ten days old on 10 Oct: its premiums keep falling due and being paid until the 31st."""
    body = login(client, world, "hq").get(reverse("billing:dashboard"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    trend = json.loads(body.split('id="collection-trend-data" type="application/json">')[1].split("</script>")[0])
    assert trend["labels"][trend["running"]] == "2026-10" and trend["running"] == len(trend["labels"]) - 1
    assert trend["running_label"] == to_date
    assert 'data-running="' in body  # the legend's entry for the hatched bars


def test_a_branch_sees_itself_and_its_teams(client, world):
    translation.activate("en")  # units have English names; teams here have none
    scope = DataScope(ScopeKind.SUBTREE, world.org.branch_a.path, None, "branch")
    total, rows = pages.collection_rows(scope=scope, as_of=AS_OF)
    assert (total.due_count, total.in_grace) == (2, 2)
    # policy_q is booked on the branch itself, policy_a on its team.
    assert [(r.label, r.direct, r.due_count) for r in rows] == [("Beijing branch (directly)", True, 1), ("北京一组", False, 1)]
    body = login(client, world, "branch").get(reverse("billing:dashboard")).content.decode()
    assert "上海分公司" not in body and "Shanghai branch" not in body


def test_payments_show_as_received_and_paid_on_the_dashboard(world):
    from lifecrm.billing.services import payment_reverse

    # Two premiums' worth: the arrears of 30 Sep and October's premium (31 Oct).
    payment_record(actor=SYSTEM, policy_id=world.policy_b.pk, amount=PREMIUM * 2, method="cash", received_on=AS_OF,
                   natural_key="counter:B:1", as_of=AS_OF)
    cheque = payment_record(actor=SYSTEM, policy_id=world.policy_q.pk, amount=Decimal("50.00"), method="cheque",
                            received_on=AS_OF, natural_key="counter:A:2", as_of=AS_OF)
    payment_reverse(actor=SYSTEM, payment_id=cheque.pk, reason="bounced", as_of=AS_OF)
    total, rows = pages.collection_rows(scope=DataScope(ScopeKind.ALL, world.org.hq.path, None, "hq"), as_of=AS_OF)
    assert (total.paid_count, total.in_grace) == (1, 2)
    assert total.rate == Decimal("33.3")
    # Received: two payments, the bounced cheque netted out by its reversal.
    assert (total.received_count, total.received.items) == (2, [("CNY", Decimal("241.00"))])


def _cohort_policies(world, n: int) -> None:
    """`n` policies in each persistency window (issued Mar 2025: 13th month; Mar 2024: 25th) with a premium due
    this month, in branch B's team."""
    for _ in range(n):
        for issued in (date(2025, 3, 31), date(2024, 3, 31)):
            owner = make_customer(branch=world.org.team_b)
            policy = make_policy(owner=owner, agent=None, branch=world.org.team_b, issue_date=issued, as_of=issued)
            DueItem.objects.create(policy=policy, instalment=100, due_date=date(2026, 10, 30), amount=PREMIUM,
                                   currency="CNY", raised_on=AS_OF)


def test_the_dashboard_runs_a_fixed_number_of_queries(client, world, business_date):
    login(client, world, "hq")
    url = reverse("billing:dashboard")
    _cohort_policies(world, 1)
    _count(client, url)  # warm the process caches (grace rules, calendars)
    small = _count(client, url)
    _cohort_policies(world, 5)
    assert _count(client, url) == small == DASHBOARD_QUERIES


# session, user, staff (the scope, and the layout's name and menu); units, due this month by unit, received
# this month by unit, statuses by unit, the trend; persistency 13th and 25th (policies, versions, window
# due items, journal: 4 each); the latest ledger reconciliation's differences (head office).
DASHBOARD_QUERIES = 3 + 5 + 2 * 4 + 1


# -- persistency ----------------------------------------------------------------------------------------------

def test_the_persistency_page_groups_and_exports(client, world):
    client = login(client, world, "hq")
    body = client.get(reverse("billing:persistency"), {"month": "13", "period_start": "2025-10",
                                                      "period_end": "2026-09", "group_by": "team"}).content.decode()
    assert "13th-month persistency by team" in body and 'id="persistency-trend"' in body
    assert "Download Excel" in body
    response = client.get(reverse("billing:persistency-export"), {"month": "25", "period_start": "2025-10",
                                                                 "period_end": "2026-09", "group_by": "agent"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="persistency-25-2025-10-2026-09')
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:2] == ["Company", "Agent"]


def test_the_persistency_table_names_branches_and_products_in_the_page_language(client, world):
    """An English page names a branch and a product by their English names (the Chinese ones on Chinese pages)."""
    _cohort_policies(world, 1)
    login(client, world, "hq")
    branch, product = world.org.branch_b, make_product()
    period = {"month": "13", "period_start": "2025-10", "period_end": "2026-09"}

    def first_cells(language, group_by):
        body = client.get(reverse("billing:persistency"), {**period, "group_by": group_by},
                          HTTP_ACCEPT_LANGUAGE=language).content.decode()
        return re.findall(r'<th scope="row" class="fw-normal">([^<]*)</th>', body)

    assert first_cells("en", "branch") == [branch.name_en] and branch.name_en != branch.name
    assert first_cells("zh-hant", "branch") == [branch.name]
    assert first_cells("en", "product") == [f"{product.code} {product.name_en}"]
    assert first_cells("zh-hans", "product") == [f"{product.code} {product.name}"]


PERSISTENCY_FORM = {  # language -> (the label of the period's end, the 13th-month option)
    "en": ("to", "13th month"),
    "zh-hant": ("至", "第 13 個月"),
    "zh-hans": ("至", "第 13 个月"),
}


def test_the_persistency_form_speaks_the_page_language(client, world):
    """One test for the three languages: a label translated once at import would match one of them only."""
    client = login(client, world, "hq")
    for language, (to, month) in PERSISTENCY_FORM.items():
        body = client.get(reverse("billing:persistency"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        label = re.search(r'<label[^>]*for="id_period_end">([^<]*)<', body)
        assert label and label.group(1).strip() == to, language  # not "new status" (a status change's "to")
        options = re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', body.split('id="id_month"')[1].split("</select>")[0])
        assert options[0] == month, (language, options)


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"month": "14"}, "month", "Select a valid choice"),
    ({"period_start": "2026-13"}, "period_start", "Type a month as YYYY-MM"),
    ({"period_start": "2026-09", "period_end": "2026-01"}, "period_end", "The period ends before it starts"),
    ({"period_start": "2020-01", "period_end": "2026-09"}, "period_end", "Choose at most 36 months"),
    ({"period_end": "2027-01"}, "period_end", "The period cannot end after this month"),
    ({"group_by": "planet"}, "group_by", "Select a valid choice"),
])
def test_bad_persistency_requests_are_400_with_the_field_named(client, world, params, field, message):
    for name in ("billing:persistency", "billing:persistency-export"):
        response = login(client, world, "branch").get(reverse(name), params)
        assert response.status_code == 400
        body = response.content.decode()
        assert f'id="id_{field}-errors"' in body and message in body


# -- bank files ------------------------------------------------------------------------------------------

@pytest.fixture
def sent(world, settings, tmp_path, django_capture_on_commit_callbacks):
    """Two auto-debit premiums due 20 Nov 2026 sent to the bank on the 17th (the bank-file tests' set-up)."""
    from lifecrm.billing.tests.test_bankfiles import EXPORT_DAY, auto_debit_policy, e2e, export

    settings.VAR_DIR = tmp_path
    paying, short = auto_debit_policy(world.org), auto_debit_policy(world.org, name="李娜")
    export(EXPORT_DAY, django_capture_on_commit_callbacks)
    return {"paid": e2e(paying), "rejected": e2e(short)}


def _csv(sent, *, amount="120.50") -> bytes:
    return ("end_to_end_id,status,amount,currency,value_date,reason_code\n"
            f"{sent['paid']},paid,{amount},CNY,2026-11-20,\n"
            f"{sent['rejected']},rejected,120.50,CNY,2026-11-20,AC04\n").encode()


def _upload(client, content: bytes, name="results.csv", file_format="auto"):
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(reverse("banking:bank-files"), {"file": upload, "file_format": file_format})


def test_a_branch_manager_may_not_import_a_bank_result_file(client, world, sent, business_date):
    """A result file holds the whole company's debits: head office imports it; the branch sees the files only."""
    business_date(date(2026, 11, 20))
    client = login(client, world, "branch")
    page = client.get(reverse("banking:bank-files")).content.decode()
    assert 'data-testid="bank-import-hq-only"' in page and 'name="file"' not in page
    response = _upload(client, _csv(sent))
    assert response.status_code == 403
    assert "Only head office imports" in response.content.decode()
    assert not BankFile.objects.filter(direction=BankFile.Direction.IN).exists()
    assert not Payment.objects.filter(natural_key=f"debit:{sent['paid']}").exists()


def test_a_bank_result_file_is_imported_and_reported(client, world, sent, business_date):
    business_date(date(2026, 11, 20))
    client = login(client, world, "hq")
    response = _upload(client, _csv(sent))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="import-done"' in body
    assert 'data-testid="report-lines">2<' in body and 'data-testid="report-paid">1<' in body
    assert 'data-testid="report-rejected">1<' in body and "AC04 — Account closed" in body
    assert Payment.objects.filter(natural_key=f"debit:{sent['paid']}").exists()
    again = _upload(client, _csv(sent)).content.decode()
    assert 'data-testid="already-imported"' in again and "already imported on" in again
    listing = client.get(reverse("banking:bank-files")).content.decode()
    assert "results.csv" in listing and listing.count("<tr>") >= 3  # header, our export, the result file
    result_file = BankFile.objects.get(direction="in")
    detail = client.get(reverse("banking:bank-file", args=[result_file.pk])).content.decode()
    assert "AC04 — Account closed" in detail


def test_a_bad_bank_file_is_refused_whole_saying_where_and_why(client, world, sent, business_date):
    business_date(date(2026, 11, 20))
    before = (Payment.objects.count(), BankFile.objects.count(),
              list(Collection.objects.values_list("status", flat=True)))
    response = _upload(login(client, world, "hq"), _csv(sent, amount="99.00"))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="bank-file-rejected"' in body and "nothing was recorded" in body
    assert "line 2" in body and "99.00" in body
    assert before == (Payment.objects.count(), BankFile.objects.count(),
                      list(Collection.objects.values_list("status", flat=True)))


REFUSED = {  # language -> where and why a file with an unknown reference on line 4 is refused
    "zh-hant": ("第 4 行", "未知的端對端參考編號 E999999-1"),
    "zh-hans": ("第 4 行", "未知的端到端参考号 E999999-1"),
    "en": ("line 4", "unknown end-to-end reference E999999-1"),
}


@pytest.mark.parametrize("language", sorted(REFUSED))
def test_why_a_bank_file_is_refused_reads_in_the_page_language(client, world, sent, business_date, language):
    business_date(date(2026, 11, 20))
    content = _csv(sent) + b"E999999-1,paid,120.50,CNY,2026-11-20,\n"
    upload = SimpleUploadedFile("results.csv", content, content_type="text/csv")
    response = login(client, world, "hq").post(reverse("banking:bank-files"), {"file": upload, "file_format": "csv"},
                                               HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    alert = response.content.decode().split('data-testid="bank-file-rejected"')[1].split("<form")[0]
    where, why = REFUSED[language]
    assert where in alert and why in alert, alert


def test_a_missing_file_is_a_field_error(client, world):
    response = login(client, world, "hq").post(reverse("banking:bank-files"), {"file_format": "csv"})
    assert response.status_code == 400 and "Choose the file the bank sent." in response.content.decode()


def test_out_of_scope_receipts_and_unknown_bank_files_are_404(client, world):
    payment = payment_record(actor=SYSTEM, policy_id=world.policy_b.pk, amount=PREMIUM, method="cash",
                             received_on=AS_OF, natural_key="counter:B:9", as_of=AS_OF)
    assert login(client, world, "counter").get(reverse("billing:receipt", args=[payment.pk])).status_code == 404
    assert login(client, world, "hq").get(reverse("billing:receipt", args=[payment.pk])).status_code == 200
    assert client.get(reverse("banking:bank-file", args=[987654])).status_code == 404


def test_the_navbar_offers_each_role_its_collection_pages(client, world):
    expected = {
        "hq": {"dashboard", "worklist", "payment-new", "bank-files", "persistency"},
        "branch": {"dashboard", "worklist", "payment-new", "bank-files", "persistency"},
        "counter": {"payment-new"},
        "callcentre": {"worklist"},
        "agent": {"worklist"},
        "claims": set(),
    }
    for who, names in expected.items():
        body = login(client, world, who).get("/").content.decode()
        for name in ACCESS:
            short = name.split(":")[1]
            if short == "persistency-export":
                continue
            assert (f'href="{reverse(name)}"' in body) is (short in names), (who, name)


def test_the_world_is_what_the_tests_say(world):
    assert {world.policy_a.status, world.policy_q.status, world.policy_b.status} == {"grace"}
    assert build_world  # the helper stays importable for the browser test


@pytest.mark.parametrize(("as_of", "start", "end"), [
    (date(2026, 1, 15), date(2025, 1, 1), date(2025, 12, 1)),
    (date(2026, 10, 10), date(2025, 10, 1), date(2026, 9, 1)),
])
def test_the_persistency_form_defaults_to_the_last_twelve_months_over(as_of, start, end):
    from lifecrm.billing.forms import PersistencyForm

    form = PersistencyForm(as_of=as_of)
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["period_start"], form.cleaned_data["period_end"]) == (start, end)
    assert pages.last_months(as_of, 12) == (start, end)

"""The value dashboards: distribution, tiers and stages by branch, migration, value at risk; scope, queries, Excel."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lifecrm.org.selectors import data_scope_for_user
from lifecrm.value.dashboards import value_dashboard
from lifecrm.value.models import LapseModelVersion, LapseScore
from lifecrm.value.tests.test_customer_values import AS_OF, _run, book  # noqa: F401  (book is a fixture)
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(book):  # noqa: F811
    _run()
    model = LapseModelVersion.objects.create(
        version=1, as_of=AS_OF, trained_at=datetime(2026, 11, 29, tzinfo=UTC), algorithm="test", train_cutoffs=[],
        test_cutoff=AS_OF, parameters={}, checksum="x", metrics={})
    for policy, score in ((book["p1"], 0.9), (book["p2"], 0.1), (book["p3"], 0.2), (book["p4"], 0.3)):
        LapseScore.objects.create(policy=policy, as_of=AS_OF, model=model, score=score, reasons=[])
    org = book["org"]
    return book | {"hq": make_staff("hq", org.hq), "branch_b": make_staff("branch", org.branch_b),
                   "counter": make_staff("counter", org.branch_a)}


def _board(who, as_of=AS_OF):
    return value_dashboard(scope=data_scope_for_user(who.user), as_of=as_of)


def test_the_dashboard_of_head_office(scored):
    board = _board(scored["hq"])
    assert board.value_day == AS_OF and board.score_day == AS_OF
    assert sum(n for _, n, _ in board.bands) == 6  # every customer valued, once
    totals = board.totals
    assert totals.customers == 6 and sum(totals.tiers.values()) == 6 and sum(totals.stages.values()) == 6
    # 4 scored policies: the riskiest 10 % is one policy, P1 (score 0.9, PVFP 1,300)
    assert board.risk_threshold == 0.9
    assert (totals.at_risk_policies, totals.pvfp_at_risk, totals.expected_loss) == (
        1, Decimal("1300.00"), Decimal("1170.00"))
    assert [row.name for row in board.branches] == [scored["org"].branch_a.name]
    assert sum(board.migration.values()) == 6 and all(before is None for before, _ in board.migration)


def test_another_branch_sees_none_of_it(scored):
    board = _board(scored["branch_b"])
    assert board.branches == [] and sum(n for _, n, _ in board.bands) == 0 and board.migration == {}


def test_the_dashboard_takes_a_fixed_number_of_queries(scored, django_assert_num_queries):
    scope = data_scope_for_user(scored["hq"].user)
    with django_assert_num_queries(12):
        value_dashboard(scope=scope, as_of=AS_OF)


def test_before_any_value_the_dashboard_says_so(db, client):
    from tests.factories import make_org
    hq = make_staff("hq", make_org().hq)
    board = value_dashboard(scope=data_scope_for_user(hq.user), as_of=date(2026, 1, 1))
    assert board.value_day is None and board.branches == [] and board.risk_threshold is None
    client.force_login(hq.user)
    response = client.get(reverse("value:dashboard"))
    assert response.status_code == 200 and b"value customers" in response.content


def test_the_page_and_its_excel(scored, client):
    client.force_login(scored["hq"].user)
    page = client.get(reverse("value:dashboard"))
    assert page.status_code == 200 and scored["org"].branch_a.name in page.content.decode()
    export = client.get(reverse("value:dashboard-export"))
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(export.content))
    assert len(workbook.sheetnames) == 4
    risk = workbook.worksheets[3]
    assert [cell.value for cell in risk[3]] == [scored["org"].branch_a.name, 1, 1300, 1170]


def test_the_page_names_the_branches_in_its_language(scored, client):
    """An English page (its table and its chart) names a branch by its English name, a Chinese page by its own."""
    client.force_login(scored["hq"].user)
    branch = scored["org"].branch_a
    english = client.get(reverse("value:dashboard"), headers={"accept-language": "en"}).content.decode()
    assert branch.name_en in english and branch.name not in english
    chinese = client.get(reverse("value:dashboard"), headers={"accept-language": "zh-hant"}).content.decode()
    assert branch.name in chinese and branch.name_en not in chinese


def test_the_counter_may_not_open_it(scored, client):
    client.force_login(scored["counter"].user)
    assert client.get(reverse("value:dashboard")).status_code == 403
    assert client.get(reverse("value:dashboard-export")).status_code == 403


def test_the_api_gives_a_customers_value_tier_entitlements_and_lapse_risk(scored, client):
    client.force_login(scored["hq"].user)
    url = reverse("v1:customer-value", args=[scored["a"].pk])
    body = client.get(url, {"as_of": "2026-12-01"}).json()
    assert body["value"]["as_of"] == "2026-11-29" and body["value"]["total_value"] is not None
    assert body["segment"]["tier"] in {"diamond", "gold", "silver", "standard"} and body["segment"]["reasons"]
    assert body["entitlements"]["reminder_ladder"]
    # what the tier receives is the service desk's care rules (one source of truth), as <occasion>_<action>
    from lifecrm.service.models import CareRule
    tier = body["segment"]["tier"]
    expected = sorted({f"{o}_{a}" for o, a in CareRule.objects.filter(tier=tier, is_active=True)
                       .values_list("occasion", "action")})
    assert expected and body["entitlements"]["care_events"] == expected
    assert [(r["policy_number"], r["probability_90_days"]) for r in body["lapse_risk"]][0] == (
        scored["p1"].number, 0.9)
    assert client.get(url, {"as_of": "1e9"}).status_code == 400
    assert client.get(url, {"as_of": "2026-02-30"}).status_code == 400
    assert client.get(url, {"as_of": "0001-01-01"}).json()["value"] is None  # before any value: none
    client.force_login(scored["branch_b"].user)
    assert client.get(url).status_code == 404
    client.force_login(scored["counter"].user)
    assert client.get(url).status_code == 403


def test_the_360_shows_value_and_lapse_risk_with_reasons_to_those_who_may_see_them(scored, client):
    LapseScore.objects.filter(policy=scored["p1"]).update(reasons=[
        {"feature": "rejected_debits_recent", "value": 2.0, "contribution": 1.2},
        {"feature": "method_cash", "value": 1.0, "contribution": 0.4},
        {"feature": "policy_year_4_5", "value": 1.0, "contribution": 0.1}])
    url = reverse("workbench:customer", args=[scored["a"].pk])
    client.force_login(scored["hq"].user)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="customer-value"' in page and "direct debits rejected recently: 2" in page
    assert "pays by cash at the counter" in page and "in policy year 4–5" in page and "90 %" in page
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "近期被拒絕的自動扣款：2" in page
    client.force_login(scored["counter"].user)
    assert 'id="customer-value"' not in client.get(url).content.decode()

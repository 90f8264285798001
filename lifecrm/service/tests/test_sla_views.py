"""The SLA pages: who sees them, what they show, a fixed number of queries whatever the number of cases."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from lifecrm.org.selectors import data_scope_for_user
from lifecrm.service import services, sla
from lifecrm.service.sla_report import sla_dashboard, sla_report

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 7, 9, tzinfo=SHANGHAI)


def _cases(world, count, *, answered=()):
    actor = world.staff["hq"].user
    cases = []
    for n in range(count):
        customer = world.customer_a if n % 2 else world.customer_b
        case = services.case_open(actor=actor, customer=customer, case_type="complaint" if n % 3 else "inquiry",
                                  subject=f"Case {n}", channel="call", opened_at=MONDAY + timedelta(hours=n))
        if n in answered:
            services.case_event_append(actor=actor, case=case, kind="responded", at=MONDAY + timedelta(hours=n, minutes=5))
        cases.append(case)
    return cases


def test_the_report_counts_met_and_breached_clocks_by_type_priority_and_branch(service_world):
    _cases(service_world, 4, answered=(0, 1))
    report = sla_report(scope=data_scope_for_user(service_world.staff["hq"].user), start=date(2026, 12, 1),
                        end=date(2026, 12, 31), at=datetime(2026, 12, 21, 9, tzinfo=SHANGHAI))
    assert report.total.cases == 4
    assert (report.total.response_met, report.total.response_measured) == (2, 4)  # two answered in minutes
    assert report.total.response_pct == 50
    assert {row.label.code for row in report.by_type} == {"inquiry", "complaint"}
    assert len(report.by_branch) == 2 and report.breach_count >= 2
    assert report.trend["labels"] == ["2026-12-07"]


def test_the_report_and_dashboard_take_a_fixed_number_of_queries(service_world, django_assert_max_num_queries):
    scope = data_scope_for_user(service_world.staff["hq"].user)
    at = datetime(2026, 12, 9, 9, tzinfo=SHANGHAI)
    _cases(service_world, 2)
    sla.SlaBook.load().calendar("CN")  # the core working calendar is cached per process

    def count(run) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        with CaptureQueriesContext(connection) as queries:
            run()
        return len(queries)

    few = (count(lambda: sla_report(scope=scope, start=date(2026, 12, 1), end=date(2026, 12, 31), at=at)),
           count(lambda: sla_dashboard(scope=scope, at=at)))
    _cases(service_world, 12)
    many = (count(lambda: sla_report(scope=scope, start=date(2026, 12, 1), end=date(2026, 12, 31), at=at)),
            count(lambda: sla_dashboard(scope=scope, at=at)))
    assert few == many
    with django_assert_max_num_queries(8):  # the cases; the SLA book (4); the logs; the tiers
        sla_report(scope=scope, start=date(2026, 12, 1), end=date(2026, 12, 31), at=at)


def test_the_dashboard_puts_the_breached_first(service_world):
    _cases(service_world, 3)
    page = sla_dashboard(scope=data_scope_for_user(service_world.staff["hq"].user),
                         at=datetime(2026, 12, 8, 9, 45, tzinfo=SHANGHAI))
    assert page.open_cases == 3
    assert [row.breached for row in page.at_risk] == sorted((row.breached for row in page.at_risk), reverse=True)
    assert page.breached >= 1


def test_a_branch_manager_sees_only_their_branch(service_world):
    _cases(service_world, 4)
    own = sla_dashboard(scope=data_scope_for_user(service_world.staff["branch"].user), at=MONDAY + timedelta(days=1))
    everyone = sla_dashboard(scope=data_scope_for_user(service_world.staff["hq"].user), at=MONDAY + timedelta(days=1))
    assert 0 < own.open_cases < everyone.open_cases == 4


@pytest.mark.parametrize("language", ["en", "zh-hant", "zh-hans"])
def test_the_pages_render_for_a_manager(client, service_world, language):
    _cases(service_world, 3)
    client.force_login(service_world.staff["hq"].user)
    client.cookies["django_language"] = language
    assert client.get(reverse("service:sla-dashboard")).status_code == 200
    response = client.get(reverse("service:sla-report"), {"start": "2026-12-01", "end": "2026-12-31"})
    assert response.status_code == 200 and b"sla-trend-data" in response.content


def test_a_bad_period_is_refused_with_a_reason(client, service_world):
    client.force_login(service_world.staff["hq"].user)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("service:sla-report"), {"start": "2026-12-31", "end": "2026-12-01"})
    assert response.status_code == 400
    assert "must not be before its start" in response.content.decode()
    client.cookies["django_language"] = "zh-hant"
    response = client.get(reverse("service:sla-report"), {"start": "2026-12-31", "end": "2026-12-01"})
    assert "期間的結束日不可早於開始日" in response.content.decode()
    response = client.get(reverse("service:sla-report"), {"start": "yesterday", "end": "2026-12-01"})
    assert response.status_code == 400


def test_the_callcentre_cannot_open_the_sla_pages(client, service_world):
    client.force_login(service_world.staff["callcentre"].user)
    assert client.get(reverse("service:sla-dashboard")).status_code == 403

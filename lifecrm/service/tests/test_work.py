"""The service desk's work source: whose open cases are whose work, in which order, in one query."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from lifecrm.core.registries import work_counts, work_sources
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.service import services
from lifecrm.service.models import Case
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
NOW = AT + timedelta(days=2)


def open_case(w, customer, subject, *, priority=None, who="callcentre"):
    return services.case_open(actor=w.staff[who].user, customer=customer, case_type="inquiry", subject=subject,
                              channel="call", opened_at=AT, priority=priority)


def set_due(case, due) -> None:
    """The SLA deadlines are a cache of service.sla (each event refreshes it): set here, after the events, as the
    scenario needs (None: no deadline yet)."""
    Case.objects.filter(pk=case.pk).update(resolution_due=due)


def work(w, who, *, overdue=False, limit=20):
    staff = w.staff[who]
    return work_sources()["service.cases"](scope=data_scope_for_user(staff.user), staff=staff, as_of=NOW.date(),
                                           at=NOW, limit=limit, overdue=overdue)


def count(w, who, *, overdue=False):
    staff = w.staff[who]
    return work_counts()["service.cases"](scope=data_scope_for_user(staff.user), staff=staff, as_of=NOW.date(),
                                          at=NOW, overdue=overdue)


@pytest.fixture
def cases(service_world):
    w = service_world
    other_a = make_customer(branch=w.org.branch_a, name="赵六", name_romanised="Zhao Liu")
    mine = open_case(w, w.customer_a, "Mine")
    services.case_assign(actor=w.staff["callcentre"].user, case=mine, assignee=w.staff["callcentre"], at=AT)
    late = open_case(w, other_a, "Late and nobody's", priority=4)
    urgent = open_case(w, other_a, "Urgent, no deadline yet", priority=1)
    colleague = open_case(w, w.customer_a, "A colleague's")
    services.case_assign(actor=w.staff["branch"].user, case=colleague, assignee=w.staff["claims"], at=AT)
    closed = open_case(w, w.customer_a, "Done")
    services.case_event_append(actor=w.staff["callcentre"].user, case=closed, kind="resolved", at=AT)
    other_branch = open_case(w, w.customer_b, "Shanghai's", who="branch_b")
    for case, due in ((mine, NOW + timedelta(hours=5)), (late, NOW - timedelta(hours=1)), (urgent, None),
                      (colleague, NOW + timedelta(hours=1)), (other_branch, NOW - timedelta(days=1))):
        set_due(case, due)
    return {"mine": mine, "late": late, "urgent": urgent, "colleague": colleague, "closed": closed,
            "b": other_branch}


def subjects(items) -> list[str]:
    return [i.title.split(" · ", 1)[1] for i in items]


def test_a_handler_gets_their_own_and_the_new_unassigned_cases_of_their_scope_earliest_due_first(service_world,
                                                                                                   cases):
    items = work(service_world, "callcentre")
    assert subjects(items) == ["Late and nobody's", "Mine", "Urgent, no deadline yet"]
    late = items[0]
    assert late.kind == "case" and late.source == "service.cases" and late.priority == 4
    assert late.deadline == NOW - timedelta(hours=1) and late.customer_name == "赵六"
    assert late.url == reverse("service:case", args=[cases["late"].pk])
    assert count(service_world, "callcentre") == 3


def test_a_supervisor_gets_every_open_case_of_the_branch_and_never_another_branchs(service_world, cases):
    assert subjects(work(service_world, "branch")) == ["Late and nobody's", "A colleague's", "Mine",
                                                       "Urgent, no deadline yet"]
    assert subjects(work(service_world, "branch_b")) == ["Shanghai's"]
    assert count(service_world, "hq") == 5


def test_an_agent_who_handles_no_case_gets_only_those_assigned_to_them(service_world, cases):
    assert work(service_world, "agent") == [] and count(service_world, "agent") == 0


def test_the_overdue_only(service_world, cases):
    assert subjects(work(service_world, "branch", overdue=True)) == ["Late and nobody's"]
    assert count(service_world, "branch", overdue=True) == 1
    assert subjects(work(service_world, "hq", overdue=True)) == ["Shanghai's", "Late and nobody's"]


def test_one_query_whatever_the_number_of_cases(service_world, cases, django_assert_num_queries):
    w = service_world
    for i in range(6):
        set_due(open_case(w, w.customer_a, f"More {i}"), NOW + timedelta(days=i))
    data_scope_for_user(w.staff["branch"].user)  # the scope is read once per request, before the page
    with django_assert_num_queries(1):
        items = work(w, "branch", limit=5)
    assert len(items) == 5

"""Billing's work sources (renewal phone tasks, an agent's policies in grace) and the home pages' figures."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lifecrm.billing.models import Payment, Reminder
from lifecrm.billing.selectors import collection_figures, receipts_of_the_day
from lifecrm.billing.services import payment_record
from lifecrm.billing.tests.test_views_world import (  # noqa: F401  (the *_fixture names are fixtures)
    AS_OF,
    PREMIUM,
    business_date_fixture,
    outbox_fixture,
    world_fixture,
)
from lifecrm.core.actors import SYSTEM
from lifecrm.core.registries import work_counts, work_sources
from lifecrm.org.selectors import data_scope_for_user

pytestmark = pytest.mark.django_db
NOW = None  # the billing sources read dates only


def scope(world, who):
    return data_scope_for_user(world.staff[who].user)


def items(world, who, source="billing.tasks", *, overdue=False, as_of=AS_OF, limit=20):
    return work_sources()[source](scope=scope(world, who), staff=world.staff[who], as_of=as_of, at=NOW,
                                  limit=limit, overdue=overdue)


def count(world, who, source="billing.tasks", *, overdue=False, as_of=AS_OF):
    return work_counts()[source](scope=scope(world, who), staff=world.staff[who], as_of=as_of, at=NOW,
                                 overdue=overdue)


def task(policy) -> Reminder:
    return Reminder.objects.get(due_item__policy=policy, status="task_open")


def policies(found) -> set[str]:
    return {i.title.rsplit(" ", 1)[1] for i in found}


def test_each_role_gets_the_tasks_of_its_work_list_linked_to_where_they_are_worked(world):
    a, q, b = world.policy_a, world.policy_q, world.policy_b
    outcome = lambda p: reverse("billing:task-outcome", args=[task(p).pk])  # noqa: E731
    reassign = lambda p: reverse("billing:task-reassign", args=[task(p).pk])  # noqa: E731
    assert {(i.title, i.url) for i in items(world, "agent")} == {(f"Renewal call · {a.number}", outcome(a))}
    assert {i.url for i in items(world, "callcentre")} == {outcome(q)}  # branch A's queue
    assert {i.url for i in items(world, "callcentre_hq")} == {outcome(q), outcome(b)}
    # A manager supervises: every task of the branch, each to be handed over.
    assert {i.url for i in items(world, "branch")} == {reassign(a), reassign(q)}
    assert {i.url for i in items(world, "branch_b")} == {reassign(b)}
    # Anyone at HQ helps with the queue: the queue's calls are theirs to make, the agent's to hand over.
    assert {i.url for i in items(world, "hq")} == {reassign(a), outcome(q), outcome(b)}
    for who in ("counter", "claims", "agent_other"):
        assert items(world, who) == [] and count(world, who) == 0
    assert count(world, "hq") == 3


def test_a_task_says_when_for_whom_and_how_urgent(world):
    [item] = items(world, "agent")
    reminder = task(world.policy_a)
    assert item.kind == "renewal_call" and item.source == "billing.tasks"
    assert item.deadline == reminder.scheduled_for and item.priority == 2  # the policy is in grace: high
    assert item.customer_name == world.policy_a.payer.name and item.customer_number == world.policy_a.payer.number
    assert f"CNY {PREMIUM} outstanding" in item.detail and "days overdue" in item.detail


def test_a_task_is_overdue_the_day_after_it_was_scheduled(world):
    scheduled = task(world.policy_a).scheduled_for
    assert items(world, "agent", overdue=True, as_of=scheduled) == []
    assert count(world, "agent", overdue=True, as_of=scheduled) == 0
    assert len(items(world, "agent", overdue=True, as_of=date.fromordinal(scheduled.toordinal() + 1))) == 1


def test_an_agent_gets_their_policies_in_grace_by_the_end_of_grace(world):
    [item] = items(world, "agent", "billing.grace")
    due = world.policy_a.due_items.get(status="open", due_date__lt=AS_OF)
    assert item.title == f"In grace · {world.policy_a.number}" and item.deadline == due.grace_end
    assert item.url == reverse("billing:policy", args=[world.policy_a.pk]) and item.priority == 2
    assert f"CNY {PREMIUM} in arrears" in item.detail
    assert count(world, "agent", "billing.grace") == 1
    assert items(world, "agent", "billing.grace", overdue=True) == []
    after = date.fromordinal(due.grace_end.toordinal() + 1)
    assert count(world, "agent", "billing.grace", overdue=True, as_of=after) == 1
    for who in ("agent_other", "callcentre", "branch", "hq"):  # the managers' figures count them
        assert items(world, who, "billing.grace") == []


def test_one_query_per_source_and_none_for_a_role_without_such_work(world, django_assert_num_queries):
    for who in ("agent", "hq", "counter"):
        scope(world, who)  # read once per request, before the page
    with django_assert_num_queries(1):
        items(world, "hq")
    with django_assert_num_queries(1):
        items(world, "agent", "billing.grace")
    with django_assert_num_queries(0):
        items(world, "counter")
        items(world, "counter", "billing.grace")


def take(world, policy, who, key, *, on=AS_OF):
    staff = world.staff[who] if who else None
    return payment_record(actor=staff.user if staff else SYSTEM, policy_id=policy.pk, amount=Decimal("10.00"),
                          method="cash", received_on=on, natural_key=key, as_of=on, booked_by=staff)


def test_the_receipts_of_the_day_are_those_the_units_staff_took_today(world, django_assert_num_queries):
    first = take(world, world.policy_a, "counter", "k1")  # the counter sits in team A
    second = take(world, world.policy_q, "branch", "k2")  # branch A: not the team's
    take(world, world.policy_a, None, "k3")  # the bank's: nobody's counter
    take(world, world.policy_b, "branch_b", "k4")
    clerk = world.staff["counter"]
    with django_assert_num_queries(1):
        day = receipts_of_the_day(scope=scope(world, "counter"), unit_path=clerk.org_unit.path, on=AS_OF)
    assert [p.pk for p in day.payments] == [first.pk] and day.count == 1
    branch = world.org.branch_a.path
    day = receipts_of_the_day(scope=scope(world, "branch"), unit_path=branch, on=AS_OF, limit=1)
    assert [p.pk for p in day.payments] == [second.pk] and day.count == 2  # the newest first; the list is cut
    assert receipts_of_the_day(scope=scope(world, "counter"), unit_path=clerk.org_unit.path,
                               on=date(2026, 10, 11)).count == 0
    assert Payment.objects.count() == 4


def test_the_figures_of_each_unit_in_three_queries(world, django_assert_num_queries):
    take(world, world.policy_a, "counter", "k1")
    take(world, world.policy_b, "branch_b", "k2")
    prefixes = [world.org.branch_a.path, world.org.branch_b.path]
    hq = scope(world, "hq")
    with django_assert_num_queries(3):
        figures = collection_figures(scope=hq, prefixes=prefixes, as_of=AS_OF)
    a, b = figures[prefixes[0]], figures[prefixes[1]]
    # The payment of 10.00 does not clear a premium of 120.50: every policy stays in grace.
    assert (a.tasks_open, a.in_grace, a.receipts) == (2, 2, 1)
    assert (b.tasks_open, b.in_grace, b.receipts) == (1, 1, 1)
    assert a.tasks_overdue == sum(1 for p in (world.policy_a, world.policy_q) if task(p).scheduled_for < AS_OF)
    # A manager's scope bounds what is counted, whatever the prefix asked for.
    outside = collection_figures(scope=scope(world, "branch_b"), prefixes=[world.org.branch_a.path], as_of=AS_OF)
    assert outside[world.org.branch_a.path] == type(a)(0, 0, 0, 0)

"""Policy selectors: scoped, version as of a date (end exclusive), and a fixed number of queries."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from lifecrm.core.actors import SYSTEM
from lifecrm.org.rules import DataScope, ScopeKind
from lifecrm.policies.selectors import (
    next_due_date,
    policies_for_customer,
    policies_in_scope,
    policy_events_for_customer,
    policy_get,
    policy_ids_for_customer,
    policy_version_on,
)
from lifecrm.policies.services import policy_new_version, policy_transition
from tests.factories import make_customer, make_org, make_policy, make_staff

pytestmark = pytest.mark.django_db
ALL = DataScope(ScopeKind.ALL)


@pytest.fixture
def book():
    org = make_org()
    agent = make_staff("agent", org.team_a)
    owner = make_customer(branch=org.branch_a, agent=agent)
    child = make_customer(branch=org.branch_a, name="张小明", name_romanised="Zhang Xiaoming",
                          birth_date=date(2010, 6, 1))
    own = make_policy(owner=owner, agent=agent, branch=org.team_a)
    for_child = make_policy(owner=owner, insured=child, agent=None, branch=org.branch_b)
    return org, agent, owner, child, own, for_child


def test_policies_in_scope(book):
    org, agent, _, _, own, for_child = book
    assert set(policies_in_scope(ALL)) == {own, for_child}
    assert set(policies_in_scope(DataScope(ScopeKind.SUBTREE, org.branch_a.path))) == {own}
    assert set(policies_in_scope(DataScope(ScopeKind.SUBTREE, org.branch_b.path))) == {for_child}
    assert set(policies_in_scope(DataScope(ScopeKind.OWN_BOOK, org.team_a.path, agent.pk, "agent"))) == {own}
    assert list(policies_in_scope(DataScope(ScopeKind.NONE))) == []


def test_policies_for_customer_with_roles_in_two_queries(book, django_assert_num_queries):
    org, _, owner, child, own, for_child = book
    with django_assert_num_queries(2):
        rows = policies_for_customer(scope=ALL, customer_id=owner.pk)
        summary = {(r.policy.pk, r.roles, r.version.version_no, r.next_due) for r in rows}
    assert summary == {(own.pk, ("owner", "insured", "payer"), 1, date(2022, 4, 30)),
                       (for_child.pk, ("owner", "payer"), 1, date(2022, 4, 30))}
    assert [r.policy.pk for r in policies_for_customer(scope=ALL, customer_id=child.pk)] == [for_child.pk]
    branch_a = DataScope(ScopeKind.SUBTREE, org.branch_a.path)
    assert [r.policy.pk for r in policies_for_customer(scope=branch_a, customer_id=child.pk)] == []
    for _ in range(5):
        make_policy(owner=owner, agent=None, branch=org.branch_a)
    with django_assert_num_queries(2):
        assert len(policies_for_customer(scope=ALL, customer_id=owner.pk)) == 7


def test_a_policy_issued_between_the_two_reads_gets_its_contract_read_alone(book, monkeypatch):
    _, _, owner, _, own, for_child = book
    from lifecrm.policies import selectors

    monkeypatch.setattr(selectors, "_customer_policy_versions", lambda **kwargs: [])  # as if read before the issue
    rows = policies_for_customer(scope=ALL, customer_id=owner.pk)
    assert {(r.policy.pk, r.version.version_no) for r in rows} == {(own.pk, 1), (for_child.pk, 1)}


def test_policy_ids_for_customer(book):
    org, _, owner, child, own, for_child = book
    assert policy_ids_for_customer(scope=ALL, customer_id=owner.pk) == sorted([own.pk, for_child.pk])
    assert policy_ids_for_customer(scope=ALL, customer_id=child.pk) == [for_child.pk]
    assert policy_ids_for_customer(scope=DataScope(ScopeKind.SUBTREE, org.branch_a.path), customer_id=child.pk) == []


def test_policy_get_loads_everything_its_page_shows(book, django_assert_num_queries):
    *_, own, _ = book
    with django_assert_num_queries(5):  # policy with its roles; current version; coverages; products; events
        policy = policy_get(scope=ALL, policy_id=own.pk)
    with django_assert_num_queries(0):
        assert policy.current_versions[0].version_no == 1
        assert [c.product.code for c in policy.coverages.all()] == ["TERM20"]
        assert [e.kind for e in policy.events.all()] == ["issued", "proposed"]
        assert policy.owner.number and policy.agent.name and policy.branch.code


@pytest.mark.parametrize("policy_id", [10**9, "abc", None, -1])
def test_policy_get_unknown_is_404(book, policy_id):
    with pytest.raises(Http404):
        policy_get(scope=ALL, policy_id=policy_id)


def test_policy_get_outside_the_scope_is_404(book):
    org, *_, for_child = book
    with pytest.raises(Http404):
        policy_get(scope=DataScope(ScopeKind.SUBTREE, org.branch_a.path), policy_id=for_child.pk)


def test_version_on_a_date_ends_exclusively(book):
    *_, own, _ = book
    policy_new_version(actor=SYSTEM, policy_id=own.pk, effective_from=date(2024, 3, 31), as_of=date(2024, 3, 31),
                       changes={"sum_assured": Decimal("700000.00")}, reason="increase")
    assert policy_version_on(policy_id=own.pk, on=date(2022, 3, 30)) is None  # before issue
    assert policy_version_on(policy_id=own.pk, on=date(2022, 3, 31)).version_no == 1
    assert policy_version_on(policy_id=own.pk, on=date(2024, 3, 30)).version_no == 1
    assert policy_version_on(policy_id=own.pk, on=date(2024, 3, 31)).version_no == 2
    assert policy_version_on(policy_id=own.pk, on=date(2040, 1, 1)).version_no == 2
    with CaptureQueriesContext(connection) as ctx:
        policy_version_on(policy_id=own.pk, on=date(2023, 1, 1))
    assert len(ctx.captured_queries) == 1


def test_next_due_date_only_while_premiums_are_payable(book):
    *_, own, _ = book
    policy = policy_get(scope=ALL, policy_id=own.pk)
    assert next_due_date(policy) == date(2022, 4, 30)
    policy_transition(actor=SYSTEM, policy_id=own.pk, to_status="paid_up", effective_date=date(2024, 1, 1),
                      as_of=date(2024, 1, 1))
    assert next_due_date(policy_get(scope=ALL, policy_id=own.pk)) is None


def test_policy_events_for_customer_are_scoped_newest_first(book):
    org, _, owner, child, own, for_child = book
    policy_transition(actor=SYSTEM, policy_id=own.pk, to_status="grace", effective_date=date(2024, 5, 1),
                      as_of=date(2024, 5, 1))
    events = list(policy_events_for_customer(scope=ALL, customer_id=owner.pk))
    assert events[0].kind == "transition" and events[0].policy_id == own.pk
    assert [e.effective_date for e in events] == sorted((e.effective_date for e in events), reverse=True)
    assert {e.policy_id for e in events} == {own.pk, for_child.pk}
    branch_b = DataScope(ScopeKind.SUBTREE, org.branch_b.path)
    assert {e.policy_id for e in policy_events_for_customer(scope=branch_b, customer_id=owner.pk)} == {for_child.pk}

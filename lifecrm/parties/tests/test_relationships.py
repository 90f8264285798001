"""Relationship reads: both directions labelled from the other side, paged in label and number order, scoped links,
counts per label, one query each whatever the number of relationships."""
from __future__ import annotations

from datetime import date

import pytest

from lifecrm.core.actors import SYSTEM
from lifecrm.org.rules import DataScope, ScopeKind
from lifecrm.parties.selectors import customer_relationships, relationship_counts
from lifecrm.parties.services import relationship_add
from tests.factories import make_customer, make_org, make_staff

pytestmark = pytest.mark.django_db
ALL = DataScope(ScopeKind.ALL)


@pytest.fixture
def family():
    org = make_org()
    agent = make_staff("agent", org.team_a)
    me = make_customer(branch=org.team_a, agent=agent, name="王小明")
    spouse = make_customer(branch=org.team_a, agent=agent, name="林配偶", sex="F")
    mother = make_customer(branch=org.branch_b, name="王母", sex="F", birth_date=date(1955, 1, 1))
    employer = make_customer(branch=org.branch_b, name="某某有限公司")
    relationship_add(actor=SYSTEM, from_customer=me, to_customer=spouse, kind="spouse", since=date(2010, 5, 1))
    relationship_add(actor=SYSTEM, from_customer=mother, to_customer=me, kind="parent")
    relationship_add(actor=SYSTEM, from_customer=employer, to_customer=me, kind="employer")
    return org, agent, me, spouse, mother, employer


def test_both_directions_are_labelled_from_the_other_side(family):
    _, _, me, spouse, mother, employer = family
    rows = customer_relationships(scope=ALL, customer=me)
    assert [(r.customer, r.label, r.since, r.in_scope) for r in rows] == [
        (employer, "employer", None, True), (mother, "parent", None, True), (spouse, "spouse", date(2010, 5, 1), True),
    ]
    assert [(r.customer, r.label) for r in customer_relationships(scope=ALL, customer=mother)] == [(me, "child")]
    assert [(r.customer, r.label) for r in customer_relationships(scope=ALL, customer=employer)] == [(me, "employee")]
    assert relationship_counts(customer=me) == {"employer": 1, "parent": 1, "spouse": 1}
    assert relationship_counts(customer=employer) == {"employee": 1}
    assert relationship_counts(customer=make_customer(branch=family[0].hq)) == {}


def test_customers_outside_the_scope_are_listed_but_not_in_scope(family):
    org, agent, me, spouse, mother, employer = family
    branch_a = DataScope(ScopeKind.SUBTREE, org.branch_a.path)
    assert {r.customer: r.in_scope for r in customer_relationships(scope=branch_a, customer=me)} == {
        employer: False, mother: False, spouse: True}
    own_book = DataScope(ScopeKind.OWN_BOOK, org.team_a.path, agent.pk, "agent")
    assert {r.customer: r.in_scope for r in customer_relationships(scope=own_book, customer=me)} == {
        employer: False, mother: False, spouse: True}
    nothing = DataScope(ScopeKind.NONE)
    assert not any(r.in_scope for r in customer_relationships(scope=nothing, customer=me))


def test_an_employer_pages_through_its_employees_in_one_query_per_page(family, django_assert_num_queries):
    org, _, _, _, _, employer = family
    employees = [make_customer(branch=org.branch_b, name=f"员工{n}") for n in range(24)]
    for employee in employees:
        relationship_add(actor=SYSTEM, from_customer=employer, to_customer=employee, kind="employer")
    # the first employee (from the fixture) and the 24 new ones, in customer number order
    with django_assert_num_queries(1):
        first = customer_relationships(scope=ALL, customer=employer, offset=0, limit=20)
    with django_assert_num_queries(1):
        rest = customer_relationships(scope=ALL, customer=employer, offset=20, limit=20)
    numbers = [r.customer.number for r in first + rest]
    assert len(first) == 20 and len(rest) == 5
    assert numbers == sorted(numbers) and len(set(numbers)) == 25
    assert {r.label for r in first + rest} == {"employee"}
    with django_assert_num_queries(1):
        assert relationship_counts(customer=employer) == {"employee": 25}

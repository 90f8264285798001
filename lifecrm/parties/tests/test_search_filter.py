"""customer_search_filter (the API list's `q`) finds exactly what customer_search (the workbench box) finds."""
from __future__ import annotations

import pytest

from lifecrm.org.rules import DataScope, ScopeKind
from lifecrm.parties.models import Customer
from lifecrm.parties.selectors import customer_search, customer_search_filter, customers_in_scope
from tests.factories import make_customer, make_org, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    org = make_org()
    agent = make_staff("agent", org.team_a)
    rows = [
        make_customer(branch=org.branch_a, agent=agent, name="张伟", name_romanised="Zhang Wei",
                      mobile_phone="13800138000"),
        make_customer(branch=org.branch_a, name="张伟", name_romanised="Zhang Wei", home_phone="01062345678"),
        make_customer(branch=org.branch_b, name="张小红", name_romanised="Zhang Xiaohong", sex="F"),
        make_customer(branch=org.team_b, agent=agent, name="王芳", name_romanised="Wang Fang", sex="F"),
    ]
    return org, agent, rows


def queries(rows: list[Customer]) -> list[str]:
    first = rows[0]
    return [
        "13800138000", "138 0013 8000", "+8613800138000", "01062345678", "13900000000",
        first.id_number, first.id_number.lower(), "110101199003074477",
        "张", "张伟", "王", "李", "zhang", "Zhang Xiao", "wang fang", "z", "zz", "!!", "", "  ",
    ]


def test_same_answers_in_every_scope(people):
    org, agent, rows = people
    scopes = [
        DataScope(ScopeKind.ALL),
        DataScope(ScopeKind.SUBTREE, org.branch_a.path, None, "branch"),
        DataScope(ScopeKind.SUBTREE, org.branch_b.path, None, "branch"),
        DataScope(ScopeKind.OWN_BOOK, org.team_a.path, agent.pk, "agent"),
        DataScope(ScopeKind.NONE),
    ]
    for scope in scopes:
        for text in queries(rows):
            expected = [c.pk for c in customer_search(scope=scope, query=text, limit=100)]
            filtered = customer_search_filter(customers=customers_in_scope(scope), query=text)
            assert list(filtered.values_list("pk", flat=True)) == expected, (scope, text)


def test_filter_keeps_the_other_filters(people):
    org, _, rows = people
    narrowed = customers_in_scope(DataScope(ScopeKind.ALL)).filter(branch=org.branch_b)
    assert list(customer_search_filter(customers=narrowed, query="张")) == [rows[2]]

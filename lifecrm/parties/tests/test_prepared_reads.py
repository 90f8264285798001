"""Prepared reads (core.prepared) give the rows the plain queryset gives, for every data scope and value, compile
each shape once, and run unprepared when a shape cannot be prepared safely."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Q

from lifecrm.core import prepared as prepared_module
from lifecrm.core.prepared import prepared
from lifecrm.org.rules import DataScope, ScopeKind
from lifecrm.org.selectors import in_scope
from lifecrm.parties.models import Customer
from tests.factories import make_customer, make_org, make_staff

pytestmark = pytest.mark.django_db


@prepared(values=("scope", "born_after", "created_before", "name", "exclude_id"))
def customers_like(*, scope, born_after, created_before, name, exclude_id, limit):
    rows = in_scope(Customer.objects.all(), scope).filter(
        Q(name__startswith=name) | Q(name_romanised__icontains=name), birth_date__gt=born_after,
        created_at__lt=created_before).exclude(pk=exclude_id)
    return rows.select_related("branch").order_by("number")[:limit]


@prepared(values=("count",))
def first_customers(*, count):
    return Customer.objects.order_by("number")[:count]  # a value Django writes into the SQL (LIMIT): never prepared


@pytest.fixture
def book():
    org = make_org()
    agent = make_staff("agent", org.team_a)
    people = [
        make_customer(branch=org.team_a, agent=agent, name="王小明", name_romanised="Wang Xiaoming",
                      birth_date=date(1990, 1, 1)),
        make_customer(branch=org.team_a, name="王_大%明", name_romanised="Wang Daming", birth_date=date(1985, 6, 1)),
        make_customer(branch=org.branch_b, name="王芳", name_romanised="Wang Fang", birth_date=date(1970, 3, 3)),
        make_customer(branch=org.branch_b, name="李四", name_romanised="Li Si", birth_date=date(1995, 8, 8)),
    ]
    return org, agent, people


def _scopes(org, agent):
    return [DataScope(ScopeKind.ALL, role="hq"), DataScope(ScopeKind.SUBTREE, org.branch_a.path, role="manager"),
            DataScope(ScopeKind.SUBTREE, org.branch_b.path, role="manager"),
            DataScope(ScopeKind.OWN_BOOK, org.team_a.path, agent.pk, "agent"), DataScope(ScopeKind.NONE)]


def test_a_prepared_read_gives_the_rows_of_the_plain_queryset(book):
    org, agent, people = book
    cases = [("王", date(1960, 1, 1)), ("王_", date(1960, 1, 1)), ("王_大%", date(1960, 1, 1)), ("wang", date(1980, 1, 1)),
             ("Li", date(1900, 1, 1)), ("", date(1989, 12, 31)), ("王", date(1990, 1, 1))]
    for scope in _scopes(org, agent):
        for name, born_after in cases:
            for exclude in (people[0].pk, -1):
                kwargs = dict(scope=scope, born_after=born_after, created_before=datetime(2030, 1, 1, tzinfo=UTC),
                              name=name, exclude_id=exclude, limit=3)
                got = customers_like(**kwargs)
                assert got == list(customers_like.unprepared(**kwargs)), (scope, name, born_after, exclude)
                assert all(c.branch.pk == c.branch_id for c in got)  # select_related populated
    # every scope's shape ran prepared but the scope that sees nothing (its query matches nothing: no SQL)
    assert {next(part for part in shape if part[0] == "scope")[2][0]
            for (build, shape), found in prepared_module._local.shapes.items()
            if build is customers_like.unprepared and found is not prepared_module._UNPREPARED} == {
        ScopeKind.ALL, ScopeKind.SUBTREE, ScopeKind.OWN_BOOK}


def test_each_shape_compiles_once_and_then_only_runs(book, django_assert_num_queries):
    org, agent, people = book
    scope = DataScope(ScopeKind.SUBTREE, org.branch_a.path, role="manager")
    kwargs = dict(scope=scope, born_after=date(1900, 1, 1), created_before=datetime(2030, 1, 1, tzinfo=UTC), name="王",
                  exclude_id=-1, limit=5)
    customers_like(**kwargs)
    compiled = []
    original = prepared_module._Shape.__init__

    def counting(self, *args, **kw):
        compiled.append(1)
        original(self, *args, **kw)

    prepared_module._Shape.__init__ = counting
    try:
        with django_assert_num_queries(1):
            assert [c.name for c in customers_like(**{**kwargs, "name": "王_"})] == ["王_大%明"]
        other_branch = DataScope(ScopeKind.SUBTREE, org.branch_b.path, role="manager")
        assert [c.name for c in customers_like(**{**kwargs, "scope": other_branch})] == ["王芳"]
        assert compiled == []  # the same shape: a new unit path is a value
        customers_like(**{**kwargs, "limit": 2})  # a new limit is a new shape
        assert compiled == [1]
    finally:
        prepared_module._Shape.__init__ = original


def test_a_value_written_into_the_sql_runs_unprepared(book):
    _, _, people = book
    for count in (1, 3, 4):
        assert first_customers(count=count) == sorted(people, key=lambda c: c.number)[:count]



def test_a_value_of_another_type_than_its_field_runs_unprepared(book):
    _, _, people = book
    kwargs = dict(scope=DataScope(ScopeKind.ALL), born_after=date(1900, 1, 1),
                  created_before=datetime(2030, 1, 1, tzinfo=UTC), name="王", limit=5)
    assert customers_like(**kwargs, exclude_id=str(people[0].pk)) == customers_like(**kwargs, exclude_id=people[0].pk)
    assert customers_like(**kwargs, exclude_id=Decimal(people[0].pk)) == customers_like(**kwargs, exclude_id=people[0].pk)


@prepared(values=())
def named(*, names):
    return Customer.objects.filter(name__in=names).order_by("number")


def test_a_shape_that_cannot_be_a_key_runs_unprepared(book):
    _, _, people = book
    assert named(names=["王芳", "李四"]) == [people[2], people[3]]  # a list: not hashable


@prepared(values=("name",))
def same_name(*, name):
    return Customer.objects.filter(name__iexact=name).order_by("number")


@prepared(values=("born",))
def born_the_day_before(*, born):
    return Customer.objects.filter(birth_date=born - timedelta(days=1)).order_by("number")


def test_iexact_and_a_changed_value_give_the_plain_rows(book):
    _, _, people = book
    assert same_name(name="王_大%明") == [people[1]] and same_name(name="王__%明") == []  # `_` and `%` are no wildcards
    assert born_the_day_before(born=date(1990, 1, 2)) == [people[0]]  # the value the builder changed is used
    assert born_the_day_before(born=date(1985, 6, 2)) == [people[1]]

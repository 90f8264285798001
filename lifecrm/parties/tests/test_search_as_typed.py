"""Search as a call-centre agent types: a name or address in either script, a phone number however it is
written, a customer number, an e-mail address; the true number of matches, a page at a time."""
from __future__ import annotations

import importlib
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecrm.org.rules import DataScope, ScopeKind
from lifecrm.parties.models import Customer
from lifecrm.parties.search_keys import search_form
from lifecrm.parties.selectors import (
    customer_search,
    customer_search_filter,
    customer_search_page,
    customers_in_scope,
)
from tests.factories import make_customer, make_org, make_staff

pytestmark = pytest.mark.django_db
EVERYTHING = DataScope(ScopeKind.ALL)


def found(text: str, scope: DataScope = EVERYTHING) -> list[str]:
    """The numbers the workbench search finds; the API's filter must find the same."""
    numbers = [c.number for c in customer_search(scope=scope, query=text, limit=100)]
    filtered = customer_search_filter(customers=customers_in_scope(scope), query=text)
    assert [c.number for c in filtered] == numbers, text
    return numbers


@pytest.fixture
def org():
    return make_org()


class TestEitherScript:
    @pytest.fixture
    def people(self, org):
        return {
            "simplified": make_customer(branch=org.branch_a, name="张伟", name_romanised="Zhang Wei",
                                        address="北京市东城区东华门街道 18 号"),
            "traditional": make_customer(branch=org.branch_a, name="陳美玲", name_romanised="Chan Mei Ling", sex="F",
                                         address="香港九龍油尖旺區彌敦道 100 號 8 樓 A 室"),
            "taiwan": make_customer(branch=org.branch_b, name="劉志明", name_romanised="Liu Chih-ming",
                                    address="臺北市大安區忠孝東路四段 1 號"),
        }

    @pytest.mark.parametrize(("typed", "who"), [
        ("張", "simplified"), ("張偉", "simplified"), ("张", "simplified"),
        ("陈", "traditional"), ("陈美玲", "traditional"), ("陳美", "traditional"),
        ("刘志明", "taiwan"),
    ])
    def test_a_name_in_one_script_finds_it_written_in_the_other(self, people, typed, who):
        assert found(typed) == [people[who].number]

    @pytest.mark.parametrize(("typed", "who"), [
        ("東華門街道", "simplified"), ("东华门街道18号", "simplified"), ("北京市東城區", "simplified"),
        ("弥敦道", "traditional"), ("弥敦道100号", "traditional"), ("彌敦道 100 號", "traditional"),
        ("台北市大安区", "taiwan"), ("忠孝东路", "taiwan"),
    ])
    def test_a_part_of_an_address_in_either_script(self, people, typed, who):
        assert found(typed) == [people[who].number]

    def test_an_address_is_searched_from_three_characters(self, people):
        assert found("弥敦") == []  # two characters would match a good part of a real book
        assert found("大安") == []

    def test_a_name_comes_before_an_address(self, org, people):
        namesake = make_customer(branch=org.branch_a, name="彌敦道", name_romanised="Mi Dundao")
        assert found("弥敦道") == [namesake.number]

    def test_the_scope_still_applies(self, org, people):
        branch_a = DataScope(ScopeKind.SUBTREE, org.branch_a.path, None, "branch")
        assert found("刘志明", branch_a) == [] and found("忠孝东路", branch_a) == []
        assert found("陈美玲", branch_a) == [people["traditional"].number]


class TestExactKeys:
    @pytest.mark.parametrize(("stored", "typed"), [
        ("91234567", "+852 9123-4567"),
        ("91234567", "+852 9123 4567"),
        ("91234567", "00852 9123 4567"),
        ("0912345678", "+886 912 345 678"),
        ("0912345678", "0912-345-678"),
        ("13800138000", "+86 138 0013 8000"),
        ("13800138000", "+86-138-0013-8000"),
        ("+85291234567", "9123 4567"),  # stored with its country code, typed without
        ("+886912345678", "0912 345 678"),
    ])
    def test_a_mobile_number_with_or_without_country_code(self, org, stored, typed):
        customer = make_customer(branch=org.branch_a, mobile_phone=stored)
        make_customer(branch=org.branch_a)  # someone else
        with CaptureQueriesContext(connection) as queries:
            numbers = [c.number for c in customer_search(scope=EVERYTHING, query=typed)]
        assert numbers == [customer.number]
        assert len(queries) == 1

    def test_a_home_number_written_with_dashes_is_stored_as_digits_and_found(self, org):
        customer = make_customer(branch=org.branch_a, home_phone="(010) 6234-5678")
        assert customer.home_phone == "01062345678"
        assert found("+86 10 6234 5678") == [customer.number]

    def test_a_customer_number_in_any_case(self, org):
        customer = make_customer(branch=org.branch_a)
        make_customer(branch=org.branch_a)
        assert found(customer.number.lower()) == [customer.number]
        assert found(f" {customer.number} ") == [customer.number]

    def test_an_email_address_in_any_case(self, org):
        customer = make_customer(branch=org.branch_a, email="Xiaoming.Wang@Example.com")
        make_customer(branch=org.branch_a, email="someone@example.com")
        assert found("xiaoming.wang@example.com") == [customer.number]
        assert found("XIAOMING.WANG@EXAMPLE.COM") == [customer.number]
        assert found("xiaoming@example.com") == []

    def test_an_id_number_is_never_sent_as_a_customer_number(self, org):
        customer = make_customer(branch=org.branch_a)
        with CaptureQueriesContext(connection) as queries:
            assert found(customer.id_number) == [customer.number]
        assert all(customer.id_number not in q["sql"] for q in queries)


class TestTrueCount:
    @pytest.fixture
    def thirty_wangs(self, org):
        agent = make_staff("agent", org.team_a)
        wangs = [make_customer(branch=org.branch_a, agent=agent if n < 4 else None, name=f"王{n:02d}",
                               name_romanised=f"Wang {n:02d}") for n in range(30)]
        make_customer(branch=org.branch_a, name="李娜", name_romanised="Li Na")
        return agent, wangs

    def test_every_match_is_counted_and_paged(self, thirty_wangs):
        _, wangs = thirty_wangs
        with CaptureQueriesContext(connection) as queries:
            first = customer_search_page(scope=EVERYTHING, query="王")
        assert first.total == 30 and len(first.customers) == 25 and first.page_count == 2
        assert (first.first_index, first.last_index, first.next_number) == (1, 25, 2)
        assert len(queries) == 2  # the page, and the count because the page is full
        with CaptureQueriesContext(connection) as queries:
            second = customer_search_page(scope=EVERYTHING, query="王", page=2)
        assert second.total == 30 and (second.first_index, second.last_index) == (26, 30)
        assert second.previous_number == 1 and second.next_number is None
        assert len(queries) == 2  # the count, then the page
        assert [c.number for c in first.customers + second.customers] == [c.number for c in wangs]

    def test_a_page_beyond_the_last_shows_the_last(self, thirty_wangs):
        page = customer_search_page(scope=EVERYTHING, query="wang", page=99)
        assert page.number == 2 and len(page.customers) == 5 and page.total == 30

    def test_a_short_list_is_counted_without_a_count(self, thirty_wangs):
        with CaptureQueriesContext(connection) as queries:
            page = customer_search_page(scope=EVERYTHING, query="王", per_page=50)
        assert page.total == 30 and len(queries) == 1

    def test_the_count_is_the_scopes(self, org, thirty_wangs):
        agent, _ = thirty_wangs
        own_book = DataScope(ScopeKind.OWN_BOOK, org.team_a.path, agent.pk, "agent")
        assert customer_search_page(scope=own_book, query="王").total == 4
        assert customer_search_page(scope=DataScope(ScopeKind.NONE), query="王").total == 0

    def test_no_match(self, thirty_wangs):
        page = customer_search_page(scope=EVERYTHING, query="赵", page=3)
        assert (page.total, page.customers, page.number, page.matched_on) == (0, [], 1, "")


def test_the_migration_fills_the_search_forms_of_the_customers_already_there(org):
    people = [make_customer(branch=org.branch_a, name="陳大文", address="香港中環皇后大道中 1 號"),
              make_customer(branch=org.branch_a, name="张伟", address="")]
    Customer.objects.update(name_folded="", address_folded="")
    assert found("陈大文") == []
    migration = importlib.import_module("lifecrm.parties.migrations.0004_customer_search_forms")
    # what the function uses of a schema editor (a real one cannot open inside the test's transaction on SQLite)
    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    migration.fill_search_forms(apps, editor)
    assert found("陈大文") == [people[0].number] and found("皇后大道") == [people[0].number]
    assert found("張偉") == [people[1].number]


def test_a_generated_book_is_searchable_in_either_script():
    """The generator writes the search forms in bulk (parties.search_keys.search_forms) as the service does."""
    call_command("seed", customers="150", seed="3", as_of="2026-11-25", jurisdiction="HK", no_progress=True,
                 stdout=StringIO())
    customers = list(Customer.objects.order_by("pk"))
    assert len(customers) == 150
    for customer in customers:
        assert customer.name_folded == search_form(customer.name), customer.name
        assert customer.address_folded == search_form(customer.address), customer.address
    # Hong Kong's book is written in Traditional characters; the search is typed in Simplified
    person = next(c for c in customers if c.kind == "person" and search_form(c.name) != c.name)
    assert person.number in found(search_form(person.name))
    street = search_form(person.address)[3:9]
    assert street != person.address[3:9]
    matches = customer_search_filter(customers=customers_in_scope(EVERYTHING), query=street)
    assert matches.filter(pk=person.pk).exists()

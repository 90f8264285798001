"""Searches go through an index: phone, ID number (its keyed hash), customer and policy number, e-mail, one
query each; a name prefix in either script, its count and a part of an address too.

A few thousand customers and policies are inserted, the statistics refreshed (ANALYZE) and the GIN
indexes' pending lists merged so that the planner's choice is the one it makes on a real book; the plan is read with EXPLAIN (QUERY PLAN).
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecrm.core.fields import keyed_hash
from lifecrm.org.rules import DataScope, ScopeKind
from lifecrm.parties.models import Customer
from lifecrm.parties.rules import prc_id_check_digit, romanised_search_key
from lifecrm.parties.search_keys import search_form
from lifecrm.parties.selectors import _search_stages, customer_search, customers_in_scope
from lifecrm.policies.models import Policy
from lifecrm.policies.selectors import policy_find_by_number
from tests.factories import make_org, make_product

pytestmark = pytest.mark.django_db

BOOK_SIZE = 3000
EVERYTHING = DataScope(ScopeKind.ALL)
# Traditional characters: the search is typed in Simplified. 30 surnames × 40 × 40 given names.
SURNAMES = "陳張劉黃趙吳鄭馮蔣沈韓楊朱許呂蘇盧葉魏陸鄧蕭羅謝鍾馬孫錢周林"
GIVEN = "偉強國華軍傑濤鵬輝剛麗豔靜敏娟蘭鳳霞穎嘉慧誠義禮賢樂東龍鳴聰寶勝達飛雲海誼順雄鋒"


def name_of(n: int) -> str:
    return f"{SURNAMES[n % 30]}{GIVEN[n // 30 % 40]}{GIVEN[n // 1200 % 40]}"


def romanised_of(n: int) -> str:
    """A romanised name of letters only (as romanised_search_key keeps them): wang fang bcde for 1234."""
    return "Zhang Wei" if n % 3 else "Wang Fang " + "".join(chr(ord("a") + int(d)) for d in f"{n:04d}")


def address_of(n: int) -> str:
    return f"香港九龍彌敦道{n}號{n % 30 + 1}樓"


def id_number(n: int) -> str:
    first17 = f"1101011980{(n // 28) % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    return first17 + prc_id_check_digit(first17)


@pytest.fixture
def book():
    """BOOK_SIZE customers in two branches, each owning one policy; statistics refreshed."""
    org = make_org()
    product = make_product()
    now = datetime(2024, 1, 1, tzinfo=UTC)
    customers = []
    for n in range(BOOK_SIZE):
        branch = org.branch_a if n % 2 else org.team_b
        number = id_number(n)
        customers.append(Customer(
            number=f"C{n:09d}", name=name_of(n), name_romanised=romanised_of(n),
            name_search=romanised_search_key(romanised_of(n)), name_folded=search_form(name_of(n)),
            address=address_of(n), address_folded=search_form(address_of(n)), email=f"Person.{n}@Example.com",
            sex="M", birth_date=date(1980, 1, 1), id_type="prc_id", id_number=number,
            id_number_digest=keyed_hash(number), id_number_last4=number[-4:], mobile_phone=f"139{n:08d}",
            home_phone=f"010{n:08d}" if n % 5 == 0 else "", branch=branch, branch_path=branch.path,
            created_at=now,
        ))
    Customer.objects.bulk_create(customers, batch_size=500)
    customers = list(Customer.objects.order_by("pk"))
    Policy.objects.bulk_create(
        (Policy(number=f"P{n:010d}", product=product, owner=c, insured=c, payer=c, branch_id=c.branch_id,
                branch_path=c.branch_path, channel="agency", application_date=date(2023, 1, 1),
                issue_date=date(2023, 1, 1), premium_term_years=20, status="in_force", status_date=date(2023, 1, 1),
                created_at=now)
         for n, c in enumerate(customers)),
        batch_size=500,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "postgresql":
            # A GIN index first gathers new rows in a pending list, which the planner adds to a GIN scan's cost
            # until autovacuum merges it: merged here as it is on a real book, or the trigram plans depend on
            # whether autovacuum happened to visit the table during the test.
            cursor.execute(
                "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'gin'"
                " AND i.indrelid IN ('parties_customer'::regclass, 'policies_policy'::regclass)"
            )
    return org


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return "\n".join(row[-1] for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def assert_uses_an_index(sql: str, table: str, column: str) -> None:
    """The table is reached through an index on `column` (or a multi-index OR of such), never scanned."""
    plan = explain(sql)
    if connection.vendor == "sqlite":
        lines = [line for line in plan.splitlines() if table in line]
        assert lines, plan
        for line in lines:
            assert line.startswith("SEARCH") and ("USING INDEX" in line or "USING COVERING INDEX" in line), plan
        assert any(f"({column}=?)" in line for line in lines), plan
    else:
        assert f"Seq Scan on {table}" not in plan, plan
        assert any(kind in plan for kind in ("Index Scan", "Bitmap Index Scan", "Index Only Scan")), plan
        assert column in plan, plan


def captured(func, **kwargs):
    with CaptureQueriesContext(connection) as ctx:
        result = func(**kwargs)
    return result, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("scope_kind", ["all", "subtree"])
def test_exact_phone_is_one_indexed_query(book, scope_kind):
    scope = EVERYTHING if scope_kind == "all" else DataScope(ScopeKind.SUBTREE, book.branch_a.path, None, "branch")
    found, queries = captured(customer_search, scope=scope, query="139 0000 1235")
    assert [c.mobile_phone for c in found] == ["13900001235"]
    assert len(queries) == 1
    assert_uses_an_index(queries[0], "parties_customer", "mobile_phone")


def test_home_phone_is_found_through_its_index_too(book):
    found, queries = captured(customer_search, scope=EVERYTHING, query="01000000010")
    assert [c.home_phone for c in found] == ["01000000010"]
    assert len(queries) == 1
    assert_uses_an_index(queries[0], "parties_customer", "home_phone")


def test_id_number_is_one_query_on_its_keyed_hash(book):
    target = id_number(1234)
    found, queries = captured(customer_search, scope=EVERYTHING, query=target.lower())
    assert [c.number for c in found] == ["C000001234"]
    assert len(queries) == 1
    assert target not in queries[0] and keyed_hash(target) in queries[0]  # the plain number is never sent
    assert_uses_an_index(queries[0], "parties_customer", "id_number_digest")


def test_policy_number_is_one_indexed_query(book):
    found, queries = captured(policy_find_by_number, scope=EVERYTHING, number=" p0000002999 ")
    assert found.number == "P0000002999" and found.owner.number == "C000002999"
    assert len(queries) == 1
    assert_uses_an_index(queries[0], "policies_policy", "number")


@pytest.mark.parametrize("text", ["王美麗", "138 0013 8000", "P" * 21])
def test_what_no_policy_number_looks_like_costs_no_query(book, text):
    found, queries = captured(policy_find_by_number, scope=EVERYTHING, number=text)
    assert found is None and queries == []


def test_policy_number_outside_the_scope_is_not_found(book):
    scope = DataScope(ScopeKind.SUBTREE, book.branch_a.path, None, "branch")
    assert policy_find_by_number(scope=scope, number="P0000000002") is None  # team B
    assert policy_find_by_number(scope=scope, number="P0000000001").number == "P0000000001"


def test_full_width_id_number_from_a_chinese_input_method_is_found(book):
    target = id_number(77)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in target)
    assert [c.number for c in customer_search(scope=EVERYTHING, query=full_width)] == ["C000000077"]


def test_full_width_romanised_name_is_found(book):
    assert len(customer_search(scope=EVERYTHING, query="ｚｈａｎｇ ｗｅｉ", limit=5)) == 5


def test_an_id_number_is_not_also_tried_as_a_phone():
    from lifecrm.parties.selectors import SearchQuery

    assert SearchQuery("110101199003074477").phone is None  # 18 digits: more than any phone number
    assert SearchQuery("+86 138 0013 8000").phone == "+8613800138000"
    assert SearchQuery("+852 9123 4567").phone == "+85291234567"
    assert SearchQuery("123456").phone is None


def test_full_width_phone_is_found(book):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "13900000042")
    assert [c.number for c in customer_search(scope=EVERYTHING, query=full_width)] == ["C000000042"]


def assert_reads_index(sql: str, index: str, *, ordered: bool = False) -> None:
    """The customers are read through `index`, never scanned; `ordered`: in the index's order, not sorted."""
    plan = explain(sql)
    if connection.vendor == "sqlite":
        lines = [line for line in plan.splitlines() if "parties_customer" in line]
        assert lines and all(line.startswith("SEARCH") for line in lines), plan
        assert any(f"INDEX {index}" in line for line in lines), plan
        assert not ordered or "TEMP B-TREE" not in plan, plan
    else:
        assert "Seq Scan on parties_customer" not in plan, plan
        assert index in plan, plan
        assert not ordered or "Sort" not in plan, plan


def stage_sql(query: str, scope: DataScope = EVERYTHING) -> tuple[str, str]:
    """The SQL of the page and of the count of the stage that answers `query`."""
    for stage in _search_stages(customers_in_scope(scope), query):
        if stage.final or stage.customers.exists():
            page, count = stage.customers[:25], stage.customers.order_by()
            with CaptureQueriesContext(connection) as ctx:
                list(page)
                count.count()
            return ctx.captured_queries[0]["sql"], ctx.captured_queries[1]["sql"]
    raise AssertionError(f"no stage answers {query!r}")


@pytest.mark.parametrize("scope_kind", ["all", "subtree"])
def test_a_name_prefix_in_the_other_script_is_read_in_order_from_one_index(book, scope_kind):
    scope = EVERYTHING if scope_kind == "all" else DataScope(ScopeKind.SUBTREE, book.branch_a.path, None, "branch")
    found, queries = captured(customer_search, scope=scope, query="张伟")  # stored as 張偉…
    assert found and all(c.name.startswith("張偉") for c in found)
    assert len(queries) == 1
    assert_reads_index(queries[0], "customer_name_folded_idx", ordered=True)


@pytest.mark.parametrize("scope_kind", ["all", "subtree"])  # an agent's book is counted through the agent's index
def test_counting_a_name_prefix_needs_the_index_alone(book, scope_kind):
    scope = EVERYTHING if scope_kind == "all" else DataScope(ScopeKind.SUBTREE, book.branch_a.path, None, "branch")
    _, count_sql = stage_sql("陈", scope)
    assert_reads_index(count_sql, "customer_name_folded_idx")
    if connection.vendor == "postgresql":
        # Freshly inserted rows are not all-visible yet (no VACUUM inside a test's transaction), so the planner
        # would rather visit the table: without bitmap scans it shows that the index holds all the count needs.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
        assert "Index Only Scan using customer_name_folded_idx" in explain(count_sql)


def test_a_romanised_prefix_is_read_in_order_from_one_index(book):
    found, queries = captured(customer_search, scope=EVERYTHING, query="Wang Fang BC")
    assert [c.number for c in found] == [f"C{n:09d}" for n in range(1200, 1300) if n % 3 == 0][:25]
    assert_reads_index(queries[0], "customer_name_search_idx", ordered=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_a_part_of_an_address_in_the_other_script_is_found_through_trigrams(book):
    found, queries = captured(customer_search, scope=EVERYTHING, query="弥敦道1234号")
    assert [c.number for c in found] == ["C000001234"]
    page_sql, count_sql = stage_sql("弥敦道1234号")
    assert_reads_index(page_sql, "customer_address_folded_idx")
    assert_reads_index(count_sql, "customer_address_folded_idx")


def test_an_email_address_is_one_query_on_its_lower_case_index(book):
    found, queries = captured(customer_search, scope=EVERYTHING, query="PERSON.42@example.COM")
    assert [c.number for c in found] == ["C000000042"]
    assert len(queries) == 1
    assert_reads_index(queries[0], "customer_email_lower_idx")


def test_a_customer_number_is_one_indexed_query(book):
    found, queries = captured(customer_search, scope=EVERYTHING, query="c000002345")
    assert [c.number for c in found] == ["C000002345"]
    assert len(queries) == 1
    assert_uses_an_index(queries[0], "parties_customer", "number")


def test_a_phone_with_its_country_code_is_one_indexed_query(book):
    found, queries = captured(customer_search, scope=EVERYTHING, query="+86 139-0000-1235")
    assert [c.mobile_phone for c in found] == ["13900001235"]
    assert len(queries) == 1
    assert_uses_an_index(queries[0], "parties_customer", "mobile_phone")

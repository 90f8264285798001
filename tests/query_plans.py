"""EXPLAIN for tests: which scans of the book's tables (customers, policies, relationships, events) no index narrows.

A test captures a page's queries (CaptureQueriesContext) and asks `unindexed_scans` about each. The plan is made
the same whatever a test database of a few rows and its last ANALYZE say:
- every book table counts the same rows (BOOK_TABLE_ROWS) and has no column statistics, so a plan depends neither
  on when autovacuum last analysed a handful of rows nor on the dead pages earlier tests left (a flaky check);
- sequential scans are disabled, so one remains only where no index can answer the query at all;
- merge and hash joins are off, so a join reads its inner side as it would for one customer's rows (a nested loop
  through an index).
All of it in a savepoint that is rolled back. An index scan without an index condition walks the whole index (a
sequential scan in index order): it counts as unindexed too.
"""
from __future__ import annotations

import json

from django.db import transaction

# Tables that grow with the book. Reference data (dunning plans and steps, products, org units, staff) and the
# premium ledger's one-row opening stay small whatever the book size and may be scanned.
BOOK_TABLE_PREFIXES = ("parties_", "policies_", "banking_", "billing_", "core_auditevent")
REFERENCE_TABLES = frozenset({"billing_dunningplan", "billing_dunningstep", "billing_ledgeropening"})
FULL_SCANS = frozenset({"Seq Scan"})
INDEX_SCANS = frozenset({"Index Scan", "Index Only Scan"})
PLANNER_OFF = ("enable_seqscan", "enable_mergejoin", "enable_hashjoin")
# Every book table the same size, whatever rows earlier tests left behind as dead pages, and no column statistics:
# the planner reads a table's rows as its actual pages times pg_class's density (reltuples / relpages), so relpages
# set to the actual pages and reltuples to BOOK_TABLE_ROWS make it count that many rows; without pg_statistic's rows
# it uses its default selectivities (0.5 % for an equality), so a lookup by customer or policy finds about five rows,
# as in the full book (a customer holds a few policies, relationships, events per policy). An empty table keeps the
# "never analysed" estimate (ten pages of rows). Autovacuum analyses the test tables at moments no test controls:
# after an ANALYZE of five customers, one of them related to three others, a walk of every customer or of every
# relationship looked cheapest to the planner (the check failed now and then), and on a few thousand dead pages left
# by a search test a walk of every policy event did.
BOOK_TABLE_ROWS = 1000
BOOK_SIZED = """
WITH book AS (
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind = 'r'
      AND EXISTS (SELECT FROM unnest(%s::text[]) AS prefix WHERE starts_with(c.relname, prefix))
      AND NOT c.relname = ANY (%s::text[])
), sized AS (
    UPDATE pg_class c SET relallvisible = 0,
        relpages = pg_relation_size(c.oid) / current_setting('block_size')::int,
        reltuples = CASE WHEN pg_relation_size(c.oid) > 0 THEN %s ELSE -1 END
    FROM book WHERE c.oid = book.oid RETURNING c.oid
)
DELETE FROM pg_statistic WHERE starelid IN (SELECT oid FROM sized)
"""


def is_book_table(table: str) -> bool:
    return table.startswith(BOOK_TABLE_PREFIXES) and table not in REFERENCE_TABLES


def _unindexed(node: dict, found: list[str]) -> list[str]:
    table = node.get("Relation Name", "")
    kind = node.get("Node Type", "")
    if is_book_table(table):
        if kind in FULL_SCANS:
            found.append(f"{kind} on {table}")
        elif kind in INDEX_SCANS and "Index Cond" not in node:
            found.append(f"{kind} on {table} using {node.get('Index Name')} without an index condition")
    for child in node.get("Plans", ()):
        _unindexed(child, found)
    return found


def query_plan(connection, sql: str) -> dict:
    """The plan PostgreSQL makes for `sql` (as captured, parameters inlined) with the book's tables all one size
    and no statistics, sequential scans, merge and hash joins disabled."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(BOOK_SIZED, [list(BOOK_TABLE_PREFIXES), list(REFERENCE_TABLES), BOOK_TABLE_ROWS])
        for setting in PLANNER_OFF:
            cursor.execute(f"SET LOCAL {setting} = off")  # undone with the savepoint
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
        transaction.set_rollback(True, using=connection.alias)
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def unindexed_scans(connection, sql: str) -> list[str]:
    """The scans of book tables in `sql`'s plan that no index condition narrows (empty: every one is indexed)."""
    return _unindexed(query_plan(connection, sql), [])


def reads(captured_queries) -> list[str]:
    """The SELECTs among captured queries (savepoints, SETs and writes such as the session's are not plans)."""
    return [q["sql"] for q in captured_queries if q["sql"].lstrip().upper().startswith(("SELECT", "WITH", "("))]

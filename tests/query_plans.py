"""EXPLAIN for tests: which scans of the book's tables (customers, policies, relationships, events) no index narrows.

A test captures a page's queries (CaptureQueriesContext) and asks `unindexed_scans` about each. The plan is made
with `enable_seqscan = off`, so a sequential scan remains only where no index can answer the query at all, and
with merge and hash joins off, so a join reads its inner side as it would for one customer's rows in the full
book (a nested loop through an index): a test database of a few rows then judges a query as the full book
would, whatever its statistics say today (on a handful of rows a merge join that walks a whole index can look
cheaper, depending on when the table was last analysed: autovacuum is off in the test database, see the root
conftest). An index scan without an index condition walks the whole index (a sequential scan in index order): it
counts as unindexed too.
"""
from __future__ import annotations

import json

from lifecrm.core.appendonly import audit_maintenance

# Tables that grow with the book. Reference data (dunning plans and steps, entitlements, products, org units, staff)
# and the premium ledger's one-row opening stay small whatever the book size and may be scanned.
BOOK_TABLE_PREFIXES = ("parties_", "policies_", "banking_", "billing_", "notifications_", "core_auditevent")
REFERENCE_TABLES = frozenset({"billing_dunningplan", "billing_dunningstep", "billing_ledgeropening",
                              "parties_entitlement"})
FULL_SCANS = frozenset({"Seq Scan"})
INDEX_SCANS = frozenset({"Index Scan", "Index Only Scan"})
PLANNER_OFF = ("enable_seqscan", "enable_mergejoin", "enable_hashjoin")


def fresh_book_tables(connection) -> None:
    """Empty the book's tables in the test's transaction (TRUNCATE makes new, empty files; the rollback brings the
    old ones back): the plans then see a book of the few rows the test writes, as if the database were new, and not
    the dead pages rows rolled back by earlier tests left behind (a search test's thousands of customers made a walk
    of every policy event look cheap)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace")
        tables = [t for (t,) in cursor.fetchall() if is_book_table(t)]
    # the audit trail is emptied with the rest (CASCADE reaches it): through its maintenance path, as a flush does
    with audit_maintenance(connection.alias), connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE")


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
    """The plan PostgreSQL makes for `sql` (as captured, parameters inlined) with sequential scans, merge and hash
    joins disabled."""
    with connection.cursor() as cursor:
        for setting in PLANNER_OFF:
            cursor.execute(f"SET LOCAL {setting} = off")
        try:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
        finally:
            for setting in PLANNER_OFF:
                cursor.execute(f"RESET {setting}")
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def unindexed_scans(connection, sql: str) -> list[str]:
    """The scans of book tables in `sql`'s plan that no index condition narrows (empty: every one is indexed)."""
    return _unindexed(query_plan(connection, sql), [])


def reads(captured_queries) -> list[str]:
    """The SELECTs among captured queries (savepoints, SETs and writes such as the session's are not plans)."""
    return [q["sql"] for q in captured_queries if q["sql"].lstrip().upper().startswith(("SELECT", "WITH", "("))]

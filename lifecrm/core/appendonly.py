"""The audit trail is append-only in the database itself (migration core 0006): a trigger on PostgreSQL and on
SQLite refuses every UPDATE and DELETE of `core_auditevent`, whatever the client (ORM, raw SQL, psql).

One documented maintenance path may delete rows: `audit_maintenance()`, used by `lifecrm flush` (Django's
flush, which test teardowns run; on PostgreSQL it truncates, which a row trigger does not see, on SQLite it
deletes). It sets the session setting `lifecrm.audit_maintenance` on PostgreSQL and a process flag read by
the SQL function `lifecrm_audit_maintenance()` on SQLite (registered on each connection; a client without
it, the sqlite3 shell, cannot delete at all). UPDATE is refused even then.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

AUDIT_TABLES = ("core_auditevent",)
_maintenance_depth = 0


def _sqlite_flag() -> int:
    return 1 if _maintenance_depth > 0 else 0


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: the SQL function the SQLite trigger asks."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("lifecrm_audit_maintenance", 0, _sqlite_flag)


@contextmanager
def audit_maintenance(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Allow deleting audit rows on this process's connection `using` for the block (flush, never a service)."""
    global _maintenance_depth
    connection = connections[using]
    _maintenance_depth += 1
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET lifecrm.audit_maintenance = 'on'")
        yield
    finally:
        _maintenance_depth -= 1
        if connection.vendor == "postgresql" and connection.connection is not None:
            # In a failed transaction RESET fails too; the setting then ends with the session.
            with suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("RESET lifecrm.audit_maintenance")


POSTGRES_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION lifecrm_audit_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND current_setting('lifecrm.audit_maintenance', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION lifecrm_audit_append_only()
    """,
]
POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent",
    "DROP FUNCTION IF EXISTS lifecrm_audit_append_only()",
]
SQLITE_INSTALL = [
    """
    CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
    BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: UPDATE refused'); END
    """,
    """
    CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
    WHEN NOT lifecrm_audit_maintenance()
    BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: DELETE refused'); END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete",
]


def install(schema_editor) -> None:
    for sql in {"postgresql": POSTGRES_INSTALL, "sqlite": SQLITE_INSTALL}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


def remove(schema_editor) -> None:
    for sql in {"postgresql": POSTGRES_REMOVE, "sqlite": SQLITE_REMOVE}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)

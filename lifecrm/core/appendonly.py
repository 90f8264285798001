"""The audit trail is append-only in the database itself (migrations core 0006, 0009): a trigger on PostgreSQL and
on SQLite refuses every UPDATE and DELETE of `core_auditevent`, whatever the client (ORM, raw SQL, psql), and on
PostgreSQL a statement trigger refuses TRUNCATE (which row triggers do not see).

One documented maintenance path may delete rows: `audit_maintenance()`, used by `lifecrm flush` (Django's
flush, which test teardowns run; on PostgreSQL it truncates, on SQLite it deletes). UPDATE is refused even then.

- PostgreSQL: it sets the session setting `lifecrm.audit_maintenance`, but any session may set a custom
  setting, so the trigger also asks that the session's current user have the privileges of the maintenance
  role `lifecrm_audit_maintenance` (a NOLOGIN role the migration creates when its user may create roles;
  membership is granted by a DBA, never to the application's role) or be a superuser (who could disable the
  trigger anyway). An ordinary application session that sets the flag still cannot DELETE or TRUNCATE.
  If the migration could not create the role (no CREATEROLE) it says so in a notice and only a superuser may
  purge until a DBA runs `CREATE ROLE lifecrm_audit_maintenance NOLOGIN` (docs/operations.md).
- SQLite: a process flag read by the SQL function `lifecrm_audit_maintenance()` (registered on each
  connection; a client without it, the sqlite3 shell, cannot delete at all). SQLite has no TRUNCATE.
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


MAINTENANCE_ROLE = "lifecrm_audit_maintenance"  # spelt out in the SQL below

POSTGRES_INSTALL = [
    # The maintenance role (NOLOGIN, no privileges of its own): only a session whose current user has its
    # privileges (a member of it, or a superuser) may open the maintenance path. Roles belong to the cluster,
    # not the database: created once, if this migration's user may create roles; otherwise a notice, and a DBA
    # creates it (docs/operations.md). Until it exists only a superuser may delete audit rows.
    """
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'lifecrm_audit_maintenance') THEN
            CREATE ROLE lifecrm_audit_maintenance NOLOGIN;
        END IF;
    EXCEPTION
        WHEN duplicate_object OR unique_violation THEN NULL;  -- created meanwhile by another database's migration
        WHEN insufficient_privilege THEN
            RAISE NOTICE 'role lifecrm_audit_maintenance not created (no CREATEROLE): only a superuser may purge audit rows';
    END
    $$
    """,
    # Maintenance = the session setting AND the maintenance role's privileges: setting the flag alone (any
    # session may SET a custom setting) opens nothing. Not SECURITY DEFINER, so current_user is the caller's;
    # a fixed search_path, so a session cannot shadow pg_roles, a function or an operator with its own objects.
    """
    CREATE OR REPLACE FUNCTION lifecrm_audit_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE')
           AND current_setting('lifecrm.audit_maintenance', true) IS NOT DISTINCT FROM 'on'
           AND (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper)
                OR EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = 'lifecrm_audit_maintenance'
                           AND pg_has_role(current_user, r.oid, 'USAGE'))) THEN
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NULL;
        END IF;
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$ LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    """,
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent",
    """
    CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION lifecrm_audit_append_only()
    """,
    # TRUNCATE is not a row operation: a row trigger never sees it.
    "DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent",
    """
    CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION lifecrm_audit_append_only()
    """,
]
POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent",
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent",
    "DROP FUNCTION IF EXISTS lifecrm_audit_append_only()",
    # The role stays: it belongs to the cluster, other databases may use it.
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

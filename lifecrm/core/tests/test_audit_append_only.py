"""The audit trail is append-only in the database itself: raw SQL cannot update or delete its rows."""
from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from lifecrm.core.appendonly import MAINTENANCE_ROLE, audit_maintenance
from lifecrm.core.models import AuditEvent


def _event() -> AuditEvent:
    return AuditEvent.objects.create(at=timezone.now(), action=AuditEvent.Action.REVEAL, object_type="parties.customer",
                                     object_id="1", field="id_number", purpose="test")


@pytest.mark.django_db
@pytest.mark.parametrize("sql", [
    "UPDATE core_auditevent SET purpose = 'edited' WHERE id = %s",
    "DELETE FROM core_auditevent WHERE id = %s",
])
def test_raw_sql_cannot_change_or_remove_an_audit_row(sql):
    event = _event()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).purpose == "test"


@pytest.mark.django_db
def test_orm_bulk_update_and_delete_are_refused_too():
    event = _event()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(purpose="edited")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk)._raw_delete(connection.alias)
    assert AuditEvent.objects.filter(pk=event.pk, purpose="test").exists()


@pytest.mark.django_db
def test_the_maintenance_path_may_delete_but_never_update():
    event = _event()
    with audit_maintenance():
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditevent SET purpose = 'edited' WHERE id = %s", [event.pk])
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert not AuditEvent.objects.filter(pk=event.pk).exists()
    other = _event()  # the path is closed again after the block
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [other.pk])


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_audit_trail():
    _event()
    call_command("flush", verbosity=0, interactive=False)
    assert not AuditEvent.objects.exists()


# PostgreSQL: the maintenance flag is a session setting any session may set, so it must not be enough; TRUNCATE
# is a statement a row trigger never sees. The application's ordinary session is played by a plain role
# (no superuser, not a member of the maintenance role) with every table privilege on the audit table.

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="roles and TRUNCATE are PostgreSQL's")


@pytest.fixture
def plain_role(db):
    """A NOLOGIN role made in the test's transaction (rolled back with it), with DELETE and TRUNCATE granted."""
    name = f"lifecrm_test_app_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} NOLOGIN NOSUPERUSER")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON core_auditevent TO {name}")
    return name


@contextmanager
def _as_role(name: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def _checked() -> None:
    """Run the deferred foreign-key checks of the rows just written (a TRUNCATE refuses pending trigger events)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _refused(sql: str, params=()) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@postgres_only
@pytest.mark.django_db
def test_a_plain_session_that_sets_the_maintenance_flag_still_cannot_delete_or_truncate(plain_role):
    event = _event()
    _checked()
    with _as_role(plain_role):
        with connection.cursor() as cursor:
            cursor.execute("SET lifecrm.audit_maintenance = 'on'")
        _refused("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
        _refused("TRUNCATE core_auditevent")
        with audit_maintenance():  # the documented path itself opens nothing for it
            _refused("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
            _refused("TRUNCATE core_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@postgres_only
@pytest.mark.django_db
def test_truncate_is_refused_outside_the_maintenance_path_even_to_the_owner():
    event = _event()
    _checked()
    _refused("TRUNCATE core_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@postgres_only
@pytest.mark.django_db
def test_the_maintenance_role_may_delete_and_truncate_through_the_path_only(plain_role):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [MAINTENANCE_ROLE])
        assert cursor.fetchone(), "migration core 0009 creates the maintenance role"
        cursor.execute(f"GRANT {MAINTENANCE_ROLE} TO {plain_role}")
    event, other = _event(), _event()
    _checked()
    with _as_role(plain_role):
        _refused("DELETE FROM core_auditevent WHERE id = %s", [event.pk])  # a member still needs the path
        _refused("TRUNCATE core_auditevent")
        with audit_maintenance():
            _refused("UPDATE core_auditevent SET purpose = 'edited' WHERE id = %s", [event.pk])
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
            assert not AuditEvent.objects.filter(pk=event.pk).exists()
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE core_auditevent")
    assert not AuditEvent.objects.filter(pk=other.pk).exists()


@postgres_only
@pytest.mark.django_db
def test_a_session_cannot_shadow_the_catalogue_to_pass_the_check(plain_role):
    """The trigger's search_path is fixed: a pg_roles of the session's own schema is never read."""
    event = _event()
    with _as_role(plain_role), connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY VIEW pg_roles AS SELECT current_user::name AS rolname, true AS rolsuper, "
                       "0::oid AS oid")
        cursor.execute("SET search_path = pg_temp, public, pg_catalog")
        cursor.execute("SET lifecrm.audit_maintenance = 'on'")
        try:
            _refused("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
        finally:
            cursor.execute("RESET search_path")
    assert AuditEvent.objects.filter(pk=event.pk).exists()

"""The audit trail is append-only in the database itself: raw SQL cannot update or delete its rows."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from lifecrm.core.appendonly import audit_maintenance
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

"""bulk_insert: bulk_create's rows and primary keys, without Django's per-value preparation; misuse refused."""
from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from lifecrm.core.bulk import bulk_insert, insert_rows
from lifecrm.core.models import AuditEvent, CalendarDay, Jurisdiction

pytestmark = pytest.mark.django_db

COLUMNS = ("jurisdiction_id", "day", "is_working_day", "name", "is_override")


def days(jurisdiction: str, year: int) -> list[CalendarDay]:
    return [CalendarDay(jurisdiction_id=jurisdiction, day=date(year, 1, n), is_working_day=n % 2 == 0,
                        name="" if n % 3 else f"假日 {n}", is_override=n == 5) for n in range(1, 8)]


def test_rows_and_primary_keys_are_those_of_bulk_create():
    jurisdiction = Jurisdiction.objects.order_by("code").first().code
    made = bulk_insert(days(jurisdiction, 2091), batch_size=3)  # three statements on SQLite
    reference = CalendarDay.objects.bulk_create(days(jurisdiction, 2092))
    assert all(d.pk and not d._state.adding for d in made)
    stored = {d.pk: d for d in CalendarDay.objects.filter(pk__in=[d.pk for d in made])}
    assert [tuple(getattr(stored[d.pk], c) for c in COLUMNS) for d in made] == [
        tuple(getattr(d, c) for c in COLUMNS) for d in made]
    assert [tuple(getattr(d, c) for c in COLUMNS[2:]) for d in made] == [
        tuple(getattr(d, c) for c in COLUMNS[2:]) for d in reference]
    assert bulk_insert([]) == []


def test_a_model_with_a_column_psycopg_would_not_send_as_django_does_is_refused():
    with pytest.raises(TypeError, match=r"AuditEvent.at \(DateTimeField\) is not a plain column"):
        bulk_insert([AuditEvent(at=timezone.now(), action="create", object_type="x", object_id="1")])
    with pytest.raises(TypeError, match="Jurisdiction has no auto-increment primary key"):
        bulk_insert([Jurisdiction(code="XX", name="x", currency="XXX")])
    assert not AuditEvent.objects.filter(object_type="x").exists()


def test_rows_without_model_objects_take_the_field_defaults():
    jurisdiction = Jurisdiction.objects.order_by("code").first().code
    rows = [{"jurisdiction_id": jurisdiction, "day": date(2093, 1, n), "is_working_day": False} for n in (1, 2)]
    assert insert_rows(CalendarDay, rows) == 2 and insert_rows(CalendarDay, []) == 0
    stored = CalendarDay.objects.filter(day__year=2093).order_by("day")
    assert [(d.day.day, d.is_working_day, d.name, d.is_override) for d in stored] == [
        (1, False, "", False), (2, False, "", False)]


def test_a_row_with_an_attribute_the_model_lacks_is_refused():
    jurisdiction = Jurisdiction.objects.order_by("code").first().code
    with pytest.raises(TypeError, match=r"may give only .*not \['day', 'is_workday', 'jurisdiction_id'\]"):
        insert_rows(CalendarDay, [{"jurisdiction_id": jurisdiction, "day": date(2094, 1, 1), "is_workday": True}])
    assert not CalendarDay.objects.filter(day__year=2094).exists()


def test_a_duplicate_is_django_s_integrity_error_and_leaves_nothing(django_assert_num_queries):
    from django.db import IntegrityError, transaction

    jurisdiction = Jurisdiction.objects.order_by("code").first().code
    row = {"jurisdiction_id": jurisdiction, "day": date(2095, 1, 1), "is_working_day": True}
    with django_assert_num_queries(1):  # one statement (on PostgreSQL a COPY, counted like an INSERT)
        insert_rows(CalendarDay, [row])
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(days(jurisdiction, 2095))  # 1 January 2095 is there already
    assert CalendarDay.objects.filter(day__year=2095).count() == 1

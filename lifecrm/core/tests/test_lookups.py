"""`__any`: a long list of ids as one array parameter on PostgreSQL, `IN (…)` elsewhere; same rows as `__in`."""
from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecrm.core.models import CalendarDay, Jurisdiction

pytestmark = pytest.mark.django_db


def test_the_same_rows_as_in_with_one_parameter_on_postgresql():
    ids = list(CalendarDay.objects.order_by("pk").values_list("pk", flat=True)[:300:3])
    with CaptureQueriesContext(connection) as queries:
        found = list(CalendarDay.objects.filter(pk__any=ids).order_by("pk").values_list("pk", flat=True))
    assert found == ids
    if connection.vendor == "postgresql":
        assert "= ANY(" in queries[0]["sql"]


def test_a_foreign_key_by_its_name_or_its_column_and_an_empty_list():
    code = Jurisdiction.objects.order_by("code").values_list("code", flat=True).first()
    expected = CalendarDay.objects.filter(jurisdiction_id=code).count()
    assert expected and CalendarDay.objects.filter(jurisdiction__any=[code]).count() == expected
    assert CalendarDay.objects.filter(jurisdiction_id__any=[code, "ZZ"]).count() == expected
    assert CalendarDay.objects.filter(pk__any=[]).count() == 0
    assert CalendarDay.objects.exclude(pk__any=[]).count() == CalendarDay.objects.count()
    assert not CalendarDay.objects.filter(day__any=[date(1900, 1, 1)]).exists()


def test_a_subquery_or_a_string_is_refused():
    with pytest.raises(TypeError, match="a list of values"):
        CalendarDay.objects.filter(pk__any=CalendarDay.objects.values("pk")).count()
    with pytest.raises(TypeError, match="a list of values"):
        CalendarDay.objects.filter(jurisdiction__any="CN").count()

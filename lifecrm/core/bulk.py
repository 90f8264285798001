"""Bulk inserts for the daily batch: `bulk_insert(objs)` is `bulk_create` without Django's per-value preparation.

On PostgreSQL the rows go in one `INSERT … SELECT FROM unnest(<one typed array per column>) RETURNING id`
with each attribute handed to psycopg as it is: half the cost of `bulk_create` for the batch's tens of
thousands of due items, reminders and collections a day. That is only right for columns whose Python value
psycopg sends as Django would, so a model with any other field (encrypted or JSON fields, auto_now dates,
date-times, anything custom, a primary key that is not an auto-increment) is refused, on every database;
other databases than PostgreSQL use `bulk_create`.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin

# Fields whose attribute value is what Django would send (exact types: a subclass may convert its values).
PLAIN_FIELDS = (
    models.BigIntegerField, models.BooleanField, models.CharField, models.DateField, models.DecimalField,
    models.ForeignKey, models.IntegerField, models.PositiveIntegerField, models.PositiveSmallIntegerField,
    models.SmallIntegerField, models.TextField,
)


@cache
def _plan(model: type[models.Model]) -> tuple[list[str], str]:
    """The attribute names and the INSERT statement for `model`; TypeError when a field is not plain."""
    if not isinstance(model._meta.pk, AutoFieldMixin):
        raise TypeError(f"bulk_insert: {model.__name__} has no auto-increment primary key")
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for field in fields:
        if type(field) not in PLAIN_FIELDS or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            raise TypeError(f"bulk_insert: {model.__name__}.{field.name} ({type(field).__name__}) is not a plain column")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608  names from _meta, values as params
           f"SELECT * FROM unnest({arrays}) RETURNING {quote(model._meta.pk.column)}")
    return [f.attname for f in fields], sql


def bulk_insert(objs: Sequence[models.Model], *, batch_size: int = 5000) -> Sequence[models.Model]:
    """Insert new model objects of one model and set their primary keys, like `bulk_create`."""
    if not objs:
        return objs
    model = type(objs[0])
    names, sql = _plan(model)  # refused on every database, so that tests on SQLite catch a misuse too
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs, batch_size=batch_size)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            batch = objs[start:start + batch_size]
            cursor.execute(sql, [[getattr(obj, name) for obj in batch] for name in names])
            for obj, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding, obj._state.db = False, connection.alias
    return objs

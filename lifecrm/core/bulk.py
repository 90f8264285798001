"""Bulk inserts for the daily batch: `bulk_create` without Django's per-value preparation.

`bulk_insert(objs)` inserts model objects and sets their primary keys (an auto-increment's);
`insert_rows(model, rows)` inserts {attribute: value} rows without building model objects, or updates
them on a conflict. On PostgreSQL the rows go in one `COPY … FROM STDIN` with each value handed to
psycopg as it is (new objects get their keys from the sequence first, in one query), and an upsert in one
`INSERT … SELECT FROM unnest(<one typed array per column>) ON CONFLICT`: a fifth of the cost of
`bulk_create` for the batch's tens of thousands of due items, bookmarks, reminders and collections a
day. That is only right for columns whose Python value psycopg sends as Django would, so a model with any other field (encrypted or JSON fields,
auto_now dates, date-times, anything custom) is refused, on every database; other databases than
PostgreSQL use `bulk_create`.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from functools import cache

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin

# Fields whose attribute value is what Django would send (exact types: a subclass may convert its values).
PLAIN_FIELDS = (
    models.BigIntegerField, models.BooleanField, models.CharField, models.DateField, models.DecimalField,
    models.ForeignKey, models.IntegerField, models.OneToOneField, models.PositiveIntegerField,
    models.PositiveSmallIntegerField, models.SmallIntegerField, models.TextField,
)


@cache
def _fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    """The columns an insert gives (all but an auto-increment primary key); TypeError when one is not plain."""
    fields = tuple(f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, AutoFieldMixin)))
    for field in fields:
        if type(field) not in PLAIN_FIELDS or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            raise TypeError(f"bulk_insert: {model.__name__}.{field.name} ({type(field).__name__}) is not a plain column")
    return fields


@cache
def _plan(model: type[models.Model]) -> tuple[list[str], str]:
    """The attribute names and the `INSERT … SELECT FROM unnest(…)` statement of an upsert into `model`."""
    fields = _fields(model)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608  names from _meta, values as params
           f"SELECT * FROM unnest({arrays})")
    return [f.attname for f in fields], sql


def insert_rows(model: type[models.Model], rows: Sequence[dict], *, unique: str | None = None,
                update: Sequence[str] = (), batch_size: int = 5000) -> int:
    """Insert rows given as {attribute: value}, without building model objects (an attribute left out takes its
    field's default, one computed per row must be given); with `unique` and `update`, a row whose `unique`
    value is there already updates those fields instead, as `bulk_create(update_conflicts=True)`. Returns the
    number of rows."""
    if not rows:
        return 0
    names, sql = _plan(model)
    defaults, required = _defaults(model)
    known = set(names)
    for row in rows:
        if required - row.keys() or row.keys() - known:
            raise TypeError(f"insert_rows: a {model.__name__} row must give {sorted(required)} and may give only "
                            f"{sorted(known)}, not {sorted(row)}")
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=batch_size, update_conflicts=bool(update),
                                  unique_fields=[unique] if update else None, update_fields=list(update) or None)
        return len(rows)
    if not update:
        with connection.cursor() as cursor:
            _copy(cursor, model, ([row.get(name, defaults.get(name)) for name in names] for row in rows))
        return len(rows)
    quote, meta = connection.ops.quote_name, model._meta
    sets = ", ".join(f"{quote(meta.get_field(name).column)} = EXCLUDED.{quote(meta.get_field(name).column)}"
                     for name in update)
    sql += f" ON CONFLICT ({quote(meta.get_field(unique).column)}) DO UPDATE SET {sets}"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            cursor.execute(sql, [[row.get(name, defaults.get(name)) for row in batch] for name in names])
    return len(rows)


@cache
def _defaults(model: type[models.Model]) -> tuple[dict, frozenset]:
    """The plain fields' constant defaults, and the attributes whose default is computed per row."""
    per_row = {f.attname for f in _fields(model) if f.has_default() and callable(f.default)}
    return {f.attname: f.get_default() for f in _fields(model) if f.attname not in per_row}, frozenset(per_row)


def bulk_insert(objs: Sequence[models.Model], *, batch_size: int = 5000) -> Sequence[models.Model]:
    """Insert new model objects of one model and set their primary keys, like `bulk_create`."""
    if not objs:
        return objs
    model = type(objs[0])
    # refused on every database, so that tests on SQLite catch a misuse too
    if not isinstance(model._meta.pk, AutoFieldMixin):
        raise TypeError(f"bulk_insert: {model.__name__} has no auto-increment primary key")
    names = [f.attname for f in _fields(model)]
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [meta.db_table, meta.pk.column, len(objs)])
        keys = sorted(pk for (pk,) in cursor.fetchall())  # in the objects' order, as bulk_create's
        _copy(cursor, model, ([pk, *(getattr(obj, name) for name in names)] for pk, obj in zip(keys, objs, strict=True)),
              with_key=True)
    for obj, pk in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
    return objs


def _copy(cursor, model: type[models.Model], rows: Iterable[Sequence], *, with_key: bool = False) -> None:
    """COPY rows of `model`'s insert columns (with its primary key first when `with_key`)."""
    names = [f.attname for f in _fields(model)]
    copy_rows(cursor, model, [model._meta.pk.attname, *names] if with_key else names, rows)


def copy_rows(cursor, model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """COPY rows of the fields `names` (attribute names) into `model`'s table through a PostgreSQL cursor of
    Django's, in text format; its errors are Django's (an IntegrityError), and it is logged as a query where
    Django logs them (tests counting queries, DEBUG)."""
    db = cursor.db
    quote, meta = db.ops.quote_name, model._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in names)
    sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
    started = time.monotonic()
    with db.wrap_database_errors, cursor.cursor.copy(sql) as copy:  # IntegrityError as Django's
        write = copy.write_row
        for row in rows:
            write(row)
    if db.queries_logged:
        db.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})

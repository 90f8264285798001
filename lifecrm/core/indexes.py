"""Indexes and indexed expressions whose SQL depends on the database: trigrams for a part of a text on
PostgreSQL, code point order for a prefix on PostgreSQL and SQLite."""
from __future__ import annotations

from django.db import models
from django.db.models import Q

TRIGRAM_EXTENSION = "pg_trgm"  # created by the migration that first adds a TrigramIndex (TrigramExtension())
# What a TrigramIndex is on a database without trigram indexes: nothing (a comment, so that the migration
# and the SQLite table rebuilds that re-create every index have a statement to run).
NO_INDEX = "-- trigram indexes exist on PostgreSQL only"


class TrigramIndex(models.Index):
    """A GIN index of trigrams (pg_trgm) on PostgreSQL, so that `field__contains` (LIKE '%…%') reads the
    index instead of every row. SQLite has no such index and scans: it holds a laptop's book, not a company's."""

    def __init__(self, *, fields, name, **kwargs):
        kwargs.setdefault("opclasses", ["gin_trgm_ops"] * len(fields))
        super().__init__(fields=fields, name=name, **kwargs)

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return NO_INDEX
        return super().create_sql(model, schema_editor, using=" USING gin", **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return NO_INDEX
        return super().remove_sql(model, schema_editor, **kwargs)


# Above every character a text holds: `prefix + LAST_CODE_POINT` bounds the texts that start with `prefix`.
LAST_CODE_POINT = "\U0010ffff"


class CodePointOrder(models.Func):
    """A text compared code point by code point (COLLATE "C" on PostgreSQL, BINARY on SQLite), whatever the
    database's own collation: a prefix is then a range (see `starts_with`), and one plain B-tree index on
    this expression serves both the range and the ORDER BY, page after page, on either database.

    Not a subclass of Django's Collate: an index takes a Collate for a wrapper of its column, not for the
    indexed expression itself."""

    template = "%(expressions)s COLLATE %(collation)s"
    output_field = models.TextField()

    def __init__(self, expression):
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra_context):
        extra_context.setdefault("collation", '"C"')
        return super().as_sql(compiler, connection, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        extra_context.setdefault("collation", "BINARY")
        return super().as_sql(compiler, connection, **extra_context)


def starts_with(alias: str, prefix: str) -> Q:
    """`alias` (a CodePointOrder annotation) starts with `prefix`: a range an index on it reads in order.
    LIKE 'prefix%' would not do: on SQLite LIKE ignores case and no index serves it."""
    return Q(**{f"{alias}__gte": prefix, f"{alias}__lt": prefix + LAST_CODE_POINT})

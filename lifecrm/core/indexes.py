"""Indexes whose kind depends on the database: a trigram index for searches inside a text on PostgreSQL."""
from __future__ import annotations

from django.db import models

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

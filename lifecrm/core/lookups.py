"""`field__any=ids`: membership in a long list of ids as one parameter.

Django's `__in` prepares every value and sends each as its own parameter: for the daily batch's lists of
thousands of ids that costs more than the query. `__any` sends the list as one typed array on PostgreSQL
(`col = ANY(%s::bigint[])`) and falls back to `IN (…)` elsewhere. The values must already be of the
column's Python type (ids as ints): they are not converted one by one.
"""
from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import models


class AnyOf(models.Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        if hasattr(self.rhs, "resolve_expression") or isinstance(self.rhs, str | bytes):
            raise TypeError("__any takes a list of values (use __in for a subquery)")
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self.rhs
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::{self.lhs.output_field.db_type(connection)}[])", [*lhs_params, values]
        if not values:
            raise EmptyResultSet
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


models.Field.register_lookup(AnyOf)
models.ForeignObject.register_lookup(AnyOf)  # related fields take only the lookups registered on them

"""Filters every list shares: free text, an id, and an org unit id that selects its whole subtree."""
from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from lifecrm.org.models import OrgUnit

BIGINT_MAX = 2**63 - 1
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": BIGINT_MAX}


class TextFilter(django_filters.CharFilter):
    """Free text; a NUL character is refused (a 400): no database column can hold one."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        extend_schema_field({"type": "string", "pattern": "^[^\\x00]*$", "description": self.label or ""})(self)


class IdFilter(django_filters.NumberFilter):
    """Equality on an id column: a whole positive number, or a 400 saying so; an unknown id matches nothing."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)
        # documented as a positive 64-bit integer, keeping this filter's own label as its description
        extend_schema_field({**ID_SCHEMA, "description": self.label or ""})(self)


class OrgUnitSubtreeFilter(IdFilter):
    """An org unit id; keeps the rows whose `branch_path` lies in that unit's subtree (none for an unknown id)."""

    def filter(self, qs, value: int | None):
        if value is None:
            return qs
        path = OrgUnit.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return qs.none()
        return qs.filter(**{f"{self.field_name}__startswith": path})

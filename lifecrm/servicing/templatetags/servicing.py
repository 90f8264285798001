"""Template helpers of servicing pages: a request type's or document's name in the page's language."""
from __future__ import annotations

from django import template
from django.utils import translation

register = template.Library()


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


@register.filter
def type_name(row) -> str:
    """A request type's (or checklist document's) English name on English pages, else its own name."""
    if row is None:
        return ""
    return row.name_en if _english() and row.name_en else row.name

"""Argument parsing shared by the management commands: one-line errors for bad input."""
from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError


def parse_date(value: str | None, option: str) -> date:
    """`value` as a date, or a CommandError naming the option and the expected form."""
    if not value:
        raise CommandError(f"{option} is required, as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date as YYYY-MM-DD, not {value!r}") from None

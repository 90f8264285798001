"""Argument parsing shared by the management commands: one-line errors for bad input."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from django.core.management.base import CommandError


def parse_date(value: str | None, option: str) -> date:
    """`value` as a date, or a CommandError naming the option and the expected form."""
    if not value:
        raise CommandError(f"{option} is required, as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date as YYYY-MM-DD, not {value!r}") from None


def add_date_range_arguments(parser) -> None:
    """`--as-of DATE [--from DATE] [--no-progress]`: one business date, or every date of a catch-up."""
    parser.add_argument("--as-of", required=True, help="business date, YYYY-MM-DD")
    parser.add_argument("--from", dest="from_date", help="every date from this one to --as-of, in order")
    parser.add_argument("--no-progress", action="store_true")


def business_dates(as_of: str, from_date: str | None) -> Iterator[date]:
    """The dates from `--from` (or `--as-of` alone) to `--as-of`, checked before the first is yielded."""
    end = parse_date(as_of, "--as-of")
    day = parse_date(from_date, "--from") if from_date else end
    if day > end:
        raise CommandError("--from must not be after --as-of")
    while day <= end:
        yield day
        day += timedelta(days=1)


def refuse_outside_dev_or_test(command: str, what: str) -> None:
    """A CommandError (exit status 1, nothing written) unless LIFECRM_ENV is dev or test: `command` `what`
    (creates demo logins, writes a generated book, deletes data), which has no place in production."""
    from django.conf import settings

    if not settings.INSECURE_ENV:
        raise CommandError(
            f"`lifecrm {command}` {what}: it runs only with LIFECRM_ENV=dev or test, "
            f"not {settings.LIFECRM_ENV}; nothing was changed"
        )

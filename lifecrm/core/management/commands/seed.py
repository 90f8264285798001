"""`lifecrm seed --customers N --seed S`: generate a deterministic, realistic book of customers and policies."""
from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from lifecrm.core.commands import refuse_outside_dev_or_test
from lifecrm.core.generator import GeneratorError, build_book, validate_arguments


class Command(BaseCommand):
    help = (
        "Generate a book: org chart, customers, households, consents, policies and their histories. "
        "The same customers, seed, as-of date and jurisdiction always give the same book."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", required=True, help="number of customers (persons and employers)")
        parser.add_argument("--seed", default="1", help="random seed (a whole number, default 1)")
        parser.add_argument("--as-of", dest="as_of", help="business date of the book, YYYY-MM-DD (default today)")
        parser.add_argument("--jurisdiction", help="CN, HK or TW (default: LIFECRM_JURISDICTION)")
        parser.add_argument("--replace", action="store_true", help="delete the existing book first")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, customers, seed, as_of=None, jurisdiction=None, replace=False, no_progress=False,
               **options):
        refuse_outside_dev_or_test(
            "seed", "deletes the book (--replace) and writes a generated one" if replace else "writes a generated book")
        try:
            customers, seed, as_of_date, jurisdiction = validate_arguments(
                customers=customers, seed=seed,
                as_of=as_of if as_of is not None else date.today(),  # noqa: DTZ011  the CLI edge
                jurisdiction=jurisdiction or settings.LIFECRM_JURISDICTION,
            )
            result = build_book(customers=customers, seed=seed, as_of=as_of_date, jurisdiction=jurisdiction,
                                replace=replace, progress=not no_progress)
        except GeneratorError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:  # rolled back: nothing was written
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CommandError(f"the book could not be written, nothing was changed: {first_line}") from exc
        width = max(len(label) for label in result.counts)
        for label, count in result.counts.items():
            self.stdout.write(f"{label:<{width}}  {count:>12,}")
        total = sum(result.counts.values())
        self.stdout.write(f"{'rows':<{width}}  {total:>12,}")
        self.stdout.write(
            f"seeded {customers:,} customers (seed {seed}, as of {as_of_date}, {jurisdiction}) in "
            f"{result.seconds:.1f} s: {customers / result.seconds:,.0f} customers/s"
        )

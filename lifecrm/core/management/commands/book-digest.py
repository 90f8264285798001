"""`lifecrm book-digest`: the sha256 of the generated book's contents, per table and in total."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from lifecrm.core.digest import book_digest


class Command(BaseCommand):
    help = "Print a checksum of every generated table (rows in primary-key order, all columns) and of the book."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument("--quiet", action="store_true", help="print only the book's checksum")

    def handle(self, *args, database: str, quiet: bool, **options):
        digest = book_digest(database)
        if not quiet:
            for table in digest.tables:
                self.stdout.write(f"{table.label:<28} {table.rows:>10,}  {table.sha256}")
        self.stdout.write(f"book sha256: {digest.sha256}")

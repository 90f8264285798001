"""`lifecrm bank-import FILE --as-of DATE [--format …]`: import a bank result file whole, or reject it."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lifecrm.banking.errors import BankFileRejected
from lifecrm.billing.debits.imports import FORMATS, bank_file_import
from lifecrm.core.actors import system
from lifecrm.core.commands import parse_date


class Command(BaseCommand):
    help = ("Import a bank result file (pain.002, camt.054 or CSV): every line matched to its collection, "
            "or the whole file rejected; the same file twice changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the bank file")
        parser.add_argument("--format", dest="file_format", default="auto", choices=FORMATS)
        parser.add_argument("--as-of", required=True, help="business date, YYYY-MM-DD")

    def handle(self, *args, file, file_format="auto", as_of, **options):
        day = parse_date(as_of, "--as-of")
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            report = bank_file_import(content=content, filename=path.name, as_of=day, file_format=file_format,
                                       actor=system("bank-import"))
        except BankFileRejected as exc:
            raise CommandError(f"{path.name} rejected, nothing imported: {' '.join(str(exc).split())}") from None
        self.stdout.write(report.summary())

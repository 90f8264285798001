"""`lifecrm bank-export --as-of DATE`: make the business date's pain.008 direct-debit files (idempotent)."""
from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from lifecrm.banking.errors import ExportInvalid
from lifecrm.banking.storage import out_dir
from lifecrm.billing.debits.export import debit_export
from lifecrm.core.commands import parse_date


class Command(BaseCommand):
    help = "Make the pain.008 direct-debit files of one business date (one per currency); a rerun adds nothing."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="business date, YYYY-MM-DD")

    def handle(self, *args, as_of, **options):
        day = parse_date(as_of, "--as-of")
        try:
            result = debit_export(as_of=day)
        except (ImproperlyConfigured, ExportInvalid) as exc:
            raise CommandError(" ".join(str(exc).split())) from None
        self.stdout.write(result.summary())
        if result.created or result.existing:
            self.stdout.write(f"files in {out_dir()}, encrypted; `lifecrm bank-file-export MESSAGE_ID --out FILE` "
                              "writes one in clear for the bank transfer")

"""`lifecrm customer-export CUSTOMER_NO --out FILE.zip [--as-of DATE]`: everything lifecrm holds about one
customer (PIPL access request) as a zip of JSON; audited. The operator acts as head office."""
from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lifecrm.core.actors import system
from lifecrm.core.commands import parse_date
from lifecrm.parties.models import Customer
from lifecrm.parties.services import customer_data_export


class Command(BaseCommand):
    help = "Write everything lifecrm holds about one customer to a zip of JSON (PIPL access request); audited."

    def add_arguments(self, parser):
        parser.add_argument("customer_no", help="the customer number")
        parser.add_argument("--out", required=True, help="the zip file to write")
        parser.add_argument("--as-of", help="business date, YYYY-MM-DD (default today)")

    def handle(self, *args, customer_no, out, as_of, **options):
        day = parse_date(as_of, "--as-of") if as_of else timezone.localdate()
        customer = Customer.objects.filter(number=customer_no.strip().upper()).first()
        if customer is None:
            raise CommandError(f"no customer number {customer_no!r}")
        content = customer_data_export(actor=system("customer-export"), customer=customer, as_of=day)
        target = Path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data: owner only
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        self.stdout.write(f"{customer.number}: {len(content)} bytes -> {target}")

"""`lifecrm customer-anonymise --as-of DATE [CUSTOMER_NO ... | --all-eligible]`: former customers whose
retention period (`customer_data_retention`, from the end of their last policy) has run.

Without a number it lists who may be anonymised on the date (nothing is changed: anonymising is a decision);
with numbers it anonymises those, each refused with its reason when too early; `--all-eligible` anonymises every
one listed. Every anonymisation is audited. The operator acts as head office."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lifecrm.core.actors import system
from lifecrm.core.commands import parse_date
from lifecrm.parties.models import Customer
from lifecrm.parties.services import AnonymisationRefused, customer_anonymise, customers_to_anonymise


class Command(BaseCommand):
    help = "List former customers past their data retention, or anonymise the ones named (audited)."

    def add_arguments(self, parser):
        parser.add_argument("customer_no", nargs="*", help="customer numbers to anonymise")
        parser.add_argument("--as-of", required=True, help="business date, YYYY-MM-DD")
        parser.add_argument("--all-eligible", action="store_true", help="anonymise every eligible customer")

    def handle(self, *args, customer_no, as_of, all_eligible, **options):
        day = parse_date(as_of, "--as-of")
        if customer_no and all_eligible:
            raise CommandError("name customers or give --all-eligible, not both")
        if customer_no:
            numbers = [n.strip().upper() for n in customer_no]
            found = {c.number: c for c in Customer.objects.filter(number__in=numbers)}
            missing = [n for n in numbers if n not in found]
            if missing:
                raise CommandError(f"no customer number {', '.join(missing)}")
            targets = [found[n] for n in numbers]
        else:
            targets = customers_to_anonymise(as_of=day)
            if not all_eligible:
                for customer in targets:
                    self.stdout.write(f"{customer.number}: may be anonymised")
                self.stdout.write(f"{len(targets)} former customers may be anonymised on {day}")
                return
        failed = 0
        for customer in targets:
            try:
                customer_anonymise(actor=system("customer-anonymise"), customer=customer, as_of=day)
            except AnonymisationRefused as exc:
                failed += 1
                self.stderr.write(f"{customer.number}: {exc}")
                continue
            self.stdout.write(f"{customer.number}: anonymised")
        if failed:
            raise CommandError(f"{failed} of {len(targets)} customers were not anonymised")

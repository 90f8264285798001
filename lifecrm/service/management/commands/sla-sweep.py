"""`lifecrm sla-sweep`: the open cases' SLA warnings and escalations due now (cron, every few minutes)."""
from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from lifecrm.service.sla import sla_sweep_open


class Command(BaseCommand):
    help = ("Raise the SLA warnings and escalations of the open cases due now and send them through the outbox; "
            "each alert once, however often it runs.")

    def handle(self, *args, **options):
        self.stdout.write(f"{sla_sweep_open(at=timezone.now())} SLA alerts raised")

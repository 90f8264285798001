"""`lifecrm send-outbox [--limit N]`: deliver the outbox's e-mails and SMS due now (cron, every minute)."""
from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from lifecrm.notifications.services import outbox_dispatch


class Command(BaseCommand):
    help = ("Deliver the e-mails and SMS of the outbox that are due now; retries the failed ones whose time has "
            "come. Safe to run in several processes at once.")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="send at most this many messages")

    def handle(self, *args, limit=None, **options):
        done = outbox_dispatch(at=timezone.now(), limit=limit, clock=timezone.now)
        self.stdout.write(f"{done.sent} sent, {done.retried} to retry, {done.given_up} given up, "
                          f"{done.deferred} waiting for the end of quiet hours")

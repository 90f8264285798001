"""`lifecrm care-send`: send the care messages whose time has come (run during the day, e.g. hourly by cron).

Messages the daily batch planned at night wait for 09:00 in the customer's time zone; this sends them, 500 to a
transaction. A message is sent only on its planned → sent change, so a rerun or a run killed and started again
sends nothing twice; at night it sends nothing.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand

from lifecrm.core.jobs import plan_chunks
from lifecrm.service import care
from lifecrm.service.jobs import now


class Command(BaseCommand):
    help = "Send the care messages whose time has come (none at night where the customer lives)."

    def handle(self, *args, **options):
        at = now()
        sent = sum(care.care_messages_send(at=at, first_id=first, last_id=last)
                   for first, last in plan_chunks(care.due_message_ids(at=at), 500))
        self.stdout.write(f"{at:%Y-%m-%d %H:%M %Z}: {sent} care messages sent")

"""`lifecrm care-send`: send the care messages whose time has come (run during the day, e.g. hourly by cron), then
print (PDF) the letters recorded today, the care cards among them.

Messages the daily batch planned at night wait for 09:00 in the customer's time zone; this sends them, 500 to a
transaction. A message is sent only on its planned → sent change, so a rerun or a run killed and started again
sends nothing twice; at night it sends nothing. The cards are printed by the print run of every letter
(`notifications.print_letters`, as `lifecrm print-letters` runs it): a rerun prints nothing twice.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lifecrm.core.jobs import plan_chunks
from lifecrm.notifications.jobs import print_run
from lifecrm.notifications.letters import MissingPrintFile
from lifecrm.service import care, jobs


class Command(BaseCommand):
    help = "Send the care messages whose time has come (none at night where the customer lives); print the cards."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, no_progress=False, **options):
        at = jobs.now()
        sent = sum(care.care_messages_send(at=at, first_id=first, last_id=last)
                   for first, last in plan_chunks(care.due_message_ids(at=at), 500))
        day = timezone.localdate(at)
        try:
            printed = print_run(day, progress=not no_progress)
        except MissingPrintFile as exc:
            raise CommandError(f"{at:%Y-%m-%d %H:%M %Z}: {sent} care messages sent; {day}: {exc}") from None
        self.stdout.write(f"{at:%Y-%m-%d %H:%M %Z}: {sent} care messages sent, {printed} letters printed")

"""`lifecrm care-send`: send the care messages whose time has come (run during the day, e.g. hourly by cron), then
print (PDF) the care letters recorded today.

Messages the daily batch planned at night wait for 09:00 in the customer's time zone; this sends them, 500 to a
transaction. A message is sent only on its planned → sent change, so a rerun or a run killed and started again
sends nothing twice; at night it sends nothing. The print run is a resumable job run per day and last letter
(`service.care_print_letters`), as `lifecrm print-letters` is for the reminder ladder's.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from lifecrm.core.jobs import plan_chunks, run_step
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
        last = care.care_letter_ids(day).order_by("-pk").values_list("pk", flat=True).first() or 0
        run = run_step("service.care_print_letters", as_of=day, params_key=f"up-to-{last}", progress=not no_progress)
        printed = sum(run.chunks.values_list("rows", flat=True))
        self.stdout.write(f"{at:%Y-%m-%d %H:%M %Z}: {sent} care messages sent, {printed} care letters printed")

"""`lifecrm print-letters --as-of DATE [--from DATE]`: the print run after the daily batch.

Each letter the reminder ladder recorded on the date becomes a PDF of its print file in the letter
outbox. A resumable job run (JobRun `billing.print_letters`, one per date and last letter
recorded): a rerun prints nothing twice, and letters recorded after a run are printed by the next;
with LIFECRM_JOBS=celery the letters are printed by the Celery workers, 25 to a task.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lifecrm.billing.reminders import letter_ids
from lifecrm.core.commands import add_date_range_arguments, business_dates
from lifecrm.core.jobs import run_step
from lifecrm.notifications.letters import MissingPrintFile, letter_folder


class Command(BaseCommand):
    help = "Print (PDF) the letters the daily batch recorded on a business date; a rerun prints nothing twice."

    def add_arguments(self, parser):
        add_date_range_arguments(parser)

    def handle(self, *args, as_of, from_date=None, no_progress=False, **options):
        for day in business_dates(as_of, from_date):
            # A run per (date, last letter recorded): letters recorded after a run (a debit rejected later
            # that day, a resumed reminders chunk) make the next call print again; printed ones are skipped.
            last = letter_ids(day).order_by("-pk").values_list("pk", flat=True).first() or 0
            try:
                run = run_step("billing.print_letters", as_of=day, params_key=f"up-to-{last}",
                               progress=not no_progress)
            except MissingPrintFile as exc:
                raise CommandError(f"{day}: {exc}") from None
            printed = sum(run.chunks.values_list("rows", flat=True))
            self.stdout.write(f"{day}: {printed} letters printed to {letter_folder()}")

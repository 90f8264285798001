"""`lifecrm print-letters --as-of DATE [--from DATE]`: the print run after the daily batch.

Every letter recorded on the date, by any app (the reminder ladder's, care cards, complaint decisions, servicing's
and claims' notices), becomes a PDF of its print file in the letter outbox. A resumable job run (JobRun
`notifications.print_letters`, one per date and last letter recorded): a rerun prints nothing twice, and letters
recorded after a run are printed by the next; with LIFECRM_JOBS=celery the letters are printed by the Celery
workers, 25 to a task. A date with a letter recorded without its print file is refused.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lifecrm.core.commands import add_date_range_arguments, business_dates
from lifecrm.notifications.jobs import print_run
from lifecrm.notifications.letters import MissingPrintFile, letter_folder


class Command(BaseCommand):
    help = "Print (PDF) the letters recorded on a business date; a rerun prints nothing twice."

    def add_arguments(self, parser):
        add_date_range_arguments(parser)

    def handle(self, *args, as_of, from_date=None, no_progress=False, **options):
        for day in business_dates(as_of, from_date):
            try:
                printed = print_run(day, progress=not no_progress)
            except MissingPrintFile as exc:
                raise CommandError(f"{day}: {exc}") from None
            self.stdout.write(f"{day}: {printed} letters printed to {letter_folder()}")

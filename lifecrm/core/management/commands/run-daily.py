"""`lifecrm run-daily --as-of DATE`: every registered daily step, in order, as resumable job runs."""
from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from lifecrm.core.commands import parse_date
from lifecrm.core.models import JobRun
from lifecrm.core.registries import daily_steps


class Command(BaseCommand):
    help = "Run every registered daily step for one business date (or catch up from --from)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="business date, YYYY-MM-DD")
        parser.add_argument("--from", dest="from_date", help="catch up every date from this one to --as-of")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, as_of, from_date=None, no_progress=False, **options):
        end = parse_date(as_of, "--as-of")
        start = parse_date(from_date, "--from") if from_date else end
        if start > end:
            raise CommandError("--from must not be after --as-of")
        steps = daily_steps.ordered()
        if not steps:
            self.stdout.write("no daily steps are registered")
            return
        day = start
        while day <= end:
            for step in steps:
                step.func(as_of=day, progress=not no_progress)
            done = JobRun.objects.filter(as_of=day, status=JobRun.Status.DONE).count()
            self.stdout.write(f"{day}: {len(steps)} steps run ({done} job runs done)")
            day += timedelta(days=1)

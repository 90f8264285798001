"""`lifecrm run-daily --as-of DATE`: every registered daily step, wave by wave (`daily_steps.waves`), as resumable
job runs; the steps of a wave run side by side."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from lifecrm.core import jobs
from lifecrm.core.commands import add_date_range_arguments, business_dates
from lifecrm.core.models import JobRun
from lifecrm.core.registries import daily_steps


class Command(BaseCommand):
    help = "Run every registered daily step for one business date (or catch up from --from)."
    # The system checks (URLconf, templates, admin: 0.8 s of a daily run's start) belong to the deploy
    # (`lifecrm check --deploy`) and the tests (test_smoke), not to every night's batch.
    requires_system_checks = []

    def add_arguments(self, parser):
        add_date_range_arguments(parser)

    def handle(self, *args, as_of, from_date=None, no_progress=False, **options):
        days = list(business_dates(as_of, from_date))
        steps = daily_steps.ordered()
        if not steps:
            self.stdout.write("no daily steps are registered")
            return
        for day in days:
            for wave in daily_steps.waves():
                chunked = [getattr(step.func, "chunked_step", None) for step in wave]
                if all(chunked):  # independent steps: their chunks share the workers
                    jobs.run_steps(chunked, as_of=day, progress=not no_progress)
                    continue
                for step in wave:
                    step.func(as_of=day, progress=not no_progress)
            done = JobRun.objects.filter(as_of=day, status=JobRun.Status.DONE).count()
            self.stdout.write(f"{day}: {len(steps)} steps run ({done} job runs done)")

"""`lifecrm run-daily --as-of DATE`: every registered daily step, wave by wave (`daily_steps.waves`), as resumable
job runs; the steps of a wave run side by side."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError

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
                try:
                    self.run_wave(wave, day, progress=not no_progress)
                except (OperationalError, InterfaceError) as exc:
                    # A database restart or failover: the chunk in flight rolled back, the finished ones stay done.
                    raise CommandError(
                        f"run-daily stopped on {day} in {', '.join(step.name for step in wave)}: the database "
                        f"connection was lost ({str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}). "
                        f"Finished chunks are kept: once the database is back, run the same command again to "
                        f"resume.") from exc
                except jobs.ChunksStuck as exc:
                    raise CommandError(f"run-daily stopped on {day}: {exc}") from exc
            done = JobRun.objects.filter(as_of=day, status=JobRun.Status.DONE).count()
            self.stdout.write(f"{day}: {len(steps)} steps run ({done} job runs done)")

    @staticmethod
    def run_wave(wave, day, *, progress: bool) -> None:
        chunked = [getattr(step.func, "chunked_step", None) for step in wave]
        if all(chunked):  # independent steps: their chunks share the workers
            jobs.run_steps(chunked, as_of=day, progress=progress)
            return
        for step in wave:
            step.func(as_of=day, progress=progress)

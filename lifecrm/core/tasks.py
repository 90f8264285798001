"""Celery tasks of the batch-job runner: a worker does one chunk by id; beat starts the daily batch."""
import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="lifecrm.core.run_chunk", acks_late=True)
def run_chunk_task(chunk_id: int) -> int:
    from lifecrm.core.jobs import run_chunk

    rows = run_chunk(chunk_id)
    # with the request id of the command (or request) that queued it (lifecrm.core.request_id)
    logger.info("chunk %s done: %s rows", chunk_id, rows, extra={"chunk_id": chunk_id, "rows": rows})
    return rows


# --- The daily batch on Celery beat (issue 14 §1) -----------------------------------------------------------
DAILY_QUEUE = "lifecrm.daily"  # its own queue: the task waits for the chunks it fans out, never in their way


@shared_task(name="lifecrm.core.run_daily")
def run_daily_task(as_of: str | None = None) -> str:
    """`lifecrm run-daily` for `as_of` (default: today in TIME_ZONE, the business date the beat fires on),
    then its print run when the billing app is installed, as cron would run them. Resumable like the commands:
    a second delivery finishes what is left and changes nothing else."""
    from django.core.management import call_command, get_commands
    from django.utils import timezone

    day = as_of or timezone.localdate().isoformat()  # the edge of the system: the beat's business date
    call_command("run-daily", as_of=day, no_progress=True)
    if "print-letters" in get_commands():
        call_command("print-letters", as_of=day, no_progress=True)
    return day

"""Celery tasks of the batch-job runner: a worker does one chunk by id; beat starts the daily batch."""
import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)


def retry_delay(retries: int) -> int:
    """Seconds before the next try of a chunk that lost its database connection: 2, 4, 8 … up to the setting."""
    return min(2 ** (retries + 1), settings.LIFECRM_CHUNK_RETRY_MAX_DELAY)


# acks_late and reject_on_worker_lost are the settings' too (CELERY_TASK_*): said here as well, since the fault
# tolerance of the batch depends on them whatever the deployment's configuration.
@shared_task(bind=True, name="lifecrm.core.run_chunk", acks_late=True, reject_on_worker_lost=True)
def run_chunk_task(self, chunk_id: int) -> int:
    from lifecrm.core.jobs import run_chunk

    try:
        rows = run_chunk(chunk_id)
    except (OperationalError, InterfaceError) as exc:  # the database went away: its transaction rolled back
        connections.close_all()  # the retry opens a fresh connection
        if self.request.retries >= settings.LIFECRM_CHUNK_RETRIES:
            raise
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries),
                         max_retries=settings.LIFECRM_CHUNK_RETRIES) from exc
    # with the request id of the command (or request) that queued it (lifecrm.core.request_id)
    logger.info("chunk %s done: %s rows", chunk_id, rows, extra={"chunk_id": chunk_id, "rows": rows})
    return rows


# --- The daily batch on Celery beat (issue 14 §1) -----------------------------------------------------------
DAILY_QUEUE = "lifecrm.daily"  # its own queue: the task waits for the chunks it fans out, never in their way


@shared_task(name="lifecrm.core.run_daily")
def run_daily_task(as_of: str | None = None) -> str:
    """`lifecrm run-daily` for `as_of` (default: today in TIME_ZONE, the business date the beat fires on),
    then its print run (`print-letters`, notifications), as cron would run them. Resumable like the commands:
    a second delivery finishes what is left and changes nothing else."""
    from django.core.management import call_command
    from django.utils import timezone

    day = as_of or timezone.localdate().isoformat()  # the edge of the system: the beat's business date
    call_command("run-daily", as_of=day, no_progress=True)
    call_command("print-letters", as_of=day, no_progress=True)
    return day

"""Celery tasks of the batch-job runner: a worker does one chunk by id."""
from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections


def retry_delay(retries: int) -> int:
    """Seconds before the next try of a chunk that lost its database connection: 2, 4, 8 … up to the setting."""
    return min(2 ** (retries + 1), settings.LIFECRM_CHUNK_RETRY_MAX_DELAY)


# acks_late and reject_on_worker_lost are the settings' too (CELERY_TASK_*): said here as well, since the fault
# tolerance of the batch depends on them whatever the deployment's configuration.
@shared_task(bind=True, name="lifecrm.core.run_chunk", acks_late=True, reject_on_worker_lost=True)
def run_chunk_task(self, chunk_id: int) -> int:
    from lifecrm.core.jobs import run_chunk

    try:
        return run_chunk(chunk_id)
    except (OperationalError, InterfaceError) as exc:  # the database went away: its transaction rolled back
        connections.close_all()  # the retry opens a fresh connection
        if self.request.retries >= settings.LIFECRM_CHUNK_RETRIES:
            raise
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries),
                         max_retries=settings.LIFECRM_CHUNK_RETRIES) from exc

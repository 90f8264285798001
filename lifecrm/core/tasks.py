"""Celery tasks of the batch-job runner: a worker does one chunk by id."""
from celery import shared_task


@shared_task(name="lifecrm.core.run_chunk", acks_late=True)
def run_chunk_task(chunk_id: int) -> int:
    from lifecrm.core.jobs import run_chunk

    return run_chunk(chunk_id)

"""Celery task of the outbox: beat runs it every minute (config.celery.OUTBOX_SCHEDULE)."""
from celery import shared_task


@shared_task(name="lifecrm.notifications.send_outbox")
def send_outbox_task() -> int:
    """Deliver the outbox's messages due now; several at once each send different messages."""
    from django.utils import timezone

    from lifecrm.notifications.services import outbox_dispatch

    return outbox_dispatch(at=timezone.now(), clock=timezone.now).sent  # the edge of the system: the beat's minute

"""Celery task of the service desk: beat sweeps the open cases' SLA clocks every few minutes
(config.celery.SLA_SCHEDULE); the daily step `service.sla_sweep` is the backstop."""
from celery import shared_task


@shared_task(name="lifecrm.service.sla_sweep")
def sla_sweep_task() -> int:
    """Raise (and send through the outbox) the SLA alerts due now; a sweep side by side raises nothing twice."""
    from django.utils import timezone

    from lifecrm.service.sla import sla_sweep_open

    return sla_sweep_open(at=timezone.now())  # the edge of the system: the beat's minute

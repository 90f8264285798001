"""The service desk's daily steps: the SLA sweep (warnings before a breach, escalations at breach)."""
from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone

from lifecrm.core.jobs import chunked_step, register_daily_step
from lifecrm.service.sla import SWEEP_CHUNK, open_case_ids, sla_sweep


def _end_of(as_of: date) -> datetime:
    return timezone.make_aware(datetime.combine(as_of, time.max))


def _open_ids(as_of: date):
    return open_case_ids()


@chunked_step("service.sla_sweep", ids=_open_ids, chunk_size=SWEEP_CHUNK)
def sweep(as_of: date, first_id: int, last_id: int) -> int:
    """SLA alerts of the open cases as at the end of the business day `as_of` (the daily batch runs after
    hours); `sla.sla_sweep_open` sweeps at the minute in between. Each alert is raised once."""
    return sla_sweep(at=_end_of(as_of), first_id=first_id, last_id=last_id)


register_daily_step(sweep)

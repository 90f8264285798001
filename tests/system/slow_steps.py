"""A slow toy batch step for the fault tests' real Celery workers (`celery -A lifecrm.config.celery worker -I
tests.system.slow_steps`) and their driver: each chunk says in Redis which process started it, then takes a second,
so that a test can kill that process mid-chunk."""
from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime

import redis

from lifecrm.core.jobs import chunked_step
from lifecrm.core.models import AuditEvent

SLOW_TYPE = "test.slow"
CHUNK_SECONDS = 1.0


def starts_key() -> str:
    return f"lifecrm-test:{os.environ['LIFECRM_CELERY_QUEUE']}:starts"


@chunked_step("test.slow", ids=lambda as_of: range(1, 41), chunk_size=5)
def slow_step(as_of: date, first_id: int, last_id: int) -> int:
    """One audit row per id, keyed `slow:<as_of>:<id>` (a natural key: rows already there are not written again)."""
    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).rpush(starts_key(), f"{first_id}:{os.getpid()}")
    keys = [f"slow:{as_of}:{n}" for n in range(first_id, last_id + 1)]
    present = set(AuditEvent.objects.filter(object_type=SLOW_TYPE, object_id__in=keys)
                  .values_list("object_id", flat=True))
    missing = [k for k in keys if k not in present]
    AuditEvent.objects.bulk_create(AuditEvent(at=datetime(2025, 1, 1, tzinfo=UTC), action="create",
                                              object_type=SLOW_TYPE, object_id=k) for k in missing)
    time.sleep(CHUNK_SECONDS)  # the rows are written but not committed: a kill now rolls them back
    return len(missing)

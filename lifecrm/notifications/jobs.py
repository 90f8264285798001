"""The outbox's daily step: whatever is due when the daily batch runs goes out (messages recorded by the steps
before it, retries). Between two batches `lifecrm send-outbox` (cron) or the Celery task
`lifecrm.notifications.send_outbox` (beat) deliver them at the minute."""
from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone

from lifecrm.core.jobs import chunked_step, register_daily_step
from lifecrm.notifications.services import due_messages, outbox_dispatch

# The step that sends the outbox: every daily step that records messages registers with `before=(SEND_OUTBOX,)`,
# so that what it records goes out in the same batch (a step after it would leave its messages for the next one).
SEND_OUTBOX = "notifications.send_outbox"


def batch_moment(as_of: date) -> datetime:
    """The moment the batch for `as_of` sends at: now, or the end of `as_of` when the batch catches up on a past
    date (it sends nothing a later date would not yet have sent)."""
    return min(timezone.now(), timezone.make_aware(datetime.combine(as_of, time.max)))


def _due_ids(as_of: date):
    return due_messages(batch_moment(as_of)).order_by("pk").values_list("pk", flat=True)


@chunked_step(SEND_OUTBOX, ids=_due_ids, chunk_size=1000)
def send_outbox(as_of: date, first_id: int, last_id: int) -> int:
    """E-mails and SMS of the outbox due when the batch runs (a customer's quiet hours keep theirs waiting)."""
    return outbox_dispatch(at=batch_moment(as_of), ids=(first_id, last_id)).sent


register_daily_step(send_outbox)

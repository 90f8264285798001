"""The daily step sends as `lifecrm send-outbox` does: claims committed before the send, outcomes after it, so a
batch killed after the gateway took a chunk does not send it again at once (at least once: after the lease)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.utils import timezone

from lifecrm.core.jobs import run_step
from lifecrm.notifications.jobs import SEND_OUTBOX
from lifecrm.notifications.models import OutboxMessage
from lifecrm.notifications.services import CLAIM_LEASE, message_queue, outbox_dispatch
from lifecrm.notifications.sms import DEFAULT_GATEWAY, OutboxSmsGateway, read_outbox

DAY = date(2026, 11, 30)  # a past business date: the batch sends as at its end


class ProcessKilled(BaseException):
    """The batch's process dying (not an error any code catches)."""


class KilledAfterSpool(OutboxSmsGateway):
    """The spool gateway, whose process dies right after the spool file is written: the SMS are gone."""

    def flush(self):
        super().flush()
        raise ProcessKilled


@pytest.mark.django_db(transaction=True)  # commits for real: a rolled-back claim would be seen as rolled back
def test_a_batch_killed_after_the_send_does_not_send_the_chunk_again_before_its_lease_ends(settings, smtp):
    for n in range(3):  # to staff: no quiet hours at the end of the day
        message_queue(app="test", key=f"D{n}", channel="sms", address=f"1380000000{n}", language="en", body="Text",
                      at=datetime(2026, 11, 30, 3, 0, tzinfo=UTC))
    settings.LIFECRM_SMS_GATEWAY = f"{__name__}.KilledAfterSpool"
    claimed_at = timezone.now()
    with pytest.raises(ProcessKilled):
        run_step(SEND_OUTBOX, as_of=DAY, progress=False)  # a past date: the batch sends "at" the end of DAY
    assert [m["message_id"] for m in read_outbox(settings.LIFECRM_SMS_OUTBOX)] == ["D0", "D1", "D2"]
    claimed = OutboxMessage.objects.all()  # the claim was committed before the send: it holds for its lease,
    # counted from when it was made, not from the end of DAY (which had long passed)
    assert {m.status for m in claimed} == {OutboxMessage.Status.SENDING}
    lease_end = max(m.next_attempt_at for m in claimed)
    assert claimed_at + CLAIM_LEASE <= lease_end <= timezone.now() + CLAIM_LEASE
    settings.LIFECRM_SMS_GATEWAY = DEFAULT_GATEWAY
    run = run_step(SEND_OUTBOX, as_of=DAY, progress=False)  # the batch again: the claims still hold
    assert run.status == "done" and sum(run.chunks.values_list("rows", flat=True)) == 0
    # nor does the every-minute dispatcher take them while the batch may still be sending them
    assert outbox_dispatch(at=timezone.now(), clock=timezone.now).sent == 0
    assert len(list(read_outbox(settings.LIFECRM_SMS_OUTBOX))) == 3
    # the lease over, the dispatcher sends them again (same message ids: at least once)
    assert outbox_dispatch(at=lease_end).sent == 3
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxMessage.Status.SENT}


@pytest.mark.django_db(transaction=True)
def test_the_daily_step_records_its_outcomes_once_sent(smtp):
    today = timezone.localdate()
    message_queue(app="test", key="E", channel="email", address="staff@example.com", language="en", subject="S",
                  body="Text", at=timezone.make_aware(datetime.combine(today, time.min)))
    run = run_step(SEND_OUTBOX, as_of=today, progress=False)
    assert sum(run.chunks.values_list("rows", flat=True)) == 1 and len(smtp.messages) == 1
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT

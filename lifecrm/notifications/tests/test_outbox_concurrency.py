"""Dispatchers at once (threads with their own connections, PostgreSQL): each message is claimed by one of them
(SELECT … FOR UPDATE SKIP LOCKED) and reaches the mail server once."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from django.db import connection

from lifecrm.billing.tests.test_concurrent_bookings import at_once
from lifecrm.notifications.models import OutboxMessage
from lifecrm.notifications.services import message_queue, outbox_dispatch

AT = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_three_dispatchers_at_once_send_every_message_once(smtp):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite takes one writer at a time)")
    for n in range(30):
        message_queue(app="test", key=f"M{n}", channel="email", address=f"c{n}@example.com", language="en",
                      subject="Hello", body="Text", at=AT, customer_id=n, jurisdiction="CN")
    results = at_once(*(lambda: outbox_dispatch(at=AT, chunk_size=4) for _ in range(3)))
    assert sum(r.sent for r in results) == 30, results
    assert Counter(m["Message-ID"] for m in smtp.messages) == Counter(f"<M{n}@lifecrm.invalid>" for n in range(30))
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(OutboxMessage.Status.SENT, 1)}

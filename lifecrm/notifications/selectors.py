"""Reads of the outbox: a customer's messages, inside the reader's data scope."""
from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from lifecrm.core.prepared import prepared
from lifecrm.notifications.models import OutboxMessage
from lifecrm.parties.selectors import customers_in_scope


def customer_messages_rows(*, scope, customer_id: int, until: datetime) -> QuerySet[OutboxMessage]:
    """The customer's outbox messages recorded up to `until`; none when the customer is outside the scope."""
    visible = customers_in_scope(scope).filter(pk=customer_id).values("pk")
    return OutboxMessage.objects.filter(customer_id__in=visible, created_at__lte=until)


@prepared(values=("scope", "customer_id", "until"))
def customer_messages(*, scope, customer_id: int, until: datetime, limit: int = 200) -> list[OutboxMessage]:
    """The newest `limit` of them, newest first: one query (a prepared read: the customer 360's timeline)."""
    return (customer_messages_rows(scope=scope, customer_id=customer_id, until=until)
            .only("channel", "status", "subject", "body", "address", "attempts", "last_error", "sent_at",
                  "created_at", "next_attempt_at")
            .order_by("-created_at", "-id")[:limit])

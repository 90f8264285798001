"""The outbox on the customer's timeline: each e-mail and SMS to the customer with its channel and status."""
from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifecrm.core.registries import TimelineEntry, register_timeline_count, register_timeline_source
from lifecrm.notifications.models import OutboxMessage
from lifecrm.notifications.selectors import customer_messages, customer_messages_rows

SOURCE = "notifications.outbox"
TEXT_LENGTH = 80  # what a line shows of an SMS without a subject


def _end_of(as_of: date) -> datetime:
    return timezone.make_aware(datetime.combine(as_of, time.max))


def _detail(row: OutboxMessage) -> str:
    Status = OutboxMessage.Status
    if row.status == Status.FAILED:
        return _("attempt %(attempts)s failed (%(error)s); next at %(next)s") % {
            "attempts": row.attempts, "error": row.last_error,
            "next": timezone.localtime(row.next_attempt_at).strftime("%Y-%m-%d %H:%M")}
    if row.status == Status.QUEUED and row.next_attempt_at > row.created_at:
        return _("held until %(next)s (quiet hours)") % {
            "next": timezone.localtime(row.next_attempt_at).strftime("%Y-%m-%d %H:%M")}
    if row.status == Status.GIVEN_UP:
        return _("given up after %(attempts)s attempt(s): %(error)s") % {
            "attempts": row.attempts, "error": row.last_error}
    return row.address


@register_timeline_source(SOURCE, kind="message", label=gettext_lazy("Messages"))
def message_timeline(*, scope, customer_id: int, as_of: date, limit: int = 200, **_kwargs) -> list[TimelineEntry]:
    entries = []
    for row in customer_messages(scope=scope, customer_id=customer_id, until=_end_of(as_of), limit=limit):
        title = _("%(channel)s %(status)s: %(what)s") % {
            "channel": row.get_channel_display(), "status": row.get_status_display(),
            "what": row.subject or Truncator(row.body).chars(TEXT_LENGTH)}
        entries.append(TimelineEntry(at=row.created_at, kind="message", title=title, detail=_detail(row),
                                     source=SOURCE, sort_key=(row.created_at, row.pk)))
    return entries


@register_timeline_count(SOURCE)
def message_timeline_count(*, scope, customer_id: int, as_of: date, **_kwargs) -> int:
    return customer_messages_rows(scope=scope, customer_id=customer_id, until=_end_of(as_of)).count()

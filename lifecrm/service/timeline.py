"""The service desk's timeline sources: a customer's interactions on every channel, their cases and care events."""
from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone
from django.utils.translation import gettext as _

from lifecrm.core.registries import TimelineEntry, register_timeline_count, register_timeline_source
from lifecrm.service.selectors import (
    customer_care_event_count,
    customer_care_events,
    customer_interaction_count,
    customer_interactions,
)


def _end_of(as_of: date) -> datetime:
    return timezone.make_aware(datetime.combine(as_of, time.max))


@register_timeline_source("service.interactions")
def interaction_timeline(*, scope, customer_id: int, as_of: date, limit: int = 200) -> list[TimelineEntry]:
    entries = []
    for row in customer_interactions(scope=scope, customer_id=customer_id, until=_end_of(as_of), limit=limit):
        title = _("%(channel)s (%(direction)s): %(subject)s") % {
            "channel": row.get_channel_display(), "direction": row.get_direction_display(), "subject": row.subject}
        detail = " · ".join(x for x in (str(row.get_outcome_display()), row.note,
                                        row.staff.name if row.staff else "") if x)
        entries.append(TimelineEntry(at=row.occurred_at, kind="interaction", title=title, detail=detail,
                                     source="service.interactions", sort_key=(row.occurred_at, row.pk)))
    return entries


@register_timeline_count("service.interactions")
def interaction_timeline_count(*, scope, customer_id: int, as_of: date) -> int:
    return customer_interaction_count(scope=scope, customer_id=customer_id, until=_end_of(as_of))


@register_timeline_source("service.care")
def care_timeline(*, scope, customer_id: int, as_of: date, limit: int = 200) -> list[TimelineEntry]:
    entries = []
    for row in customer_care_events(scope=scope, customer_id=customer_id, until=as_of, limit=limit):
        title = _("Care: %(occasion)s, %(action)s") % {"occasion": row.get_occasion_display(),
                                                        "action": row.get_action_display()}
        at = row.sent_at or row.done_at or timezone.make_aware(datetime.combine(row.created_on, time.min))
        detail = " · ".join(x for x in (str(row.get_status_display()), row.reference,
                                        row.assignee.name if row.assignee else "") if x)
        entries.append(TimelineEntry(at=at, kind="care", title=title, detail=detail, source="service.care",
                                     sort_key=(at, row.pk)))
    return entries


@register_timeline_count("service.care")
def care_timeline_count(*, scope, customer_id: int, as_of: date) -> int:
    return customer_care_event_count(scope=scope, customer_id=customer_id, until=as_of)

"""The service desk's timeline sources: a customer's interactions on every channel, and their cases."""
from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone
from django.utils.translation import gettext as _

from lifecrm.core.registries import TimelineEntry, register_timeline_count, register_timeline_source
from lifecrm.service.models import Survey
from lifecrm.service.selectors import customer_interaction_count, customer_interactions
from lifecrm.service.survey_selectors import customer_answer_count, customer_answers


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


@register_timeline_source("service.surveys")
def survey_timeline(*, scope, customer_id: int, as_of: date, limit: int = 200) -> list[TimelineEntry]:
    entries = []
    for row in customer_answers(scope=scope, customer_id=customer_id, until=_end_of(as_of), limit=limit):
        if row.kind == Survey.Kind.CSAT:
            title = _("Satisfaction survey answered: %(score)s / 5") % {"score": row.score}
        else:
            title = _("Recommendation survey answered: %(score)s / 10") % {"score": row.score}
        detail = " · ".join(x for x in (row.subject_label, row.comment, row.staff.name if row.staff else "") if x)
        entries.append(TimelineEntry(at=row.answered_at, kind="survey", title=title, detail=detail,
                                     source="service.surveys", sort_key=(row.answered_at, row.pk)))
    return entries


@register_timeline_count("service.surveys")
def survey_timeline_count(*, scope, customer_id: int, as_of: date) -> int:
    return customer_answer_count(scope=scope, customer_id=customer_id, until=_end_of(as_of))

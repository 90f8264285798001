"""The service desk's timeline sources: a customer's interactions on every channel, their cases, their survey
answers and care events."""
from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifecrm.core.registries import TimelineEntry, register_timeline_count, register_timeline_source
from lifecrm.service.models import Survey
from lifecrm.service.selectors import (
    customer_care_event_count,
    customer_care_events,
    customer_case_milestone_count,
    customer_case_milestones,
    customer_interaction_count,
    customer_interactions,
)
from lifecrm.service.survey_selectors import customer_answer_count, customer_answers

DETAIL_LENGTH = 160  # what a timeline line shows of a case's description or resolution; the case shows all


def _end_of(as_of: date) -> datetime:
    return timezone.make_aware(datetime.combine(as_of, time.max))


def _local_name(row) -> str:
    """A case type's English name on English pages, else its own name."""
    english = (translation.get_language() or "").startswith("en")
    return row.name_en if english and row.name_en else row.name


@register_timeline_source("service.interactions", kind="interaction", label=gettext_lazy("Interactions"))
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


@register_timeline_source("service.cases", kind="case", label=gettext_lazy("Cases"))
def case_timeline(*, scope, customer_id: int, as_of: date, limit: int = 200) -> list[TimelineEntry]:
    """The customer's cases as they were opened, resolved, reopened, closed or cancelled."""
    entries = []
    for event in customer_case_milestones(scope=scope, customer_id=customer_id, until=_end_of(as_of), limit=limit):
        case = event.case
        title = _("Case %(number)s (%(type)s) %(what)s: %(subject)s") % {
            "number": case.number, "type": _local_name(case.case_type), "what": event.get_kind_display(),
            "subject": case.subject}
        entries.append(TimelineEntry(at=event.at, kind="case", title=title,
                                     detail=Truncator(event.note).chars(DETAIL_LENGTH), source="service.cases",
                                     sort_key=(event.at, event.pk)))
    return entries


@register_timeline_count("service.cases")
def case_timeline_count(*, scope, customer_id: int, as_of: date) -> int:
    return customer_case_milestone_count(scope=scope, customer_id=customer_id, until=_end_of(as_of))


@register_timeline_source("service.surveys", kind="survey", label=gettext_lazy("Surveys"))
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


@register_timeline_source("service.care", kind="care", label=gettext_lazy("Care events"))
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

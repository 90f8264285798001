"""The service desk's daily steps: the SLA sweep (warnings before a breach, escalations at breach), the periodic
NPS survey, and the care events planned for the business date, then the messages due sent.

The care steps read the wall clock (`now`): when a message may go out depends on the hour where the customer lives
(`service.care_rules`); the daily batch is that edge. Messages planned at night wait for the morning, when
`lifecrm care-send` (run during the day, e.g. hourly) sends them.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from lifecrm.core.actors import RUN_DAILY
from lifecrm.core.jobs import chunked_step, planned_ids, register_daily_step
from lifecrm.notifications.jobs import SEND_OUTBOX
from lifecrm.parties.models import Customer
from lifecrm.service import care
from lifecrm.service.models import Survey
from lifecrm.service.sla import SWEEP_CHUNK, open_case_ids, sla_sweep
from lifecrm.service.surveys import nps_surveys_send


def _end_of(as_of: date) -> datetime:
    return timezone.make_aware(datetime.combine(as_of, time.max))


def _open_ids(as_of: date):
    return open_case_ids()


def sweep_moment(as_of: date) -> datetime:
    """The moment the daily sweep for `as_of` evaluates the clocks at: when it runs, or the end of `as_of` when the
    batch catches up on a past date. Never the end of today: the batch runs at 22:00, and a deadline in clock hours
    between then and midnight is not breached yet."""
    return min(now(), _end_of(as_of))


@chunked_step("service.sla_sweep", ids=_open_ids, chunk_size=SWEEP_CHUNK)
def sweep(as_of: date, first_id: int, last_id: int) -> int:
    """SLA alerts of the open cases as at the batch's run (`sweep_moment`); `lifecrm sla-sweep` (cron) or the
    Celery task `lifecrm.service.sla_sweep` (beat, every few minutes) sweep in between. Each alert is raised and
    sent once."""
    return sla_sweep(at=sweep_moment(as_of), first_id=first_id, last_id=last_id)


register_daily_step(sweep, before=(SEND_OUTBOX,))  # its alerts go out in the same batch


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def nps_candidate_ids(as_of: date):
    """Today's sample: the first LIFECRM_NPS_DAILY_SAMPLE customers (by id) not anonymised, with no NPS in the last
    LIFECRM_NPS_PERIOD_DAYS days and no survey sent in the last LIFECRM_SURVEY_MIN_DAYS. A rerun finds those asked
    today gone, so the step is idempotent."""
    since = _start_of(as_of - timedelta(days=settings.LIFECRM_NPS_PERIOD_DAYS - 1))
    recent = _start_of(as_of - timedelta(days=settings.LIFECRM_SURVEY_MIN_DAYS - 1))
    asked = Survey.objects.filter(customer_id=OuterRef("pk"), kind=Survey.Kind.NPS, sent_at__gte=since)
    surveyed = Survey.objects.filter(customer_id=OuterRef("pk"), status=Survey.Status.SENT, sent_at__gte=recent)
    rows = (Customer.objects.filter(anonymised_on__isnull=True).exclude(Exists(asked))
            .exclude(Exists(surveyed)).order_by("pk").values_list("pk", flat=True))
    return rows[:settings.LIFECRM_NPS_DAILY_SAMPLE]


@chunked_step("service.nps_surveys", ids=nps_candidate_ids, chunk_size=500, keep_ids=True)
def send_nps_surveys(as_of: date, first_id: int, last_id: int) -> int:
    """The periodic NPS survey: today's sample of customers not asked for a period (LIFECRM_NPS_*)."""
    at = timezone.make_aware(datetime.combine(as_of, time(10, 0)))  # a sensible hour of the business day
    return nps_surveys_send(customer_ids=planned_ids() or [], at=at, actor=RUN_DAILY)


register_daily_step(send_nps_surveys, before=(SEND_OUTBOX,))


def now() -> datetime:
    return timezone.now()


# After the policies' statuses of the day are known (matured, lapsed): a former customer gets no care event.
@chunked_step("service.care_events", ids=care.candidate_ids, chunk_size=2000, keep_ids=True)
def plan_care_events(as_of: date, first_id: int, last_id: int) -> int:
    """Care events of the day (birthdays, anniversaries, coming maturities, follow-ups, festivals), each planned once."""
    return care.care_events_plan(as_of=as_of, at=now(), customer_ids=planned_ids() or [])


register_daily_step(plan_care_events, after=("policies.mature", "billing.lapse"))


@chunked_step("service.care_send", ids=lambda as_of: care.due_message_ids(at=now()), chunk_size=500)
def send_care_messages(as_of: date, first_id: int, last_id: int) -> int:
    """Care messages whose time has come, sent unless it is night where the customer lives."""
    return care.care_messages_send(at=now(), first_id=first_id, last_id=last_id)


register_daily_step(send_care_messages, after=("service.care_events",), before=(SEND_OUTBOX,))

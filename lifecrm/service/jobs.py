"""The service desk's daily steps: care events planned for the business date, then the messages due sent.

Both steps read the wall clock (`now`): when a message may go out depends on the hour where the customer lives
(`service.care_rules`); the daily batch is that edge. Messages planned at night wait for the morning, when
`lifecrm care-send` (run during the day, e.g. hourly) sends them.
"""
from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from lifecrm.core.jobs import chunked_step, planned_ids, register_daily_step
from lifecrm.service import care


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


register_daily_step(send_care_messages, after=("service.care_events",))


@chunked_step("service.care_print_letters", ids=care.care_letter_ids, chunk_size=25)
def print_care_letters(as_of: date, first_id: int, last_id: int) -> int:
    """Care cards sent on the date, printed to PDF (`lifecrm care-send`)."""
    return care.care_letters_print(as_of=as_of, first_id=first_id, last_id=last_id)

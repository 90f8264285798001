"""Direct-debit rules, pure: when a premium is exported and collected, references, what a reject leads to.

Reject handling follows Coog's reject-code × nth-reject table, reduced to what our banks send:
a retryable code is presented again a few working days later, up to MAX_ATTEMPTS presentations;
any other code (or the last attempt) hands the premium to the reminders ladder.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from lifecrm.banking import rules as bank_rules
from lifecrm.banking.rules import describe
from lifecrm.core.rules import WorkingCalendar

EXPORT_LEAD_WORKING_DAYS = 3
"""A premium goes into the pain.008 file made `EXPORT_LEAD_WORKING_DAYS` working days before its requested
collection date (or into the first file after that, when the mandate arrived late or a run was missed).
The collection date is the due date itself, moved to the next working day when it is a rest day, and
never earlier than the first working day after the file is made (see `requested_collection_date`)."""

MAX_ATTEMPTS = 3
"""A premium is presented to the bank at most this many times under one mandate (first + 2 re-presentations)."""

RESULT_EXPECTED_WORKING_DAYS = 3
"""The bank's result for a debit is expected by this many working days after its collection date; a debit
still without one after that is shown as overdue on the bank files page (a file lost, or not imported)."""

DEBIT_RETURN_DAYS = 56
"""The payer's bank may claim a collected direct debit back (a return, MD06) until this many days after its
collection. Money collected by debit stays out of refunds from suspense until then, so that a refund and
a return never pay the payer twice (`billing.selectors.refundable_suspense`)."""

REPRESENT_AFTER_WORKING_DAYS = 5
"""A retryable reject is presented again in the first export on or after this many working days after the
bank's result date (the payer's next chance to have funds, e.g. after pay day)."""

RETRYABLE_REASONS = frozenset({"AM04", "MS03"})
"""Reject codes worth presenting again: AM04 insufficient funds, MS03 reason not specified (bank side).
Every other code (AC04 account closed, AC01 wrong account, AC06 blocked, MD01 no mandate, MD07 debtor
deceased, MS02 refused by the debtor, AG01 forbidden, MD06 refund claim…) needs the payer to act."""


E2E_PREFIX = "E"
MESSAGE_PREFIX = "LCDD"


def end_to_end_id(due_item_id: int, attempt: int) -> str:
    """Unique and deterministic: the due item and the attempt, e.g. E000123-1 (≤ 35 characters)."""
    return f"{E2E_PREFIX}{due_item_id:06d}-{attempt}"


def looks_like_ours(reference: str | None) -> bool:
    """True for a reference in our end-to-end id format (a camt.054 also carries other people's money)."""
    if not reference or not reference.startswith(E2E_PREFIX) or "-" not in reference:
        return False
    item, _, attempt = reference[len(E2E_PREFIX):].partition("-")
    return item.isdigit() and attempt.isdigit()


MAX_LINES_PER_FILE = bank_rules.MAX_LINES_PER_FILE
"""At most this many debits go in one pain.008 file: banking's cap for every outgoing file."""


def message_id(as_of: date, currency: str, part: int = 1) -> str:
    """The pain.008 message id of a business date, currency and part (files of MAX_LINES_PER_FILE lines):
    `LCDD20261117CNY`, then `LCDD20261117CNY-2`…, so a rerun finds what the date already made."""
    return bank_rules.message_id(MESSAGE_PREFIX, as_of, currency, part)


def requested_collection_date(*, due: date, as_of: date, calendar: WorkingCalendar) -> date:
    """The due date (next working day if it is a rest day), but never before the first working day after as_of."""
    return calendar.next_working_day(max(due, calendar.add_working_days(as_of, 1)))


def window_end(*, as_of: date, calendar: WorkingCalendar) -> date:
    """The last collection date the file made on `as_of` carries."""
    return calendar.add_working_days(as_of, EXPORT_LEAD_WORKING_DAYS)


def result_overdue_for(*, as_of: date, calendar: WorkingCalendar) -> date:
    """The last collection date whose result is overdue on `as_of`: RESULT_EXPECTED_WORKING_DAYS working days
    after it have passed (a collection date D is overdue when D + N working days < as_of)."""
    day = as_of - timedelta(days=1)
    while calendar.add_working_days(day, RESULT_EXPECTED_WORKING_DAYS) >= as_of:
        day -= timedelta(days=1)
    return day


def in_export_window(*, collection_date: date, as_of: date, calendar: WorkingCalendar) -> bool:
    return collection_date <= window_end(as_of=as_of, calendar=calendar)


@dataclass(frozen=True, slots=True)
class RejectDecision:
    """What follows a reject: present again from `represent_on`, or hand over to the reminders (`escalate`)."""

    represent_on: date | None
    reason: str

    @property
    def escalate(self) -> bool:
        return self.represent_on is None


def after_reject(*, reason_code: str, attempt: int, result_on: date, calendar: WorkingCalendar) -> RejectDecision:
    """Reject code × nth presentation → re-present on a date, or escalate to the reminders ladder."""
    if reason_code not in RETRYABLE_REASONS:
        return RejectDecision(None, f"{describe(reason_code)}: not retryable")
    if attempt >= MAX_ATTEMPTS:
        return RejectDecision(None, f"{describe(reason_code)} on attempt {attempt} of {MAX_ATTEMPTS}")
    represent_on = calendar.add_working_days(result_on, REPRESENT_AFTER_WORKING_DAYS)
    return RejectDecision(represent_on, f"{describe(reason_code)}: presented again from {represent_on}")


@dataclass(frozen=True, slots=True)
class PastAttempt:
    attempt: int
    status: str  # "sent" | "paid" | "rejected" (Collection.Status)
    reason_code: str
    result_on: date | None
    mandate_id: int


def next_attempt(*, history: list[PastAttempt], mandate_id: int, as_of: date,
                 calendar: WorkingCalendar) -> int | None:
    """The attempt number to present now, or None when the premium must not be presented today.

    Nothing yet → 1. Anything sent or paid → None. After a reject: the next attempt once its
    re-presentation date has come, or at once if the payer signed a new mandate since.
    """
    if not history:
        return 1
    if any(h.status != "rejected" for h in history):
        return None
    last = max(history, key=lambda h: h.attempt)
    if last.mandate_id != mandate_id:
        return last.attempt + 1
    decision = after_reject(reason_code=last.reason_code, attempt=last.attempt,
                            result_on=last.result_on or as_of, calendar=calendar)
    if decision.represent_on is not None and as_of >= decision.represent_on:
        return last.attempt + 1
    return None


def return_note(reference: str, reason_code: str) -> str:
    """The note of the reversal a debit returned after it was paid books (`Payment.note`, stored in English:
    "direct debit <reference> returned: AC04 (account closed)"); `returned_debit` reads it back for the pages."""
    return f"direct debit {reference} returned: {describe(reason_code)}"


_RETURN_NOTE = re.compile(r"direct debit (?P<reference>\S+) returned: (?:no reason code|(?P<code>[^\s(]+)(?: \(.*\))?)")


def returned_debit(note: str) -> tuple[str, str] | None:
    """The debit's reference and the bank's reason code ("" for none) of a note made by `return_note`; None for
    any other note."""
    found = _RETURN_NOTE.fullmatch(note or "")
    return (found["reference"], found["code"] or "") if found else None

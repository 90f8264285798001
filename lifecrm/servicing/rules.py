"""Policy servicing (保全) as pure rules: the request's status machine, its legal clocks, cooling-off refunds, and
the maker-checker rule (cash values, loans and surrender values are policies': `policies.cash_values`,
`policies.loans`). No Django, no I/O.

Every time limit is a `core.rules.Period` read from the jurisdiction rules table by the caller; every amount is a
Decimal rounded half-up to the cent (`core.money.to_cents`) at the points named here.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from lifecrm.core.money import to_cents
from lifecrm.core.rules import Period, WorkingCalendar

ZERO = Decimal("0.00")


# -- the request's status machine ---------------------------------------------------------------------------

class RequestStatus(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    AWAITING_DOCUMENTS = "awaiting_documents"
    COMPLETE = "complete"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    EXECUTED = "executed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


S = RequestStatus
TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    S.RECEIVED: frozenset({S.ACCEPTED, S.REJECTED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.AWAITING_DOCUMENTS, S.COMPLETE, S.REJECTED, S.CANCELLED}),
    S.AWAITING_DOCUMENTS: frozenset({S.COMPLETE, S.REJECTED, S.CANCELLED}),
    # A complete request goes to a checker when its type or amount needs one, else it is executed.
    S.COMPLETE: frozenset({S.PENDING_APPROVAL, S.EXECUTED, S.REJECTED, S.CANCELLED}),
    S.PENDING_APPROVAL: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED}),
    S.APPROVED: frozenset({S.EXECUTED, S.CANCELLED}),
    S.EXECUTED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}
OPEN = frozenset(s for s, targets in TRANSITIONS.items() if targets)
CLOSED = frozenset(TRANSITIONS) - OPEN


class TransitionRefused(ValueError):
    def __init__(self, current: RequestStatus, target: RequestStatus) -> None:
        super().__init__(f"a servicing request cannot go from {current} to {target}")
        self.current, self.target = current, target


def check_transition(current: str, target: str) -> RequestStatus:
    current_status, target_status = RequestStatus(current), RequestStatus(target)
    if target_status not in TRANSITIONS[current_status]:
        raise TransitionRefused(current_status, target_status)
    return target_status


# -- the clocks ---------------------------------------------------------------------------------------------

class Clock(StrEnum):
    """The legal clocks of a request, each a jurisdiction rule of the same name (jurisdiction_rules.json)."""

    ACCEPT = "servicing_accept"  # accept or reject within 2 working days of receipt
    MISSING_ITEMS = "servicing_missing_items"  # one notice of everything missing within 5 working days of receipt
    COMPLETE = "servicing_complete"  # complete within 5 working days of the complete request
    SURRENDER_PAYMENT = "surrender_payment"  # the surrender value paid within 30 days of the request


@dataclass(frozen=True, slots=True)
class Clocks:
    """The deadlines of one request (None: the clock has not started or does not apply)."""

    accept_due: date
    missing_items_due: date
    complete_due: date | None
    payment_due: date | None

    def current_due(self, *, status: str, missing_notice_sent: bool, paid: bool = False) -> date | None:
        """The deadline the staff work towards now: accepting; then (while documents are missing and no notice
        went out) the notice; then completing (and paying a surrender, whichever is earlier); an executed
        surrender until its value is paid (`paid`: sent to the bank), the payment."""
        status = RequestStatus(status)
        if status == S.EXECUTED and self.payment_due is not None and not paid:
            return self.payment_due
        if status == S.RECEIVED:
            return self.accept_due
        if status in (S.ACCEPTED, S.AWAITING_DOCUMENTS):
            return None if missing_notice_sent else self.missing_items_due
        if status in (S.COMPLETE, S.PENDING_APPROVAL, S.APPROVED):
            candidates = [d for d in (self.complete_due, self.payment_due) if d is not None]
            return min(candidates) if candidates else None
        return None


def request_clocks(*, received_on: date, complete_on: date | None, periods: Mapping[Clock, Period],
                   calendar: WorkingCalendar, is_surrender: bool) -> Clocks:
    """The deadlines from the receipt date and (once every document is in) the complete date. `periods` holds
    the jurisdiction's periods by clock; the surrender payment clock only for a surrender."""
    return Clocks(
        accept_due=periods[Clock.ACCEPT].end(received_on, calendar),
        missing_items_due=periods[Clock.MISSING_ITEMS].end(received_on, calendar),
        complete_due=None if complete_on is None else periods[Clock.COMPLETE].end(complete_on, calendar),
        payment_due=periods[Clock.SURRENDER_PAYMENT].end(received_on, calendar) if is_surrender else None,
    )


def met(deadline: date | None, done_on: date | None, as_of: date) -> bool | None:
    """Whether a clock is met: done on or before its deadline (True), late or overdue (False), still running or
    not applicable (None)."""
    if deadline is None:
        return None
    if done_on is not None:
        return done_on <= deadline
    return False if as_of > deadline else None


PAYS_THE_OWNER = frozenset({"surrender", "policy_loan", "cooling_off_cancellation"})
"""The request types whose execution pays the owner (to the bank account given on the request, by pain.001)."""


# -- cooling-off (犹豫期) --------------------------------------------------------------------------------------

def cooling_off_end(*, period: Period, receipt_date: date, calendar: WorkingCalendar) -> date:
    """The last day the owner may cancel: the period counted from the day after the owner's receipt of the
    policy; a customer's period, so a last day on a rest day moves to the next working day."""
    return period.end(receipt_date, calendar)


def cooling_off_refund(*, premiums_paid: Decimal, cost: Decimal | None, cost_cap: Decimal) -> Decimal:
    """All premiums paid back, less the cost the insurer incurred but at most the jurisdiction's cap (CN: RMB 10;
    HK, TW: 0, a full refund). Without a stated cost the cap is deducted. Never below zero."""
    deduction = cost_cap if cost is None else min(Decimal(cost), cost_cap)
    return max(to_cents(Decimal(premiums_paid) - max(deduction, ZERO)), ZERO)


# -- maker-checker --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ApprovalRule:
    """A request type's approval rule: always (a risky change), or above an amount (None: never by amount)."""

    always: bool = False
    above_amount: Decimal | None = None

    def needs_approval(self, amount: Decimal | None) -> bool:
        if self.always:
            return True
        return self.above_amount is not None and amount is not None and Decimal(amount) > self.above_amount


def may_check(*, maker_id: int | None, checker_id: int | None) -> bool:
    """Four eyes: the checker is a known person and never the maker of the request."""
    return checker_id is not None and checker_id != maker_id


def sum_assured_decrease_premium(*, annual_premium: Decimal, old_sum_assured: Decimal,
                                 new_sum_assured: Decimal) -> Decimal:
    """The annual premium after a sum-assured decrease: in proportion to the sum assured (the rate per 1,000 is
    the issue rate), to the cent."""
    if not ZERO < Decimal(new_sum_assured) < Decimal(old_sum_assured):
        raise ValueError("a decrease needs a new sum assured above zero and below the current one")
    return to_cents(Decimal(annual_premium) * Decimal(new_sum_assured) / Decimal(old_sum_assured))

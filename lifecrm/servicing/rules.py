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
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from lifecrm.core.money import to_cents
from lifecrm.core.rules import Period, WorkingCalendar
from lifecrm.policies.loans import loan_maximum

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


PAYS_THE_OWNER = frozenset({"surrender", "policy_loan", "cooling_off_cancellation", "partial_withdrawal"})
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


# -- attainment -----------------------------------------------------------------------------------------------

def share_percent(part: int, whole: int) -> int | None:
    """`part` of `whole` as a whole percentage, rounded half up (None when nothing was measured)."""
    if not whole:
        return None
    return int((Decimal(100) * part / whole).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# -- partial withdrawal, loan repayment, owner change ------------------------------------------------------------

ADULT_AGE = 18  # full civil capacity to own a policy (CN Civil Code Art. 17; HK; TW Civil Code Art. 12 since 2023)


def withdrawal_maximum(*, cash_value: Decimal, limit_percent: Decimal, owed: Decimal) -> Decimal:
    """The most a partial withdrawal may take: the product's percentage of the cash value, less what is owed on
    policy loans (the cash value left must still secure them), never negative."""
    return loan_maximum(cash_value=cash_value, loan_limit_percent=limit_percent, outstanding=owed)


@dataclass(frozen=True, slots=True)
class Withdrawal:
    sum_assured: Decimal
    annual_premium: Decimal
    modal_premium: Decimal


def withdrawal_effect(*, amount: Decimal, cash_value: Decimal, sum_assured: Decimal, annual_premium: Decimal,
                      modal_premium: Decimal) -> Withdrawal:
    """A withdrawal takes a part of the cash value and the same part of the cover: the sum assured, and with it
    the premiums, fall pro rata, each to the cent: SA' = SA × (1 − amount / cash value)."""
    if not ZERO < Decimal(amount) < Decimal(cash_value):
        raise ValueError("a partial withdrawal takes more than nothing and less than the whole cash value")
    kept = 1 - Decimal(amount) / Decimal(cash_value)
    return Withdrawal(to_cents(Decimal(sum_assured) * kept), to_cents(Decimal(annual_premium) * kept),
                      to_cents(Decimal(modal_premium) * kept))


@dataclass(frozen=True, slots=True)
class LoanBalance:
    """One open loan: its principal and the interest accrued on it."""

    principal: Decimal
    interest: Decimal


def repayment_split(*, amount: Decimal, loans: list[LoanBalance]) -> list[tuple[Decimal, Decimal]]:
    """How a repayment settles the open loans (oldest first): all their accrued interest first, then principal,
    the oldest loan first. Returns (interest paid, principal paid) per loan. The amount must cover the interest
    and may not exceed what is owed."""
    interest = sum((loan.interest for loan in loans), ZERO)
    owed = interest + sum((loan.principal for loan in loans), ZERO)
    if not interest <= Decimal(amount) <= owed or Decimal(amount) <= 0:
        raise ValueError("a repayment covers the accrued interest and at most what is owed")
    left = Decimal(amount) - interest
    split = []
    for loan in loans:
        principal = min(loan.principal, left)
        left -= principal
        split.append((loan.interest, principal))
    return split

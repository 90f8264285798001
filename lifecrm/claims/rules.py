"""Claims' rules, pure: the status machine, cover on the event date, exclusions, flags, the legal clocks and the
payees of a death benefit. No Django, no I/O: the services read the facts and the jurisdiction's rows
(`core.selectors.jurisdiction_rule`) and pass them in as `core.rules.Period`s and amounts.

Counting (DOMAIN.md): day 1 is the day after the trigger; a period of years ends on the same date (or the month's
last day); "within" a period means on or before its last day.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from lifecrm.core.rules import Period, WorkingCalendar
from lifecrm.policies.rules import COVER_IN_FORCE, Status

CENT = Decimal("0.01")


class ClaimType(StrEnum):
    DEATH = "death"
    TPD = "tpd"  # total permanent disability
    CRITICAL_ILLNESS = "critical_illness"
    HOSPITALISATION = "hospitalisation"
    MATURITY = "maturity"  # maturity or survival benefit


class Cause(StrEnum):
    ILLNESS = "illness"
    ACCIDENT = "accident"
    SUICIDE = "suicide"
    NONE = "none"  # a maturity or survival benefit has no cause


class ClaimStatus(StrEnum):
    REPORTED = "reported"
    DOCUMENTS_PENDING = "documents_pending"
    ASSESSING = "assessing"
    AWAITING_APPROVAL = "awaiting_approval"  # the maker decided above the threshold: a checker approves
    DECIDED = "decided"
    PAID = "paid"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Outcome(StrEnum):
    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    DECLINED = "declined"


TRANSITIONS: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.REPORTED: frozenset({ClaimStatus.DOCUMENTS_PENDING, ClaimStatus.ASSESSING, ClaimStatus.WITHDRAWN}),
    ClaimStatus.DOCUMENTS_PENDING: frozenset({ClaimStatus.ASSESSING, ClaimStatus.WITHDRAWN}),
    ClaimStatus.ASSESSING: frozenset({ClaimStatus.ASSESSING, ClaimStatus.AWAITING_APPROVAL, ClaimStatus.DECIDED,
                                      ClaimStatus.WITHDRAWN}),
    ClaimStatus.AWAITING_APPROVAL: frozenset({ClaimStatus.DECIDED, ClaimStatus.ASSESSING, ClaimStatus.WITHDRAWN}),
    ClaimStatus.DECIDED: frozenset({ClaimStatus.PAID, ClaimStatus.CLOSED}),
    ClaimStatus.PAID: frozenset({ClaimStatus.CLOSED}),
    ClaimStatus.CLOSED: frozenset(),
    ClaimStatus.WITHDRAWN: frozenset(),
}
OPEN_STATUSES = frozenset({ClaimStatus.REPORTED, ClaimStatus.DOCUMENTS_PENDING, ClaimStatus.ASSESSING,
                           ClaimStatus.AWAITING_APPROVAL, ClaimStatus.DECIDED})
BEFORE_DECISION = frozenset({ClaimStatus.REPORTED, ClaimStatus.DOCUMENTS_PENDING, ClaimStatus.ASSESSING,
                             ClaimStatus.AWAITING_APPROVAL})


class TransitionRefused(ValueError):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a claim cannot go from {current} to {target}")
        self.current, self.target = current, target


def check_transition(current: str, target: str) -> None:
    if ClaimStatus(target) not in TRANSITIONS[ClaimStatus(current)]:
        raise TransitionRefused(current, target)


# -- cover on the event date, from the policy's journal ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StatusChange:
    """One status transition of the policy's journal (`PolicyEvent` with a `to_status`)."""

    seq: int
    effective_date: date
    to_status: str


def status_on(changes: Iterable[StatusChange], day: date) -> str | None:
    """The policy's status on `day`: the last change taking effect on or before it (journal order breaks ties);
    None before its first change."""
    found = None
    for change in sorted(changes, key=lambda c: (c.effective_date, c.seq)):
        if change.effective_date > day:
            break
        found = change.to_status
    return found


def cover_in_force(changes: Iterable[StatusChange], day: date) -> bool:
    """Cover runs on `day`: in force, in its grace period, reinstated or paid-up; a suspended (中止), lapsed or
    ended policy, or one not issued yet, pays nothing."""
    status = status_on(changes, day)
    return status is not None and Status(status) in COVER_IN_FORCE


def last_reinstatement(changes: Iterable[StatusChange], day: date) -> date | None:
    """The day cover last revived (reinstated) on or before `day`: it restarts the suicide clock (Judicial Interp.
    III Art. 8)."""
    days = [c.effective_date for c in changes if c.to_status == Status.REINSTATED and c.effective_date <= day]
    return max(days) if days else None


def within(period: Period, trigger: date, day: date, calendar: WorkingCalendar | None = None) -> bool:
    """`day` falls on or before the last day of `period` counted from `trigger`."""
    return day <= period.end(trigger, calendar)


def in_waiting_period(*, cover_start: date, event_date: date, waiting_days: int) -> bool:
    """An illness that shows within the waiting period (days after the cover starts: issue or reinstatement) is
    not covered; the waiting period's last day is `cover_start + waiting_days`."""
    return waiting_days > 0 and event_date <= cover_start + timedelta(days=waiting_days)


def suicide_excluded(*, cause: str, issue_date: date, reinstated_on: date | None, event_date: date,
                     period: Period) -> bool:
    """A suicide within the exclusion period (CN: 2 years; HK: 1) from the effective date or the latest
    reinstatement is excluded (Insurance Law Art. 44): the insurer refunds the cash value instead."""
    if cause != Cause.SUICIDE:
        return False
    trigger = max(d for d in (issue_date, reinstated_on) if d is not None)
    return within(period, trigger, event_date)


def rescission_possible(*, issue_date: date, as_of: date, after_formation: Period,
                        learned_on: date | None = None, after_learning: Period | None = None) -> bool:
    """Whether the insurer may still rescind for non-disclosure on `as_of` (Insurance Law Art. 16; TW Art. 64):
    not once 2 years have passed since formation, nor once 30 days (TW: a month) have passed since it learned
    the cause."""
    if not within(after_formation, issue_date, as_of):
        return False
    if learned_on is not None and after_learning is not None and not within(after_learning, learned_on, as_of):
        return False
    return True


def misstated_age_benefit(*, benefit: Decimal, premium_paid: Decimal, premium_due: Decimal) -> Decimal:
    """Insurance Law Art. 32: when a misstated age made the premium paid smaller than the premium due at the true
    age, the benefit is paid in proportion (benefit × paid ÷ due), rounded half-up to the cent; when the owner paid
    more, the benefit stands (the excess premium is refunded: `misstated_age_refund`)."""
    if premium_paid <= 0 or premium_due <= 0:
        raise ValueError("premiums must be positive")
    if premium_paid >= premium_due:
        return benefit
    return (benefit * premium_paid / premium_due).quantize(CENT, rounding=ROUND_HALF_UP)


def misstated_age_refund(*, premium_paid: Decimal, premium_due: Decimal) -> Decimal:
    return max(Decimal(0), premium_paid - premium_due)


def is_small_claim(amount: Decimal | None, threshold: Decimal) -> bool:
    """Below the jurisdiction's fast-track threshold (CN: < RMB 3,000): simplified documents, 5-working-day
    decision."""
    return amount is not None and 0 < amount < threshold


# -- loans on the policy --------------------------------------------------------------------------------------

LOANS_DEDUCTED = frozenset({ClaimType.DEATH, ClaimType.MATURITY})
"""The benefits that end the policy: each is paid less what the owner owes on the policy's loans (policy loans and
automatic premium loans, principal and interest to the payment date), and the loans are settled. A disability,
illness or hospital benefit leaves the policy and its loans running."""


def benefit_less_loans(*, benefit: Decimal, owed: Decimal) -> tuple[Decimal, Decimal]:
    """(what is paid, what is deducted): the benefit less the debt, never below nothing (a debt above the benefit
    takes all of it)."""
    deducted = min(max(owed, Decimal(0)), max(benefit, Decimal(0)))
    return benefit - deducted, deducted


# -- simple fraud flags (for review, never a decision) ----------------------------------------------------------

EARLY_CLAIM_DAYS = 180
"""An event this many days or fewer after issue or reinstatement is flagged for review."""
SUM_INCREASE_DAYS = 365
"""A sum-assured increase taking effect this many days or fewer before the event is flagged."""
SEVERAL_CLAIMS = 2
"""This many other claims of the insured reported within `SEVERAL_CLAIMS_YEARS` before this one are flagged."""
SEVERAL_CLAIMS_DAYS = 3 * 365


class Flag(StrEnum):
    EARLY_CLAIM = "early_claim"
    SUM_ASSURED_INCREASED = "sum_assured_increased"
    SEVERAL_CLAIMS = "several_claims"
    LATE_REPORT = "late_report"


def fraud_flags(*, event_date: date, reported_on: date, cover_start: date,
                sum_assured_increases: Sequence[date], other_claim_dates: Sequence[date]) -> list[Flag]:
    """The simple flags of one claim on one policy: `cover_start` is the issue or latest reinstatement date,
    `sum_assured_increases` the effective dates of versions that raised the sum assured, `other_claim_dates`
    the report dates of the insured's other claims."""
    flags = []
    if 0 <= (event_date - cover_start).days <= EARLY_CLAIM_DAYS:
        flags.append(Flag.EARLY_CLAIM)
    if any(0 <= (event_date - day).days <= SUM_INCREASE_DAYS for day in sum_assured_increases):
        flags.append(Flag.SUM_ASSURED_INCREASED)
    if sum(1 for day in other_claim_dates if 0 <= (reported_on - day).days <= SEVERAL_CLAIMS_DAYS) >= SEVERAL_CLAIMS:
        flags.append(Flag.SEVERAL_CLAIMS)
    if (reported_on - event_date).days > 365:
        flags.append(Flag.LATE_REPORT)
    return flags


def time_barred(*, event_date: date, reported_on: date, limitation: Period, calendar: WorkingCalendar) -> bool:
    """The right to claim a life benefit lapses 5 years after the claimant knew of the event (Insurance Law Art.
    26; the event date stands for it): the claimant's own deadline, so a last day on a rest day moves on. A claim
    reported by the period's plain last day needs no calendar (a limitation's end may lie years ahead of the
    calendars loaded)."""
    if reported_on <= replace(limitation, customer_deadline=False).end(event_date):
        return False
    return not within(limitation, event_date, reported_on, calendar)


# -- the decision and payment clocks ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Clocks:
    """A claim's legal dates; None where a clock has not started (or the jurisdiction has no such rule)."""

    decision_due: date | None = None  # 30 days, less the time spent supplying documents (Art. 23; JI II Art. 15)
    simple_decision_due: date | None = None  # 5 working days from complete documents (service standard)
    advance_payment_due: date | None = None  # 60 days after the claim and its documents (Art. 25)
    refusal_notice_due: date | None = None  # 3 days after a refusal (Art. 24)
    payment_due: date | None = None  # CN: 10 days after agreement (Art. 23); TW: 15 days after the documents (Art. 34)
    stopped: bool = False  # the decision clock waits for documents asked for


def decision_due(*, first_receipt: date, period: Period, notice_reached_on: date | None,
                 documents_complete_on: date | None) -> tuple[date | None, bool]:
    """The last day to decide: `period` (30 days) from the first receipt of the claim, extended by the days from
    the missing-documents notice reaching the claimant to the documents reaching the insurer (Judicial
    Interpretation II Art. 15). While documents asked for are outstanding the clock stands: (None, True)."""
    base = period.end(first_receipt)
    if notice_reached_on is None:
        return base, False
    if documents_complete_on is None:
        return None, True
    return base + timedelta(days=max(0, (documents_complete_on - notice_reached_on).days)), False


def clocks(*, first_receipt: date, documents_complete_on: date | None, notice_reached_on: date | None,
           simple: bool, decided_on: date | None, outcome: str | None,
           decision: Period | None, simple_decision: Period | None, advance: Period | None,
           refusal_notice: Period | None, payment: Period | None,
           calendar: WorkingCalendar | None, payment_after_documents: Period | None = None) -> Clocks:
    """Every clock of a claim from its dates; a rule the jurisdiction does not define (None) gives no date. Where
    payment is due a period after the complete documents (`payment_after_documents`, TW Insurance Act Art. 34: 15
    days) rather than after the agreement, that date is the payment's from the documents on, decided or not
    (a refusal owes no payment)."""
    due, stopped = (decision_due(first_receipt=first_receipt, period=decision, notice_reached_on=notice_reached_on,
                                 documents_complete_on=documents_complete_on) if decision else (None, False))
    simple_due = (simple_decision.end(documents_complete_on, calendar)
                  if simple and simple_decision and documents_complete_on else None)
    advance_due = advance.end(documents_complete_on) if advance and documents_complete_on else None
    refusal_due = payment_due = None
    if decided_on is not None and outcome == Outcome.DECLINED and refusal_notice:
        refusal_due = refusal_notice.end(decided_on)
    if decided_on is not None and outcome in (Outcome.APPROVED, Outcome.PARTLY_APPROVED) and payment:
        payment_due = payment.end(decided_on)
    if payment_after_documents and documents_complete_on and outcome != Outcome.DECLINED:
        payment_due = payment_after_documents.end(documents_complete_on)
    return Clocks(due, simple_due, advance_due, refusal_due, payment_due, stopped)


def advance_payment_owed(*, advance_due: date | None, as_of: date, decided: bool) -> bool:
    """Still undecided after the 60 days: the amount that can be determined is paid in advance (Art. 25)."""
    return advance_due is not None and not decided and as_of > advance_due


# -- payees of a death benefit -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BeneficiaryFacts:
    key: int
    name: str
    order: int
    share: Fraction | None  # None: equal shares within the order
    died_first: bool = False  # died before the insured, or in the same event (presumed first: Art. 42)
    renounced: bool = False  # renounced or lost the right


@dataclass(frozen=True, slots=True)
class Payee:
    key: int | None  # the beneficiary's key; None for the estate
    name: str
    share: Fraction
    estate: bool = False


def death_payees(beneficiaries: Sequence[BeneficiaryFacts], *, estate_name: str) -> list[Payee]:
    """Who receives a death benefit and in what share (Judicial Interp. III Art. 12; DOMAIN.md): the first order
    with a beneficiary who outlived the insured and did not renounce; within it, the shares of those left, in
    proportion (equal when unspecified); nobody left in any order: the insured's estate (Art. 42). Shares sum to
    exactly 1."""
    orders = sorted({b.order for b in beneficiaries})
    for order in orders:
        members = [b for b in beneficiaries if b.order == order]
        left = [b for b in members if not (b.died_first or b.renounced)]
        if not left:
            continue
        weights = [b.share if b.share is not None else Fraction(1) for b in left]
        if any(w <= 0 for w in weights):
            raise ValueError("a beneficiary's share must be positive")
        total = sum(weights, Fraction(0))
        return [Payee(b.key, b.name, w / total) for b, w in zip(left, weights, strict=True)]
    return [Payee(None, estate_name, Fraction(1), estate=True)]


def as_fraction(share) -> Fraction | None:
    """A stored share as a Fraction: a Fraction as it is, a percentage (Decimal) as its fraction of 100."""
    if share is None:
        return None
    if isinstance(share, Fraction):
        return share
    return Fraction(Decimal(share)) / 100

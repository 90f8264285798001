"""The complaint limits' arithmetic (CBIRC Order 2020 No. 3, DOMAIN.md) and the complaint statistics' rates.

Pure functions of dates, the jurisdiction's periods and its working calendar; no Django, no I/O. The insurer's own
limits (the decision, the review's decision) run on calendar days and are never moved; the customer's limit (asking
for a review) ends on the next working day when its last day is a rest day (`Period.customer_deadline`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from lifecrm.core.rules import Period, WorkingCalendar

RULE_KEYS = ("complaint_decision", "complaint_decision_complex", "complaint_extension", "complaint_max",
             "complaint_review_request", "complaint_review_decision")


class Stage(StrEnum):
    """Where a complaint stands: what it waits for next."""

    OPEN = "open"  # waiting for the decision
    DECIDED = "decided"  # decided, the delivery not yet proved
    DELIVERED = "delivered"  # delivered: the customer may ask for a review
    REVIEW = "review"  # the customer asked for a review: waiting for its decision
    REVIEWED = "reviewed"  # the review decided, the delivery not yet proved
    CLOSED = "closed"  # the review's decision delivered


CASE_EVENTS_OF_THE_COMPLAINT = frozenset({"resolved", "reopened", "closed", "cancelled"})
"""The case events a complaint's stage governs: the complaint's own services append them as its stage moves (the
decision resolves the case, a review request reopens it, the review decision's delivery closes it)."""


def case_event_allowed(stage: Stage, kind: str, *, review_window_over: bool) -> bool:
    """Whether the case's generic action `kind` (not one of the complaint's own steps) may be taken at `stage`.

    A complaint is never resolved or reopened by hand (only by its decision and a review request); it may be
    cancelled while nothing is decided (withdrawn, or taken in by mistake); it may be closed by hand only once its
    decision is delivered AND the customer can no longer ask for a review: a close before would block the review."""
    if kind not in CASE_EVENTS_OF_THE_COMPLAINT:
        return True
    if kind == "cancelled":
        return stage == Stage.OPEN
    if kind == "closed":
        return stage == Stage.DELIVERED and review_window_over
    return False


class DecisionKind(StrEnum):
    FIRST = "first"  # the decision on the complaint
    REVIEW = "review"  # the decision on the customer's request for a review


@dataclass(frozen=True, slots=True)
class ComplaintLimits:
    """A jurisdiction's complaint periods (jurisdiction_rules.json)."""

    decision: Period
    decision_complex: Period
    extension: Period
    maximum: Period
    review_request: Period
    review_decision: Period


class LimitRefused(ValueError):
    """An extension or a review request the limits do not allow; `code` names which limit."""

    def __init__(self, code: str, last_day: date | None = None) -> None:
        self.code = code
        self.last_day = last_day
        super().__init__(code)


def decision_due(limits: ComplaintLimits, received_on: date, *, is_complex: bool, extension_days: int = 0) -> date:
    """The last day to decide: 15 days after receipt, 30 when complex, plus an approved extension's days."""
    base = (limits.decision_complex if is_complex else limits.decision).end(received_on)
    return base + timedelta(days=extension_days)


def check_extension(limits: ComplaintLimits, received_on: date, *, is_complex: bool, already_extended: bool,
                    days: int, requested_on: date) -> date:
    """The decision's new last day after an extension of `days`, or LimitRefused: only one extension, of a complex
    complaint, of 1 to 30 days, asked for while the deadline runs, never beyond 60 days from receipt."""
    if already_extended:
        raise LimitRefused("once")
    if not is_complex:
        raise LimitRefused("not_complex")
    if days < 1 or days > limits.extension.quantity:
        raise LimitRefused("days")
    current = decision_due(limits, received_on, is_complex=True)
    if requested_on > current:
        raise LimitRefused("late", current)
    new_due = current + timedelta(days=days)
    maximum = limits.maximum.end(received_on)
    if new_due > maximum:
        raise LimitRefused("maximum", maximum)
    return new_due


def review_request_last_day(limits: ComplaintLimits, delivered_on: date, calendar: WorkingCalendar) -> date:
    """The customer's last day to ask for a review: 30 days after the decision's delivery, moved past rest days."""
    return limits.review_request.end(delivered_on, calendar)


def review_due(limits: ComplaintLimits, requested_on: date) -> date:
    """The last day to decide a review: 30 calendar days after the customer asked."""
    return limits.review_decision.end(requested_on)


def is_overdue(due: date | None, as_of: date) -> bool:
    return due is not None and as_of > due


PER_POLICIES = Decimal(10_000)
PER_CUSTOMERS = Decimal(10_000)
PER_PREMIUM = Decimal(100_000_000)
RATE_PLACES = Decimal("0.01")


def rate(count: int, base: Decimal | int, per: Decimal) -> Decimal | None:
    """Complaints per `per` of `base`, rounded half-up to 0.01; None when there is no base to divide by."""
    base = Decimal(base)
    if base <= 0:
        return None
    return (Decimal(count) * per / base).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)

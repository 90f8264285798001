"""The service desk's pure rules: channels, case statuses and the transitions between them. No Django, no I/O."""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import IntEnum, StrEnum


class Channel(StrEnum):
    CALL = "call"
    WEB = "web"
    PORTAL = "portal"
    AGENT_VISIT = "agent_visit"
    COUNTER = "counter"
    LETTER = "letter"
    SMS = "sms"
    EMAIL = "email"


class Direction(StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"


class Priority(IntEnum):
    """Lower is more urgent (sorting by priority puts the urgent first)."""

    URGENT = 1
    HIGH = 2
    NORMAL = 3
    LOW = 4


class CaseStatus(StrEnum):
    NEW = "new"  # taken in, nobody has it yet
    OPEN = "open"  # a handler works on it
    WAITING = "waiting"  # waiting for the customer: the resolution clock pauses
    RESOLVED = "resolved"  # answered or decided; the customer may still come back (reopen)
    CLOSED = "closed"  # final
    CANCELLED = "cancelled"  # taken in by mistake or withdrawn; final


OPEN_STATUSES = frozenset({CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.WAITING})
FINAL_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.CANCELLED})

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset({CaseStatus.OPEN, CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CANCELLED}),
    CaseStatus.OPEN: frozenset({CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CANCELLED}),
    CaseStatus.WAITING: frozenset({CaseStatus.OPEN, CaseStatus.RESOLVED, CaseStatus.CANCELLED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
    CaseStatus.CANCELLED: frozenset(),
}


class CaseEventKind(StrEnum):
    """What a case's append-only log records; the SLA clocks are a function of this log (`service.sla`)."""

    OPENED = "opened"
    ASSIGNED = "assigned"
    RESPONDED = "responded"  # the first (or a later) answer to the customer
    NOTE = "note"  # an internal note: never shown to the customer
    WAITING = "waiting"  # waiting for the customer: pauses the resolution clock
    RESUMED = "resumed"
    PRIORITY_CHANGED = "priority_changed"
    EXTENDED = "extended"  # a deadline extended (with its approval, for a complaint)
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    ATTACHMENT = "attachment"


STATUS_AFTER: dict[CaseEventKind, CaseStatus] = {
    CaseEventKind.WAITING: CaseStatus.WAITING,
    CaseEventKind.RESUMED: CaseStatus.OPEN,
    CaseEventKind.RESOLVED: CaseStatus.RESOLVED,
    CaseEventKind.REOPENED: CaseStatus.OPEN,
    CaseEventKind.CLOSED: CaseStatus.CLOSED,
    CaseEventKind.CANCELLED: CaseStatus.CANCELLED,
}
"""The status an event moves a case to (events not named here leave the status as it is, except that a NEW case
that is assigned or answered becomes OPEN)."""
ONLY_FROM: dict[CaseEventKind, CaseStatus] = {
    CaseEventKind.RESUMED: CaseStatus.WAITING,
    CaseEventKind.REOPENED: CaseStatus.RESOLVED,
}
"""Events that only follow one status (a case resumes after waiting, reopens after it was resolved)."""


class TransitionRefused(ValueError):
    """A status change the machine does not allow (the message names both statuses)."""


def next_status(current: CaseStatus, kind: CaseEventKind) -> CaseStatus:
    """The status after an event of `kind`, or `TransitionRefused`."""
    if current in FINAL_STATUSES:
        raise TransitionRefused(f"the case is {current.value}: nothing more can happen to it")
    target = STATUS_AFTER.get(kind)
    if target is None:
        if current == CaseStatus.NEW and kind in (CaseEventKind.ASSIGNED, CaseEventKind.RESPONDED):
            return CaseStatus.OPEN
        return current
    if target == current or target not in TRANSITIONS[current] or ONLY_FROM.get(kind, current) != current:
        raise TransitionRefused(f"a {current.value} case cannot become {target.value}")
    return target


# -- emergency -------------------------------------------------------------------------------------------------

class PartnerKind(StrEnum):
    """Who the emergency line sends for; an assistance benefit of a product names the same kinds."""

    AMBULANCE = "ambulance"
    HOSPITAL_REFERRAL = "hospital_referral"
    MEDICAL_ADVICE = "medical_advice"


class DispatchStage(StrEnum):
    """The times a partner dispatch logs, in the order they happen (each at or after the one before)."""

    REQUESTED = "requested"
    CONFIRMED = "confirmed"  # the partner accepted
    ARRIVED = "arrived"  # on the scene, the patient admitted, or the doctor on the line
    CLOSED = "closed"  # the partner's part is over


DISPATCH_ORDER = (DispatchStage.REQUESTED, DispatchStage.CONFIRMED, DispatchStage.ARRIVED, DispatchStage.CLOSED)
FIRST_FOLLOW_UP_AFTER = timedelta(hours=24)
"""An emergency case gets one follow-up when it is opened: check on the customer a day later."""


def dispatch_order_refusal(times: dict[DispatchStage, datetime | None]) -> tuple[DispatchStage, DispatchStage] | None:
    """The first pair of logged stages out of order (`(later, earlier)`: `later` is before `earlier`), or None.

    Stages not logged yet are skipped: an arrival may be logged without a confirmation."""
    logged = [(stage, times.get(stage)) for stage in DISPATCH_ORDER if times.get(stage) is not None]
    for (earlier, earlier_at), (later, later_at) in zip(logged, logged[1:], strict=False):
        if later_at < earlier_at:
            return later, earlier
    return None


def assistance_covered(benefits: dict[str, frozenset[str]], products: list[str]) -> frozenset[str]:
    """The assistance benefits (PartnerKind values) that any of `products` (product codes) carries."""
    return frozenset().union(*(benefits.get(code, frozenset()) for code in products))

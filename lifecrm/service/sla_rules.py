"""SLA clocks as a pure function of a case's append-only event log. No Django, no I/O.

A jurisdiction's business time is its working days (`core.rules.WorkingCalendar`: weekly rest days, holidays,
make-up working days) times its working intervals of the day (09:00–12:00 and 13:30–18:00…, in its time zone),
less the closures head office declares (a typhoon signal: from–to). A target is business hours (counted only in
that time), calendar days (counted on the wall clock; a deadline falling outside business time moves to the
next business moment, so one in the lunch break moves to 13:30) or hours around the clock (emergency assistance,
never moved).

Replaying the log (`replay`): the response clock runs from "opened" to the first answer (or the resolution); the
resolution clock runs from "opened" to "resolved", pauses while the case waits for the customer ("waiting" →
"resumed") and runs again on "reopened". A priority change switches the clock's target to the new priority's,
counted from the opening with the time consumed so far kept, and the deadline is never before the change (a case
made urgent late is not breached in the past: history is never rewritten). An "extended" event with
`{"clock": "resolution", "quantity": N}` adds N of the clock's unit. The same log always gives the same clocks.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from lifecrm.service.rules import CaseEventKind

DAY = 86400
SEARCH_DAYS = 3 * 366  # a calendar with no business time in three years is a configuration error


class TargetUnit(StrEnum):
    BUSINESS_HOURS = "business_hours"
    CALENDAR_DAYS = "calendar_days"
    CLOCK_HOURS = "clock_hours"  # around the clock, never moved (emergency assistance, 24 × 7)


class Clock(StrEnum):
    RESPONSE = "response"
    RESOLUTION = "resolution"


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"  # waiting for the customer
    MET = "met"  # stopped on time
    BREACHED = "breached"  # past its deadline, running or stopped late
    CANCELLED = "cancelled"  # the case was cancelled before the clock stopped: not measured


T = TypeVar("T")


class NoBusinessTime(ValueError):
    """The calendar has no working time ahead (no working intervals set for the jurisdiction)."""


@dataclass(frozen=True, slots=True)
class Target:
    quantity: Decimal
    unit: TargetUnit

    @property
    def seconds(self) -> int:
        per = DAY if self.unit == TargetUnit.CALENDAR_DAYS else 3600
        return int(Decimal(self.quantity) * per)


@dataclass(frozen=True, slots=True)
class Targets:
    """One SLA policy's targets for a priority."""

    response: Target
    resolution: Target
    warn_fraction: Decimal = Decimal("0.2")  # warn when this share of the target is left

    def of(self, clock: Clock) -> Target:
        return self.response if clock == Clock.RESPONSE else self.resolution


@dataclass(frozen=True)
class BusinessCalendar:
    """A jurisdiction's business time. `hours`: working intervals per weekday (Monday = 0), with `None` for every
    other working day; `closures`: (from, to) aware datetimes with no business time."""

    zone: ZoneInfo
    is_working_day: Callable[[date], bool]
    hours: Mapping[int | None, tuple[tuple[time, time], ...]]
    closures: tuple[tuple[datetime, datetime], ...] = ()
    _spans: dict = field(default_factory=dict, compare=False, repr=False)

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The business time of the local date `day`: aware (start, end) pairs in order, closures taken out."""
        if day in self._spans:
            return self._spans[day]
        result: list[tuple[datetime, datetime]] = []
        if self.is_working_day(day):
            for start, end in self.hours.get(day.weekday(), self.hours.get(None, ())):
                result.extend(_less_closures(datetime.combine(day, start, self.zone),
                                             datetime.combine(day, end, self.zone), self.closures))
        self._spans[day] = result
        return result

    def _days_from(self, at: datetime) -> Iterable[date]:
        day = at.astimezone(self.zone).date() - timedelta(days=1)  # a span of the day before may still hold `at`
        for offset in range(SEARCH_DAYS):
            yield day + timedelta(days=offset)
        raise NoBusinessTime(f"no business time within {SEARCH_DAYS} days of {at.isoformat()}")

    def next_business_moment(self, at: datetime) -> datetime:
        """`at` when it is business time, else the start of the next business span."""
        for day in self._days_from(at):
            for start, end in self.spans(day):
                if at < end:
                    return max(at, start)
        raise AssertionError("unreachable")

    def add(self, at: datetime, seconds: int) -> datetime:
        """The moment `seconds` of business time after `at` (a target used up at a span's end ends there)."""
        if seconds <= 0:
            return self.next_business_moment(at)
        remaining = seconds
        for day in self._days_from(at):
            for start, end in self.spans(day):
                if end <= at:
                    continue
                begin = max(start, at)
                length = int((end - begin).total_seconds())
                if remaining <= length:
                    return begin + timedelta(seconds=remaining)
                remaining -= length
        raise AssertionError("unreachable")

    def between(self, start: datetime, end: datetime) -> int:
        """Seconds of business time in [start, end)."""
        if end <= start:
            return 0
        total = 0
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date()
        while day <= last:
            for a, b in self.spans(day):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += int((hi - lo).total_seconds())
            day += timedelta(days=1)
        return total


def _less_closures(start: datetime, end: datetime, closures) -> list[tuple[datetime, datetime]]:
    pieces = [(start, end)]
    for c_from, c_to in closures:
        cut = []
        for a, b in pieces:
            if c_to <= a or c_from >= b:
                cut.append((a, b))
                continue
            if a < c_from:
                cut.append((a, c_from))
            if c_to < b:
                cut.append((c_to, b))
        pieces = cut
    return pieces


@dataclass(frozen=True, slots=True)
class Event:
    """What a clock reads of one `CaseEvent`."""

    kind: CaseEventKind
    at: datetime
    data: Mapping = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClockResult:
    clock: Clock
    state: ClockState
    target: Target
    budget: int  # seconds of the clock's measure: the target plus extensions
    consumed: int  # seconds of the clock's measure used up to `as_of` (or to the stop)
    paused: int  # wall-clock seconds spent waiting for the customer
    due: datetime | None  # None while paused (the remaining time is known, not the date)
    stopped_at: datetime | None
    warn_at: datetime | None  # when `warn_fraction` of the budget is left (None while paused or stopped)

    @property
    def remaining(self) -> int:
        return self.budget - self.consumed

    @property
    def is_open(self) -> bool:
        return self.state in (ClockState.RUNNING, ClockState.PAUSED) or (
            self.state == ClockState.BREACHED and self.stopped_at is None)


@dataclass(frozen=True, slots=True)
class CaseClocks:
    response: ClockResult
    resolution: ClockResult
    priority: int


STOPS = {
    Clock.RESPONSE: frozenset({CaseEventKind.RESPONDED, CaseEventKind.RESOLVED, CaseEventKind.CLOSED}),
    Clock.RESOLUTION: frozenset({CaseEventKind.RESOLVED, CaseEventKind.CLOSED}),
}


def _quantity(value) -> Decimal:
    """An extension's quantity; anything but a positive number adds nothing (the log is never refused on replay)."""
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)
    return quantity if quantity.is_finite() and quantity > 0 else Decimal(0)


def _measure(calendar: BusinessCalendar, unit: TargetUnit) -> Callable[[datetime, datetime], int]:
    if unit == TargetUnit.BUSINESS_HOURS:
        return calendar.between
    return lambda a, b: max(0, int((b - a).total_seconds()))


def _advance(calendar: BusinessCalendar, unit: TargetUnit, at: datetime, seconds: int) -> datetime:
    if unit == TargetUnit.BUSINESS_HOURS:
        return calendar.add(at, seconds)
    if unit == TargetUnit.CLOCK_HOURS:
        return at + timedelta(seconds=seconds)
    return calendar.next_business_moment(at + timedelta(seconds=seconds))


def _clock(clock: Clock, events: Sequence[Event], targets: Callable[[int], Targets], calendar: BusinessCalendar,
           as_of: datetime) -> tuple[ClockResult, int]:
    opened = events[0]
    priority = latest_priority = int(opened.data["priority"])
    segments: list[tuple[datetime, datetime]] = []  # closed stretches the clock ran
    running_since: datetime | None = opened.at
    paused_since: datetime | None = None
    paused = 0
    floor = opened.at
    extension = 0
    stopped_at: datetime | None = None
    cancelled = False
    pauses = clock == Clock.RESOLUTION
    for event in events[1:]:
        if event.at > as_of:
            break
        kind = event.kind
        if kind == CaseEventKind.PRIORITY_CHANGED:
            latest_priority = int(event.data["priority"])
            if stopped_at is None:  # a stopped clock keeps the target it was measured by
                priority, floor = latest_priority, max(floor, event.at)
        elif kind == CaseEventKind.EXTENDED and event.data.get("clock", Clock.RESOLUTION.value) == clock.value:
            extension += Target(_quantity(event.data.get("quantity")), targets(priority).of(clock).unit).seconds
        elif kind == CaseEventKind.CANCELLED and stopped_at is None:
            cancelled = True
            if running_since is not None:
                segments.append((running_since, event.at))
            running_since, stopped_at = None, event.at
        elif stopped_at is not None:
            if kind == CaseEventKind.REOPENED and clock == Clock.RESOLUTION:
                stopped_at, running_since = None, event.at
                if latest_priority != priority:
                    priority, floor = latest_priority, max(floor, event.at)
        elif kind in STOPS[clock]:
            if running_since is not None:
                segments.append((running_since, event.at))
            if paused_since is not None:
                paused += int((event.at - paused_since).total_seconds())
            running_since, paused_since, stopped_at = None, None, event.at
        elif pauses and kind == CaseEventKind.WAITING and running_since is not None:
            segments.append((running_since, event.at))
            running_since, paused_since = None, event.at
        elif pauses and kind == CaseEventKind.RESUMED and paused_since is not None:
            paused += int((event.at - paused_since).total_seconds())
            running_since, paused_since = event.at, None
    if paused_since is not None:
        paused += int((as_of - paused_since).total_seconds())

    policy = targets(priority)
    target = policy.of(clock)
    measure = _measure(calendar, target.unit)
    budget = target.seconds + extension
    used = [measure(a, b) for a, b in segments]
    consumed = sum(used) + (measure(running_since, as_of) if running_since is not None else 0)

    def moment_at(left: int) -> datetime | None:
        """When the clock reaches `budget - left` consumed, following the stretches it ran, then running on."""
        need = budget - left
        for (a, _b), length in zip(segments, used, strict=True):
            if need <= length:
                return _advance(calendar, target.unit, a, need)
            need -= length
        resume = running_since or (segments[-1][1] if stopped_at is not None and segments else None)
        if resume is None:
            return None  # paused
        return _advance(calendar, target.unit, resume, need)

    due = moment_at(0)
    if due is not None and due < floor:
        due = calendar.next_business_moment(floor)
    warn_at = None
    if stopped_at is None and running_since is not None:
        warn_at = moment_at(int(budget * policy.warn_fraction))
        if warn_at is not None and due is not None:
            warn_at = min(max(warn_at, floor), due)
    if cancelled:
        state = ClockState.CANCELLED
    elif stopped_at is not None:
        state = ClockState.MET if due is not None and stopped_at <= due else ClockState.BREACHED
    elif due is not None and as_of > due:
        state = ClockState.BREACHED
    elif running_since is None:
        state = ClockState.PAUSED
    else:
        state = ClockState.RUNNING
    return ClockResult(clock, state, target, budget, consumed, paused, due, stopped_at, warn_at), latest_priority


def replay(events: Sequence[Event], *, targets: Callable[[int], Targets], calendar: BusinessCalendar,
           as_of: datetime) -> CaseClocks:
    """Both clocks of a case on `as_of` from its log (ordered by seq, the first event "opened").
    `targets(priority)`: the SLA policy's targets for a priority."""
    if not events or events[0].kind != CaseEventKind.OPENED:
        raise ValueError("a case's log starts with its opening")
    response, priority = _clock(Clock.RESPONSE, events, targets, calendar, as_of)
    resolution, _ = _clock(Clock.RESOLUTION, events, targets, calendar, as_of)
    return CaseClocks(response, resolution, priority)


@dataclass(frozen=True, slots=True)
class PolicyKey:
    """What an SLA policy row applies to; a blank ("" / None) field matches any case."""

    case_type: str
    tier: str
    priority: int | None
    jurisdiction: str


def specificity(key: PolicyKey) -> int:
    return sum(1 for value in (key.case_type, key.tier, key.priority, key.jurisdiction) if value not in ("", None))


def matches(key: PolicyKey, *, case_type: str, tier: str, priority: int, jurisdiction: str) -> bool:
    return ((key.case_type in ("", case_type)) and (key.tier in ("", tier))
            and (key.priority in (None, priority)) and (key.jurisdiction in ("", jurisdiction)))


def best_policy(rows: Iterable[tuple[PolicyKey, T]], *, case_type: str, tier: str, priority: int,
                   jurisdiction: str) -> T | None:
    """The row that applies to a case: the most specific match (the jurisdiction, then the case type, the
    priority and the tier break ties, in that order)."""
    best, best_rank = None, None
    for key, value in rows:
        if not matches(key, case_type=case_type, tier=tier, priority=priority, jurisdiction=jurisdiction):
            continue
        rank = (specificity(key), key.jurisdiction != "", key.case_type != "", key.priority is not None,
                key.tier != "")
        if best_rank is None or rank > best_rank:
            best, best_rank = value, rank
    return best


def warn_due(result: ClockResult, as_of: datetime) -> bool:
    """The clock runs with less than its warning share left (and is not yet breached)."""
    return result.state == ClockState.RUNNING and result.warn_at is not None and as_of >= result.warn_at

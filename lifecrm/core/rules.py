"""Pure date arithmetic for legal and business time limits: periods, month ends, working days.

Counting conventions (DOMAIN.md): day 1 is the day after the trigger date; a period in months or
years ends on the same date of the final month, or on that month's last day when it has no such
date; a working-day limit of N ends on the Nth working day after the trigger; when the last day of
a period the *customer* has falls on a rest day, it moves to the next working day. A working calendar
knows which years it holds and which of them are provisional (not yet published by the authority): a
day outside them raises CalendarYearNotLoaded, never a guess. No I/O here.
"""
from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum


class Unit(StrEnum):
    DAYS = "days"
    WORKING_DAYS = "working_days"
    MONTHS = "months"
    YEARS = "years"
    AMOUNT = "amount"


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the last day of that month when it has no such day."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


class CalendarYearNotLoaded(LookupError):
    """A date in a year that the jurisdiction's working calendar does not hold: load it (`lifecrm load-calendar`)."""

    def __init__(self, jurisdiction: str, year: int) -> None:
        self.jurisdiction = jurisdiction
        self.year = year
        super().__init__(f"the {jurisdiction} working calendar has no year {year}: "
                         f"load it (lifecrm load-calendar) before counting days in {year}")


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Which days are working days: weekdays, less holidays, plus make-up working days (调休)."""

    jurisdiction: str
    # date -> True for a make-up working day on a weekend, False for a holiday on a weekday.
    exceptions: Mapping[date, bool] = field(default_factory=dict)
    weekend: frozenset[int] = frozenset({5, 6})
    # The years the calendar holds, each True when provisional (the authority has not published it yet, so its
    # holidays are foreseen and its make-up working days unknown). None: a plain week in every year, for
    # synthetic calendars only; a jurisdiction's calendar always names its years.
    years: Mapping[int, bool] | None = None

    def _require(self, day: date) -> None:
        if self.years is not None and day.year not in self.years:
            raise CalendarYearNotLoaded(self.jurisdiction, day.year)

    def is_working_day(self, day: date) -> bool:
        self._require(day)
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() not in self.weekend

    def is_provisional(self, day: date) -> bool:
        """True when `day`'s year is provisional: a deadline falling there may still move when it is published."""
        self._require(day)
        return bool(self.years and self.years[day.year])

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, trigger: date, count: int) -> date:
        """The `count`-th working day after `trigger` (the trigger day itself never counts)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = trigger
        remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day


@dataclass(frozen=True, slots=True)
class Period:
    """A time limit: `quantity` `unit`s counted from a trigger date."""

    quantity: int
    unit: Unit
    # True when the period is the customer's (grace, reinstatement, cooling-off, review request):
    # a last day on a rest day then moves to the next working day.
    customer_deadline: bool = False

    def __post_init__(self) -> None:
        if self.unit == Unit.AMOUNT:
            raise ValueError("an amount is not a period")
        if self.quantity < 0:
            raise ValueError("a period cannot be negative")

    def min_days(self) -> int:
        """The fewest calendar days the period can last (a month at least 28, a year 365): a batch reads
        only the rows whose trigger is at least this long ago, then `end` decides each one exactly."""
        per_unit = {Unit.DAYS: 1, Unit.WORKING_DAYS: 1, Unit.MONTHS: 28, Unit.YEARS: 365}
        return self.quantity * per_unit[self.unit]

    def end(self, trigger: date, calendar: WorkingCalendar | None = None) -> date:
        """The last day of the period that starts the day after `trigger`."""
        if self.unit == Unit.DAYS:
            last = trigger + timedelta(days=self.quantity)
        elif self.unit == Unit.MONTHS:
            last = add_months(trigger, self.quantity)
        elif self.unit == Unit.YEARS:
            last = add_months(trigger, 12 * self.quantity)
        else:
            if calendar is None:
                raise ValueError("a working-day period needs a working calendar")
            last = calendar.add_working_days(trigger, self.quantity)
        if self.customer_deadline:
            if calendar is None:
                raise ValueError("a customer deadline needs a working calendar to skip rest days")
            last = calendar.next_working_day(last)
        return last

    def is_running(self, trigger: date, as_of: date, calendar: WorkingCalendar | None = None) -> bool:
        """True while `as_of` is on or before the period's last day."""
        return as_of <= self.end(trigger, calendar)


@dataclass(frozen=True, slots=True)
class JurisdictionRule:
    """One row of the jurisdiction rules table (DOMAIN.md), as plain data."""

    jurisdiction: str
    key: str
    quantity: Decimal
    unit: Unit
    customer_deadline: bool
    trigger: str
    source: str

    @property
    def period(self) -> Period:
        if self.unit == Unit.AMOUNT:
            raise ValueError(f"rule {self.jurisdiction}/{self.key} is an amount, not a period")
        return Period(int(self.quantity), self.unit, self.customer_deadline)

    @property
    def amount(self) -> Decimal:
        if self.unit != Unit.AMOUNT:
            raise ValueError(f"rule {self.jurisdiction}/{self.key} is a period, not an amount")
        return self.quantity


def age_last_birthday(birth_date: date, as_of: date) -> int:
    """Completed years of age on `as_of` (a 29 February birthday is reached on 1 March in common years)."""
    years = as_of.year - birth_date.year
    if (as_of.month, as_of.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years

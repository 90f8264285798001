"""Vectorised dates for the generator: day numbers, calendar arithmetic, ISO strings, time zones, working days.

Dates are int64 day numbers since 1970-01-01 (numpy datetime64[D] viewed as int); NO_DATE means NULL.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache

import numpy as np

from lifecrm.core.generator.errors import GeneratorError

EPOCH = date(1970, 1, 1)


def days_of(value: date) -> int:
    return (value - EPOCH).days


def date_of(days: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + int(days))


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of day numbers: the proleptic Gregorian civil-from-days algorithm in integers."""
    z = np.asarray(days, dtype=np.int64) + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def from_ymd(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Day numbers of (year, month, day); a day past the month's end is clipped to its last day."""
    year = np.asarray(year, dtype=np.int64)
    month = np.asarray(month, dtype=np.int64)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = _MONTH_DAYS[month - 1] + ((month == 2) & leap)
    return _days_from_civil(year, month, np.minimum(np.asarray(day, dtype=np.int64), last))


def add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Vectorised `lifecrm.core.rules.add_months`: same day `months` later, clipped to the month end."""
    year, month, day = ymd(days)
    index = year * 12 + (month - 1) + np.asarray(months, dtype=np.int64)
    return from_ymd(index // 12, index % 12 + 1, day)


def age_on(birth: np.ndarray, on: np.ndarray | int) -> np.ndarray:
    """Vectorised `lifecrm.core.rules.age_last_birthday`."""
    by, bm, bd = ymd(birth)
    oy, om, od = ymd(np.broadcast_to(np.asarray(on, dtype=np.int64), np.shape(birth)))
    before = (om < bm) | ((om == bm) & (od < bd))
    return oy - by - before.astype(np.int64)


def whole_months_between(start: np.ndarray, end: np.ndarray | int) -> np.ndarray:
    """The largest M >= 0 with add_months(start, M) <= end (end >= start)."""
    sy, sm, _ = ymd(start)
    ey, em, _ = ymd(np.broadcast_to(np.asarray(end, dtype=np.int64), np.shape(start)))
    guess = np.maximum((ey - sy) * 12 + (em - sm), 0)
    too_far = add_months(start, guess) > end
    return guess - too_far.astype(np.int64)


_DATE_BASE = days_of(date(1900, 1, 1))
_DATE_END = days_of(date(2201, 1, 1))


@cache
def _date_table() -> np.ndarray:
    return np.arange(_DATE_BASE, _DATE_END).astype("datetime64[D]").astype(str).astype(object)


@cache
def _time_table(suffix: str) -> np.ndarray:
    seconds = np.arange(86400)
    return np.array(
        [f" {h:02d}:{m:02d}:{s:02d}{suffix}" for h, m, s in zip(seconds // 3600, seconds // 60 % 60, seconds % 60,
                                                                 strict=True)],
        dtype=object,
    )


NO_DATE = np.iinfo(np.int64).min  # a day number meaning NULL


def iso_dates(days: np.ndarray) -> np.ndarray:
    """ISO strings of day numbers (object array); NO_DATE gives None."""
    days = np.asarray(days, dtype=np.int64)
    missing = days == NO_DATE
    index = np.where(missing, 0, days - _DATE_BASE)
    if index.size and (index.min() < 0 or index.max() >= _DATE_END - _DATE_BASE):
        raise GeneratorError("a generated date lies outside 1900–2200")
    out = _date_table()[index]
    if missing.any():
        out = out.copy()
        out[missing] = None
    return out


def datetime_strings(seconds: np.ndarray, suffix: str) -> np.ndarray:
    """'YYYY-MM-DD HH:MM:SS<suffix>' of UTC epoch seconds (object array)."""
    seconds = np.asarray(seconds, dtype=np.int64)
    return iso_dates(seconds // 86400) + _time_table(suffix)[seconds % 86400]


def utc_seconds(days: np.ndarray, local_seconds: np.ndarray, utc_offset_seconds: int) -> np.ndarray:
    """Epoch seconds (UTC) of a local date and time of day."""
    return np.asarray(days, dtype=np.int64) * 86400 + np.asarray(local_seconds, dtype=np.int64) - utc_offset_seconds


def aware(seconds: int) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


def utc_offset_seconds(jurisdiction: str, on: date) -> int:
    """The jurisdiction's offset from UTC on a date (all three have kept UTC+8 without DST since 1992)."""
    from zoneinfo import ZoneInfo

    from lifecrm.core.models import Jurisdiction

    zone_name = Jurisdiction.objects.filter(code=jurisdiction).values_list("time_zone", flat=True).first()
    zone = ZoneInfo(zone_name or "Asia/Shanghai")
    offset = datetime(on.year, on.month, on.day, 12, tzinfo=zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


class WorkingDays:
    """Vectorised working-day arithmetic over the jurisdiction's calendar table (weekends + CalendarDay)."""

    def __init__(self, jurisdiction: str, first: date, last: date) -> None:
        from lifecrm.core.models import CalendarDay

        self.base = days_of(first)
        span = days_of(last) - self.base + 1
        days = np.arange(self.base, self.base + span)
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
        working = weekday < 5
        for day, is_working in CalendarDay.objects.filter(
            jurisdiction_id=jurisdiction, day__gte=first, day__lte=last
        ).values_list("day", "is_working_day"):
            working[days_of(day) - self.base] = is_working
        self.working = working
        positions = np.nonzero(working)[0]
        # next_working[i]: the first working day index >= i (the last one if none follows)
        follow = np.searchsorted(positions, np.arange(span), side="left")
        self.next_working = positions[np.minimum(follow, len(positions) - 1)] + self.base

    def next_working_day(self, days: np.ndarray) -> np.ndarray:
        """`days` itself when a working day, else the first working day after it (customer deadlines)."""
        days = np.asarray(days, dtype=np.int64)
        index = np.clip(days - self.base, 0, len(self.working) - 1)
        inside = (days >= self.base) & (days < self.base + len(self.working))
        return np.where(inside, self.next_working[index], days)

"""The calendar file `lifecrm load-calendar` reads: one year of one jurisdiction's calendar, checked field by field.

Format (JSON, UTF-8; docs/operations.md):
    {"jurisdiction": "CN", "year": 2027, "status": "official",
     "source": "国务院办公厅关于2027年部分节假日安排的通知 (国办发明电〔2026〕…号)",
     "holidays": [{"date": "2027-01-01", "name": "New Year's Day"}, …],
     "working_days": [{"date": "2027-02-07", "name": "Spring Festival make-up working day"}, …]}
`holidays` are the year's rest days besides the weekly ones (a holiday on a weekly rest day is allowed and
changes nothing); `working_days` are the make-up working days (调休), each on a weekly rest day. No Django here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

STATUSES = ("official", "provisional")
FIELDS = {"jurisdiction", "year", "status", "source", "holidays", "working_days"}
DAY_FIELDS = {"date", "name"}
FIRST_YEAR, LAST_YEAR = 1990, 2100


class CalendarFileError(ValueError):
    """A calendar file that cannot be loaded, with what is wrong and where."""


@dataclass(frozen=True)
class CalendarFile:
    jurisdiction: str
    year: int
    status: str
    source: str
    holidays: dict[date, str]
    working_days: dict[date, str]

    def exceptions(self, weekend: frozenset[int]) -> dict[date, tuple[bool, str]]:
        """The days that differ from the jurisdiction's week (date → (working, name)), as CalendarDay stores them;
        a make-up working day that is not on a weekly rest day is an error."""
        result = {day: (False, name) for day, name in self.holidays.items() if day.weekday() not in weekend}
        for day, name in self.working_days.items():
            if day.weekday() not in weekend:
                raise CalendarFileError(f"working_days: {day} is a {day:%A}, a working day of the "
                                        f"{self.jurisdiction} week anyway; a make-up working day falls on a rest day")
            result[day] = (True, name)
        return result


def _text(value, where: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise CalendarFileError(f"{where} must be a non-empty text")
    return value.strip()


def _days(value, where: str, year: int) -> dict[date, str]:
    if not isinstance(value, list):
        raise CalendarFileError(f"{where} must be a list of {{\"date\": \"YYYY-MM-DD\", \"name\": \"…\"}}")
    days: dict[date, str] = {}
    for index, entry in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(entry, dict) or "date" not in entry:
            raise CalendarFileError(f"{at} must be an object with a \"date\" (YYYY-MM-DD) and a \"name\"")
        unknown = set(entry) - DAY_FIELDS
        if unknown:
            raise CalendarFileError(f"{at} has unknown fields {sorted(unknown)} (expected {sorted(DAY_FIELDS)})")
        raw = entry["date"]
        try:
            if not isinstance(raw, str) or len(raw) != 10:
                raise ValueError
            day = date.fromisoformat(raw)
        except ValueError:
            raise CalendarFileError(f"{at}.date must be a date as YYYY-MM-DD, not {raw!r}") from None
        if day.year != year:
            raise CalendarFileError(f"{at}.date {day} is not in the file's year {year}")
        if day in days:
            raise CalendarFileError(f"{at}.date {day} is listed twice in {where}")
        days[day] = _text(entry.get("name"), f"{at}.name", required=False)[:120]
    return days


def parse_calendar_file(text: str) -> CalendarFile:
    """The calendar file's content, checked; CalendarFileError names the first thing wrong."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CalendarFileError(f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    if not isinstance(document, dict):
        raise CalendarFileError("the file must hold one JSON object (one jurisdiction's year)")
    unknown = set(document) - FIELDS
    missing = FIELDS - set(document)
    if unknown:
        raise CalendarFileError(f"unknown fields {sorted(unknown)} (expected {sorted(FIELDS)})")
    if missing:
        raise CalendarFileError(f"missing fields {sorted(missing)}")
    jurisdiction = _text(document["jurisdiction"], "jurisdiction").upper()
    year = document["year"]
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarFileError(f"year must be a whole number from {FIRST_YEAR} to {LAST_YEAR}, not {year!r}")
    status = document["status"]
    if status not in STATUSES:
        raise CalendarFileError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    source = _text(document["source"], "source")
    if len(source) > 300:
        raise CalendarFileError("source must be at most 300 characters")
    holidays = _days(document["holidays"], "holidays", year)
    working_days = _days(document["working_days"], "working_days", year)
    both = sorted(set(holidays) & set(working_days))
    if both:
        raise CalendarFileError(f"{both[0]} is both a holiday and a make-up working day")
    return CalendarFile(jurisdiction, year, status, source, holidays, working_days)

"""Loads the reference data that ships with lifecrm: jurisdictions, their rules, working calendars."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import holidays
from django.db import transaction

from lifecrm.core.models import CalendarYear, Jurisdiction, JurisdictionRule
from lifecrm.core.services import calendar_year_write, reference_data_changed

RULES_FILE = Path(__file__).parent / "data" / "jurisdiction_rules.json"
CALENDARS_FILE = Path(__file__).parent / "data" / "calendars.json"


def migrated(model, using: str = "default") -> bool:
    """Whether `model`'s table exists on `using`: a post_migrate loader of reference data returns early when a
    partial `migrate` stopped before its app's tables."""
    from django.db import connections

    connection = connections[using]
    with connection.cursor() as cursor:
        return model._meta.db_table in connection.introspection.table_names(cursor)


def load_jurisdiction_rules(*, update: bool = False) -> int:
    """Create the jurisdictions and rules of RULES_FILE; with `update`, overwrite edited rows too."""
    data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    written = 0
    with transaction.atomic():
        for row in data["jurisdictions"]:
            Jurisdiction.objects.update_or_create(code=row["code"], defaults=row)
        for row in data["rules"]:
            keys = {"jurisdiction_id": row["jurisdiction"], "key": row["key"]}
            values = {k: v for k, v in row.items() if k not in {"jurisdiction", "key"}}
            if update:
                JurisdictionRule.objects.update_or_create(**keys, defaults=values)
                written += 1
            else:
                _, created = JurisdictionRule.objects.get_or_create(**keys, defaults=values)
                written += created
        reference_data_changed()
    return written


def calendar_exceptions(code: str, years, weekend: frozenset[int], categories=("public",)
                        ) -> dict[date, tuple[bool, str]]:
    """Rest days on working weekdays (False) and make-up working days on rest days (True) from `holidays`, the
    package's `categories` being the jurisdiction's rest days (HK's general holidays: public and optional).

    Each category is its own calendar and a day is a working day when every one says so. One calendar of both
    categories would be wrong: its general-holiday substitutions see the statutory "observed" days as holidays
    already and move past them (the day following National Day on 3 October 2012, 2017, 2023), which the
    gazetted lists refute."""
    calendars = [holidays.country_holidays(code, years=list(years), language="en_US", categories=(category,))
                 for category in categories]
    result: dict[date, tuple[bool, str]] = {}
    day = date(min(years), 1, 1)
    end = date(max(years), 12, 31)
    while day <= end:
        weekday_work = day.weekday() not in weekend
        working = all(calendar.is_working_day(day) for calendar in calendars)
        if working != weekday_work:
            name = next((calendar.get(day) for calendar in calendars if calendar.get(day)), None)
            result[day] = (working, name or ("make-up working day" if working else "holiday"))
        day += timedelta(days=1)
    return result


def shipped_calendars() -> dict:
    """The shipped calendars' description (CALENDARS_FILE): years, and per jurisdiction its categories, last
    official year and sources."""
    return json.loads(CALENDARS_FILE.read_text(encoding="utf-8"))


def load_calendars(*, years=None) -> int:
    """Write each jurisdiction's calendar years from `holidays` (CALENDARS_FILE: official up to its last published
    year, provisional after); manual overrides stay, and a year already official is never replaced by a
    provisional one (a year loaded with `lifecrm load-calendar` stays as loaded)."""
    shipped = shipped_calendars()
    first, last = shipped["years"]
    years = list(years if years is not None else range(first, last + 1))
    written = 0
    with transaction.atomic():
        weekends = {j.code: j.weekend for j in Jurisdiction.objects.all()}
        for entry in shipped["calendars"]:
            code = entry["jurisdiction"]
            if code not in weekends:
                continue
            exceptions = calendar_exceptions(code, years, weekends[code], entry["categories"])
            for year in years:
                official = year <= entry["official_through"]
                result = calendar_year_write(
                    jurisdiction=code, year=year, status="official" if official else "provisional",
                    source=entry["source"] if official else entry["provisional_source"],
                    exceptions={day: value for day, value in exceptions.items() if day.year == year},
                    keep_official=True)
                written += result.holidays + result.working_days
    return written


def load_reference_data() -> None:
    load_jurisdiction_rules()
    # An installation from before calendar years were recorded holds days but no years: load them (again).
    if not CalendarYear.objects.exists():
        load_calendars()

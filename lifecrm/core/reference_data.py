"""Loads the reference data that ships with lifecrm: jurisdictions, their rules, working calendars."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import holidays
from django.db import transaction

from lifecrm.core.models import CalendarDay, Jurisdiction, JurisdictionRule

RULES_FILE = Path(__file__).parent / "data" / "jurisdiction_rules.json"
CALENDAR_YEARS = range(2008, 2032)


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
    return written


def calendar_exceptions(code: str, years, weekend: frozenset[int]) -> dict[date, tuple[bool, str]]:
    """Holidays on working weekdays (False) and make-up working days on rest days (True) from `holidays`."""
    calendar = holidays.country_holidays(code, years=list(years), language="en_US")
    result: dict[date, tuple[bool, str]] = {}
    day = date(min(years), 1, 1)
    end = date(max(years), 12, 31)
    while day <= end:
        weekday_work = day.weekday() not in weekend
        working = calendar.is_working_day(day)
        if working != weekday_work:
            result[day] = (working, calendar.get(day) or ("make-up working day" if working else "holiday"))
        day += timedelta(days=1)
    return result


def load_calendars(*, years=CALENDAR_YEARS) -> int:
    """Write each jurisdiction's calendar exceptions; manual overrides are never replaced."""
    written = 0
    with transaction.atomic():
        for jurisdiction in Jurisdiction.objects.all():
            code = jurisdiction.code
            overrides = set(
                CalendarDay.objects.filter(jurisdiction_id=code, is_override=True).values_list("day", flat=True)
            )
            CalendarDay.objects.filter(
                jurisdiction_id=code, is_override=False, day__year__in=list(years)
            ).delete()
            rows = [
                CalendarDay(jurisdiction_id=code, day=day, is_working_day=working, name=name[:120])
                for day, (working, name) in calendar_exceptions(code, years, jurisdiction.weekend).items()
                if day not in overrides
            ]
            CalendarDay.objects.bulk_create(rows, batch_size=1000)
            written += len(rows)
    from lifecrm.core.selectors import clear_caches

    clear_caches()
    return written


def load_reference_data() -> None:
    load_jurisdiction_rules()
    if not CalendarDay.objects.exists():
        load_calendars()

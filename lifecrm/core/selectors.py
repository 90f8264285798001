"""Reads of the shared kernel: jurisdiction rules, working calendars, audit trail, job runs."""
from __future__ import annotations

from functools import cache

from lifecrm.core import rules
from lifecrm.core.models import AuditEvent, CalendarDay, Jurisdiction, JurisdictionRule


class RuleNotDefined(LookupError):
    pass


@cache
def _rule_rows() -> dict[tuple[str, str], rules.JurisdictionRule]:
    return {
        (row.jurisdiction_id, row.key): rules.JurisdictionRule(
            jurisdiction=row.jurisdiction_id,
            key=row.key,
            quantity=row.quantity,
            unit=rules.Unit(row.unit),
            customer_deadline=row.customer_deadline,
            trigger=row.trigger,
            source=row.source,
        )
        for row in JurisdictionRule.objects.all()
    }


def jurisdiction_rule(jurisdiction: str, key: str) -> rules.JurisdictionRule:
    """The rule `key` of `jurisdiction`; raises RuleNotDefined when the table has no such row."""
    try:
        return _rule_rows()[(jurisdiction, key)]
    except KeyError:
        raise RuleNotDefined(f"no rule {key!r} is defined for jurisdiction {jurisdiction}") from None


@cache
def working_calendar(jurisdiction: str) -> rules.WorkingCalendar:
    exceptions = dict(
        CalendarDay.objects.filter(jurisdiction_id=jurisdiction).values_list("day", "is_working_day")
    )
    weekend = Jurisdiction.objects.get(code=jurisdiction).weekend
    return rules.WorkingCalendar(jurisdiction, exceptions, weekend)


def clear_caches() -> None:
    _rule_rows.cache_clear()
    working_calendar.cache_clear()


def audit_trail(*, object_type: str, object_id: str | int, limit: int = 100):
    return AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).select_related("actor")[
        :limit
    ]

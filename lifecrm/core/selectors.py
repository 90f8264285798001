"""Reads of the shared kernel: jurisdiction rules, working calendars, audit trail, job runs.

Rules and calendars are cached per process, and so is the other apps' small reference data that every page reads
(`reference_cached`: the service entitlements). Every change to them raises the ReferenceDataVersion row in its
own transaction (`core.services.reference_data_changed`); each cached copy remembers the version it was read
at (read in the same query as the data) and a process compares it with the row at most every
LIFECRM_REFERENCE_RECHECK_SECONDS, so an edit in the admin or a loaded calendar reaches every web process and
batch worker without a restart, for one small query per interval.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, IntegerField, Subquery, Value
from django.db.models.functions import Coalesce

from lifecrm.core import rules
from lifecrm.core.models import AuditEvent, CalendarDay, CalendarYear, JurisdictionRule, ReferenceDataVersion


class RuleNotDefined(LookupError):
    pass


_cached: dict[Any, Any] = {}
_cached_version: int | None = None  # the ReferenceDataVersion every entry of _cached was read at
_checked_at = 0.0  # time.monotonic() of the last comparison with the row
_changed_in_transaction = False  # this process changed the data in a transaction still open: cache nothing


def _version_column():
    """The version row's value as a column of the query that reads the data (0 before the first change)."""
    return Coalesce(Subquery(ReferenceDataVersion.objects.filter(pk=1).values("value")[:1]), Value(0),
                    output_field=IntegerField())


def _current_version() -> int:
    return ReferenceDataVersion.objects.filter(pk=1).values_list("value", flat=True).first() or 0


def _recheck() -> None:
    """Forget every cached copy when the version row moved since they were read (at most once per interval)."""
    global _checked_at
    if not _cached:
        return
    now = time.monotonic()
    if now - _checked_at < settings.LIFECRM_REFERENCE_RECHECK_SECONDS:
        return
    _checked_at = now
    if _current_version() != _cached_version:
        clear_caches()


def _cached_read(key: Any, load: Callable[[], tuple[Any, int | None]]) -> Any:
    """The cached value of `key`, or `load()` → (value, version it was read at) remembered under it."""
    global _cached_version, _checked_at, _changed_in_transaction
    if _changed_in_transaction:
        if connection.in_atomic_block:  # what it reads may yet roll back: read, keep nothing
            return load()[0]
        _changed_in_transaction = False
        clear_caches()
    _recheck()
    if key in _cached:
        return _cached[key]
    value, version = load()
    if version is None:  # the data had no row to carry the version
        version = _current_version()
    if _cached and version != _cached_version:  # read after a change: the older copies are stale
        _cached.clear()
    if not _cached:
        _checked_at = time.monotonic()
    _cached_version = version
    _cached[key] = value
    return value


def _load_rules() -> tuple[dict[tuple[str, str], rules.JurisdictionRule], int | None]:
    version = None
    rows = {}
    for row in JurisdictionRule.objects.annotate(reference_version=_version_column()):
        version = row.reference_version
        rows[(row.jurisdiction_id, row.key)] = rules.JurisdictionRule(
            jurisdiction=row.jurisdiction_id,
            key=row.key,
            quantity=row.quantity,
            unit=rules.Unit(row.unit),
            customer_deadline=row.customer_deadline,
            trigger=row.trigger,
            source=row.source,
        )
    return rows, version


def reference_cached(key: str, queryset, build: Callable[[list], Any]) -> Any:
    """A higher app's reference table, cached per process as the rules are: `build(rows)` of `queryset`'s model
    instances, read with the version in the same query. Every change to that table must call
    `core.services.reference_data_changed` in its transaction (a post_save and post_delete receiver does)."""
    def load():
        rows = list(queryset.annotate(reference_version=_version_column()))
        return build(rows), (rows[0].reference_version if rows else None)

    return _cached_read(("app", key), load)


def jurisdiction_rule(jurisdiction: str, key: str) -> rules.JurisdictionRule:
    """The rule `key` of `jurisdiction`; raises RuleNotDefined when the table has no such row."""
    try:
        return _cached_read("rules", _load_rules)[(jurisdiction, key)]
    except KeyError:
        raise RuleNotDefined(f"no rule {key!r} is defined for jurisdiction {jurisdiction}") from None


def _calendar_years(jurisdiction: str) -> tuple[frozenset[int], dict[int, bool]]:
    """The jurisdiction's weekly rest days and its loaded years (year → provisional), in one query."""
    def load():
        rows = list(CalendarYear.objects.filter(jurisdiction_id=jurisdiction).values_list(
            "year", "status", F("jurisdiction__weekly_rest_days"), _version_column()))
        weekend = frozenset(int(d) for d in rows[0][2].split(",") if d.strip()) if rows else frozenset({5, 6})
        years = {year: status == CalendarYear.Status.PROVISIONAL for year, status, _, _ in rows}
        return (weekend, years), (rows[0][3] if rows else None)

    return _cached_read(("calendar_years", jurisdiction), load)


def working_calendar(jurisdiction: str) -> rules.WorkingCalendar:
    """The jurisdiction's working calendar: its loaded years only (a day outside them raises CalendarYearNotLoaded)."""
    def load():
        weekend, years = _calendar_years(jurisdiction)
        exceptions = dict(
            CalendarDay.objects.filter(jurisdiction_id=jurisdiction).values_list("day", "is_working_day")
        )
        return rules.WorkingCalendar(jurisdiction, exceptions, weekend, years), _cached_version

    return _cached_read(("working_calendar", jurisdiction), load)


def deadline_is_provisional(jurisdiction: str, day: date | None) -> bool:
    """True when the deadline `day` falls in a year the jurisdiction has not published (or not loaded at all):
    the date may still move when the year's official calendar is loaded."""
    if day is None:
        return False
    years = _calendar_years(jurisdiction)[1]
    return years.get(day.year, True)


def reference_data_changing() -> None:
    """This process is changing rules or calendars: forget the cached copies, and cache nothing more until the
    transaction ends (committed, the new version is read; rolled back, the old one)."""
    global _changed_in_transaction
    clear_caches()
    _changed_in_transaction = connection.in_atomic_block
    if _changed_in_transaction:
        transaction.on_commit(clear_caches)


def clear_caches() -> None:
    """Forget this process's cached rules and calendars (the next read loads them again)."""
    global _cached_version, _changed_in_transaction
    _cached.clear()
    _cached_version = None
    _changed_in_transaction = False


def audit_trail(*, object_type: str, object_id: str | int, limit: int = 100):
    return AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).select_related("actor")[
        :limit
    ]

"""Writes of the shared kernel: the audit trail (changes and reveals of sensitive fields), calendar years and the
reference data version that tells every process its cached rules and calendars changed."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lifecrm.core.actors import audit_system_name, audit_user, require_model_permissions
from lifecrm.core.calendar_files import CalendarFile, CalendarFileError
from lifecrm.core.models import AuditEvent, CalendarDay, CalendarYear, Jurisdiction, ReferenceDataVersion


class Refused(ValueError):
    """A write that cannot be done: the message says why, in the staff member's language, and `field` names the
    input it is about (a form or the API shows it there), when there is one. Each app's refusal derives from it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CalendarYearRefused(CalendarFileError):
    """A calendar year cannot be written as asked (a provisional file for a year already official)."""


@dataclass(frozen=True)
class CalendarYearWrite:
    """What one year's load wrote: its exceptions to the week, and the manual overrides it left in place."""

    jurisdiction: str
    year: int
    status: str
    holidays: int  # rest days on days the week works
    working_days: int  # make-up working days on weekly rest days
    overrides_kept: list[date] = field(default_factory=list)
    written: bool = True


def audit_record(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict | None = None,
    after: dict | None = None,
    field: str = "",
    purpose: str = "",
) -> AuditEvent:
    """Append one audit row. Call it inside the transaction of the write it records. `action` is one of
    `AuditEvent.Action` (what kind of write; the verb of the domain goes in `field` or `after`): another value is a
    programming error, refused here on every database (PostgreSQL would refuse its length only)."""
    AuditEvent.Action(action)
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=audit_user(actor),
        system_actor=audit_system_name(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        field=field,
        purpose=purpose,
        before=before,
        after=after,
    )


def audit_record_many(*, actor, action: str, object_type: str, entries: list[tuple[Any, dict | None, dict | None]]
                      ) -> None:
    """Append one audit row per (object id, before, after), in one insert. Inside the write's transaction."""
    AuditEvent.Action(action)
    at = timezone.now()
    user, system_name = audit_user(actor), audit_system_name(actor)
    AuditEvent.objects.bulk_create(
        [AuditEvent(at=at, actor=user, system_actor=system_name, action=action, object_type=object_type, object_id=str(object_id),
                    before=before, after=after) for object_id, before, after in entries],
        batch_size=1000,
    )


def audit_reveal(*, actor, object_type: str, object_id: Any, field: str, purpose: str) -> AuditEvent:
    """Record that `actor` saw the full value of a sensitive field, and why."""
    if not purpose.strip():
        raise ValueError("a reveal needs a purpose")
    return audit_record(
        actor=actor, action=AuditEvent.Action.REVEAL, object_type=object_type, object_id=object_id,
        field=field, purpose=purpose.strip(),
    )


def reference_data_changed() -> None:
    """Raise the reference data version in the current transaction: every process's cached rules and calendars
    (`core.selectors`) are read again. Call it in the transaction of every change to jurisdictions, their rules or
    their calendars."""
    from lifecrm.core.selectors import reference_data_changing

    if not ReferenceDataVersion.objects.filter(pk=1).update(value=F("value") + 1):
        ReferenceDataVersion.objects.get_or_create(pk=1, defaults={"value": 1})
    reference_data_changing()


def calendar_year_write(*, jurisdiction: str, year: int, status: str, source: str,
                        exceptions: dict[date, tuple[bool, str]], keep_official: bool = False) -> CalendarYearWrite:
    """Replace one year of a jurisdiction's calendar: its exceptions to the week (date → (working, name)), its
    status and source. Manual overrides (a typhoon day) stay. With `keep_official`, a year already official is
    left as it is (a reload of foreseen data never replaces a published year). Inside the caller's transaction."""
    stored = CalendarYear.objects.filter(jurisdiction_id=jurisdiction, year=year).first()
    if stored is not None and stored.status == CalendarYear.Status.OFFICIAL and status != stored.status:
        if keep_official:
            return CalendarYearWrite(jurisdiction, year, stored.status, 0, 0, [], written=False)
        raise CalendarYearRefused(f"{jurisdiction} {year} is loaded as official ({stored.source}); "
                                  f"a provisional file cannot replace it")
    overrides = set(CalendarDay.objects.filter(jurisdiction_id=jurisdiction, day__year=year, is_override=True)
                    .values_list("day", flat=True))
    CalendarDay.objects.filter(jurisdiction_id=jurisdiction, day__year=year, is_override=False).delete()
    rows = [CalendarDay(jurisdiction_id=jurisdiction, day=day, is_working_day=working, name=name[:120])
            for day, (working, name) in sorted(exceptions.items()) if day not in overrides]
    CalendarDay.objects.bulk_create(rows, batch_size=1000)
    CalendarYear.objects.update_or_create(jurisdiction_id=jurisdiction, year=year, defaults={
        "status": status, "source": source[:300], "loaded_at": timezone.now()})
    reference_data_changed()
    return CalendarYearWrite(
        jurisdiction, year, status,
        holidays=sum(1 for r in rows if not r.is_working_day), working_days=sum(1 for r in rows if r.is_working_day),
        overrides_kept=sorted(overrides), written=True,
    )


def calendar_year_load(*, actor, data: CalendarFile) -> CalendarYearWrite:
    """Load one year of a jurisdiction's calendar from a checked calendar file (`lifecrm load-calendar`), audited;
    a bad file changes nothing. A person needs the admin site's right to add and change calendars (HQ service
    management and the administrators); the command runs as a system caller."""
    require_model_permissions(actor, "core.add_calendaryear", "core.change_calendaryear", "core.add_calendarday",
                              "core.change_calendarday")
    jurisdiction = Jurisdiction.objects.filter(code=data.jurisdiction).first()
    if jurisdiction is None:
        known = ", ".join(Jurisdiction.objects.values_list("code", flat=True))
        raise CalendarFileError(f"unknown jurisdiction {data.jurisdiction!r} (known: {known})")
    exceptions = data.exceptions(jurisdiction.weekend)
    with transaction.atomic():
        before = (CalendarYear.objects.filter(jurisdiction_id=data.jurisdiction, year=data.year)
                  .values("status", "source").first())
        result = calendar_year_write(jurisdiction=data.jurisdiction, year=data.year, status=data.status,
                                     source=data.source, exceptions=exceptions)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE if before else AuditEvent.Action.CREATE,
                     object_type="core.CalendarYear", object_id=f"{data.jurisdiction}/{data.year}",
                     before=before, after={"status": data.status, "source": data.source,
                                           "holidays": result.holidays, "working_days": result.working_days})
    return result

"""SLA clocks of cases: the policy and business calendar that apply to a case, its clocks replayed from its log
(`sla_rules.replay`), and the deadlines cached on the case row.

A case is measured by the policy valid on the day it was opened (the highest version of the most specific
matching row), for the customer's tier on that day, on its jurisdiction's business calendar (working days of
`core`, `BusinessHours`, `ClosurePeriod`). `SlaBook` reads the policies, hours and closures once, so a list of
cases costs a fixed number of queries (`clocks_of`).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lifecrm.core.models import Jurisdiction
from lifecrm.core.rules import CalendarYearNotLoaded
from lifecrm.core.selectors import deadline_is_provisional, working_calendar
from lifecrm.notifications import content
from lifecrm.notifications import services as outbox
from lifecrm.org.models import Staff
from lifecrm.parties.models import CustomerSegment
from lifecrm.parties.selectors import DEFAULT_TIER
from lifecrm.service.models import (
    SLA_CLOCK_CHOICES,
    BusinessHours,
    Case,
    CaseEvent,
    ClosurePeriod,
    SlaAlert,
    SlaPolicy,
)
from lifecrm.service.rules import EMERGENCY_TYPE, OPEN_STATUSES, OUTBOX_APP, CaseEventKind
from lifecrm.service.sla_rules import (
    BusinessCalendar,
    CaseClocks,
    Clock,
    ClockState,
    Event,
    NoBusinessTime,
    PolicyKey,
    Target,
    Targets,
    TargetUnit,
    best_policy,
    replay,
    warn_due,
)

log = logging.getLogger(__name__)


class NoSlaPolicy(LookupError):
    """No SLA policy row matches the case (head office removed the catch-all rows): the case has no clocks."""


def targets_of(row: SlaPolicy) -> Targets:
    return Targets(Target(Decimal(row.response_quantity), TargetUnit(row.response_unit)),
                   Target(Decimal(row.resolution_quantity), TargetUnit(row.resolution_unit)),
                   Decimal(row.warn_percent) / 100)


def _key(row: SlaPolicy) -> PolicyKey:
    return PolicyKey(row.case_type, row.tier, row.priority or None, row.jurisdiction)


@dataclass
class SlaBook:
    """Policies, business hours and closures read once; business calendars built once per jurisdiction."""

    policies: list[SlaPolicy]
    hours: dict[str, list[BusinessHours]]
    closures: dict[str, list[ClosurePeriod]]
    zones: dict[str, str]

    @classmethod
    def load(cls) -> SlaBook:
        hours: dict[str, list[BusinessHours]] = defaultdict(list)
        for row in BusinessHours.objects.order_by("jurisdiction", "weekday", "start"):
            hours[row.jurisdiction_id].append(row)
        closures: dict[str, list[ClosurePeriod]] = defaultdict(list)
        for row in ClosurePeriod.objects.order_by("starts_at"):
            closures[row.jurisdiction_id].append(row)
        return cls(list(SlaPolicy.objects.all()), hours, closures,
                   dict(Jurisdiction.objects.values_list("code", "time_zone")))

    def __post_init__(self) -> None:
        self._calendars: dict[str, BusinessCalendar] = {}

    def calendar(self, jurisdiction: str) -> BusinessCalendar:
        if jurisdiction not in self._calendars:
            by_day: dict[int | None, list] = defaultdict(list)
            for row in self.hours.get(jurisdiction, ()):
                by_day[row.weekday].append((row.start, row.end))
            self._calendars[jurisdiction] = BusinessCalendar(
                zone=ZoneInfo(self.zones[jurisdiction]),
                is_working_day=working_calendar(jurisdiction).is_working_day,
                hours={day: tuple(rows) for day, rows in by_day.items()},
                closures=tuple((row.starts_at, row.ends_at) for row in self.closures.get(jurisdiction, ())))
        return self._calendars[jurisdiction]

    def targets(self, *, case_type: str, tier: str, jurisdiction: str, opened_on: date) -> Callable[[int], Targets]:
        """The case's targets per priority: of each key, the highest version valid on `opened_on`."""
        latest: dict[PolicyKey, SlaPolicy] = {}
        for row in self.policies:
            if row.valid_from > opened_on:
                continue
            key = _key(row)
            if key not in latest or row.version > latest[key].version:
                latest[key] = row
        rows = list(latest.items())

        def of(priority: int) -> Targets:
            row = best_policy(rows, case_type=case_type, tier=tier, priority=priority, jurisdiction=jurisdiction)
            if row is None:
                raise NoSlaPolicy(f"no SLA policy matches a {case_type} case of priority {priority} "
                                  f"in {jurisdiction}")
            return targets_of(row)

        return of

    def clocks(self, case: Case, events: Iterable[CaseEvent], *, tier: str, as_of: datetime) -> CaseClocks | None:
        """The case's clocks on `as_of`, or None when no policy matches or its calendar is not loaded."""
        log_events = [Event(CaseEventKind(e.kind), e.at, e.data or {}) for e in events]
        local_open = case.opened_at.astimezone(ZoneInfo(self.zones[case.jurisdiction_id])).date()
        try:
            return replay(log_events, as_of=as_of, calendar=self.calendar(case.jurisdiction_id),
                          targets=self.targets(case_type=case.case_type_id, tier=tier,
                                               jurisdiction=case.jurisdiction_id, opened_on=local_open))
        except (NoSlaPolicy, NoBusinessTime, CalendarYearNotLoaded) as error:
            log.warning("case %s has no SLA clocks: %s", case.number, error)
            return None


def tiers_at_opening(cases: list[Case]) -> dict[int, str]:
    """Each case's customer tier on the day it was opened (standard when not placed), in one query."""
    if not cases:
        return {}
    days = {case.pk: timezone.localtime(case.opened_at).date() for case in cases}
    segments = defaultdict(list)
    rows = CustomerSegment.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=min(days.values())), valid_from__lte=max(days.values()),
        customer_id__in={case.customer_id for case in cases},
    ).values_list("customer_id", "valid_from", "valid_to", "tier")
    for customer_id, valid_from, valid_to, tier in rows:
        segments[customer_id].append((valid_from, valid_to, tier))
    result = {}
    for case in cases:
        day = days[case.pk]
        result[case.pk] = next((tier for start, end, tier in segments[case.customer_id]
                                if start <= day and (end is None or end > day)), DEFAULT_TIER)
    return result


def clocks_of(cases: list[Case], *, as_of: datetime, book: SlaBook | None = None) -> dict[int, CaseClocks | None]:
    """The clocks of `cases` on `as_of`: their logs in one query, their tiers in one, the SLA book in four."""
    book = book or SlaBook.load()
    events = defaultdict(list)
    for event in CaseEvent.objects.filter(case_id__in=[c.pk for c in cases], at__lte=as_of).order_by("case", "seq"):
        events[event.case_id].append(event)
    tiers = tiers_at_opening(cases)
    return {case.pk: book.clocks(case, events[case.pk], tier=tiers[case.pk], as_of=as_of) for case in cases}


def case_clocks(case: Case, *, as_of: datetime) -> CaseClocks | None:
    return clocks_of([case], as_of=as_of)[case.pk]


def deadlines_provisional(case: Case) -> dict[str, bool]:
    """Whether each running deadline of the case ("response", "resolution") was counted on a calendar not yet
    published: a target in business hours counts working days, one in calendar days ends at the next business
    moment (past rest days), so a deadline in a year its jurisdiction has only provisionally published may move when
    the official calendar is loaded. Hours around the clock (the emergency line) use no calendar: never provisional.
    No query unless a deadline falls in such a year."""
    dues = {Clock.RESPONSE: case.response_due, Clock.RESOLUTION: case.resolution_due}
    result = {str(clock): False for clock in dues}
    zone = ZoneInfo(case.jurisdiction.time_zone)
    maybe = [clock for clock, due in dues.items()
             if due is not None and deadline_is_provisional(case.jurisdiction_id, timezone.localtime(due, zone).date())]
    if not maybe:
        return result
    local_open = timezone.localtime(case.opened_at, zone).date()
    try:
        targets = SlaBook.load().targets(case_type=case.case_type_id, tier=tiers_at_opening([case])[case.pk],
                                         jurisdiction=case.jurisdiction_id, opened_on=local_open)(case.priority)
    except NoSlaPolicy:
        return result
    for clock in maybe:
        result[str(clock)] = targets.of(clock).unit != TargetUnit.CLOCK_HOURS
    return result


def _cached_deadlines(clocks: CaseClocks | None) -> tuple[datetime | None, datetime | None]:
    """What `Case.response_due` / `resolution_due` hold: the deadline of each clock still running, else None."""
    if clocks is None:
        return None, None
    return tuple(c.due if c.stopped_at is None else None for c in (clocks.response, clocks.resolution))


def deadlines_of_log(events: list[Event], *, book: SlaBook, jurisdiction: str, case_type: str,
                     tier: str) -> tuple[datetime | None, datetime | None]:
    """What `case_deadlines_refresh` would cache for a case whose whole log is `events` (the book generator's cases,
    built before they are written): no query beyond what `book` has read."""
    local_open = events[0].at.astimezone(ZoneInfo(book.zones[jurisdiction])).date()
    try:
        clocks = replay(events, as_of=events[-1].at, calendar=book.calendar(jurisdiction),
                        targets=book.targets(case_type=case_type, tier=tier, jurisdiction=jurisdiction,
                                             opened_on=local_open))
    except (NoSlaPolicy, NoBusinessTime, CalendarYearNotLoaded):
        return None, None
    return _cached_deadlines(clocks)


def case_deadlines_refresh(case: Case) -> Case:
    """Bring the case's cached deadlines up to date with its whole log (a paused or stopped clock: None)."""
    last = case.events.order_by("-at").values_list("at", flat=True).first() or case.opened_at
    case.response_due, case.resolution_due = _cached_deadlines(clocks_of([case], as_of=last)[case.pk])
    Case.objects.filter(pk=case.pk).update(response_due=case.response_due, resolution_due=case.resolution_due)
    return case



SWEEP_CHUNK = 500
OPEN_VALUES = [status.value for status in OPEN_STATUSES]


def _alerts_for(case: Case, clocks: CaseClocks | None, at: datetime, raised: set) -> list[SlaAlert]:
    if clocks is None:
        return []
    alerts = []
    for result in (clocks.response, clocks.resolution):
        if result.stopped_at is not None or result.due is None:
            continue
        if result.state == ClockState.BREACHED:
            kind = SlaAlert.Kind.BREACH
        elif warn_due(result, at):
            kind = SlaAlert.Kind.WARNING
        else:
            continue
        if (case.pk, result.clock.value, kind.value) in raised:
            continue
        alerts.append(SlaAlert(case=case, clock=result.clock.value, kind=kind.value, due=result.due, raised_at=at,
                               assignee_id=case.assignee_id, branch_path=case.branch_path, agent_id=case.agent_id))
    return alerts


def sla_sweep(*, at: datetime, first_id: int, last_id: int, book: SlaBook | None = None) -> int:
    """Raise the SLA alerts due at `at` for the open cases of ids [first_id, last_id]: a warning when a running
    clock has less than its warning share left, an escalation once it is past its deadline. An alert is one row
    per (case, clock, kind) (a unique key), so a sweep run again, or side by side with another, raises nothing
    twice. It also brings the cases' cached deadlines up to date. Returns how many alerts it raised."""
    cases = list(Case.objects.filter(pk__gte=first_id, pk__lte=last_id, status__in=OPEN_VALUES).order_by("pk"))
    if not cases:
        return 0
    raised = set(SlaAlert.objects.filter(case_id__in=[c.pk for c in cases]).values_list("case_id", "clock", "kind"))
    book = book or SlaBook.load()
    clocks = clocks_of(cases, as_of=at, book=book)
    alerts = [alert for case in cases for alert in _alerts_for(case, clocks[case.pk], at, raised)]
    SlaAlert.objects.bulk_create(alerts, ignore_conflicts=True)
    sla_alerts_notify(alerts, at=at, book=book)
    # The cached deadlines follow what changed outside the log (a closure declared, a policy or hours edited).
    stale = []
    for case in cases:
        due = _cached_deadlines(clocks[case.pk])
        if due != (case.response_due, case.resolution_due):
            case.response_due, case.resolution_due = due
            stale.append(case)
    Case.objects.bulk_update(stale, ["response_due", "resolution_due"])
    return len(alerts)


def _lead_ids(units: set[int]) -> dict[int, list[int]]:
    """A queue's lead: the branch managers of the queue's unit (of the case's branch when it is in no queue)."""
    leads: dict[int, list[int]] = defaultdict(list)
    for staff_id, unit_id in (Staff.objects.filter(org_unit_id__in=units, role=Staff.Role.BRANCH, is_active=True)
                              .order_by("pk").values_list("pk", "org_unit_id")):
        leads[unit_id].append(staff_id)
    return leads


def _alert_text(alert: SlaAlert, case: Case, zone: ZoneInfo) -> tuple[str, str]:
    """The alert's subject and text in the active language, its deadline in the recipient's time zone."""
    clock = dict(SLA_CLOCK_CHOICES)[alert.clock]
    due = alert.due.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    values = {"number": case.number, "subject": case.subject, "clock": clock, "due": due}
    if alert.kind == SlaAlert.Kind.BREACH:
        return (_("SLA breached: case %(number)s") % values,
                _("Case %(number)s (%(subject)s): its %(clock)s was due at %(due)s and is late. Please act on it "
                  "now.") % values)
    return (_("SLA breach ahead: case %(number)s") % values,
            _("Case %(number)s (%(subject)s): its %(clock)s is due at %(due)s.") % values)


def _working_from(calendar: BusinessCalendar, at: datetime) -> datetime:
    """`at` in the staff member's working hours, else the start of their next working interval; `at` when their
    calendar cannot say (a year not loaded): an alert late is worse than one early."""
    try:
        return calendar.next_business_moment(at)
    except (NoBusinessTime, CalendarYearNotLoaded):
        return at


def sla_alerts_notify(alerts: list[SlaAlert], *, at: datetime, book: SlaBook | None = None) -> int:
    """Tell the staff concerned through the outbox, in the sweep's transaction: a warning to the handler (to the
    queue's lead when nobody handles the case yet), an escalation at breach to the handler and the queue's lead.
    Each in the recipient's language (their `preferred_language`, else their jurisdiction's), sent from the start
    of their next working interval on their jurisdiction's business calendar (`book`), except for an emergency
    case's alerts, which go at once. One message per (alert, recipient) by its idempotency key, so an alert
    raised again by a concurrent sweep is one message. A recipient without an e-mail address or a phone is not
    told (the dashboard still shows it)."""
    if not alerts:
        return 0
    book = book or SlaBook.load()
    cases = {c.pk: c for c in Case.objects.filter(pk__in={a.case_id for a in alerts}).select_related("queue")}
    unit_of = {pk: (c.queue.org_unit_id if c.queue_id else c.branch_id) for pk, c in cases.items()}
    leads = _lead_ids(set(unit_of.values()))
    recipients = {}
    for alert in alerts:
        to = [alert.assignee_id] if alert.assignee_id else []
        if alert.kind == SlaAlert.Kind.BREACH or not to:
            to += [pk for pk in leads[unit_of[alert.case_id]] if pk not in to]
        recipients[(alert.case_id, alert.clock, alert.kind)] = to
    staff = Staff.objects.select_related("user", "org_unit").in_bulk({pk for to in recipients.values() for pk in to})
    texts: dict[tuple[int, str, str, str, str], tuple[str, str]] = {}
    messages = []
    for alert in alerts:
        case = cases[alert.case_id]
        for pk in recipients[(alert.case_id, alert.clock, alert.kind)]:
            person = staff[pk]
            email = person.user.email.strip() if person.user_id else ""
            channel, address = ("email", email) if email else ("sms", person.phone.strip())
            if not address:
                continue
            jurisdiction = person.org_unit.jurisdiction_id
            calendar = book.calendar(jurisdiction)
            language = content.language_for(person, jurisdiction)
            text_key = (alert.case_id, alert.clock, alert.kind, language, jurisdiction)
            if text_key not in texts:
                with translation.override(language):
                    texts[text_key] = _alert_text(alert, case, calendar.zone)
            subject, body = texts[text_key]
            messages.append(outbox.Outgoing(
                key=f"sla-{alert.case_id}-{alert.clock}-{alert.kind}-{pk}", channel=channel, address=address,
                language=language, subject=subject if channel == "email" else "",
                body=body if channel == "email" else f"{subject}\n{body}",
                not_before=None if case.case_type_id == EMERGENCY_TYPE else _working_from(calendar, at)))
    outbox.messages_queue(app=OUTBOX_APP, messages=messages, at=at)  # one INSERT, whatever the alerts
    return len(messages)


def open_case_ids():
    return Case.objects.filter(status__in=OPEN_VALUES).order_by("pk").values_list("pk", flat=True)


def sla_sweep_open(*, at: datetime) -> int:
    """Sweep every open case at `at`, chunk by chunk (for a beat every few minutes: the daily step is the
    backstop). Safe to run again or side by side: the alerts' unique key makes it a no-op."""
    book = SlaBook.load()
    ids = list(open_case_ids())
    return sum(sla_sweep(at=at, first_id=ids[i], last_id=ids[min(i + SWEEP_CHUNK, len(ids)) - 1], book=book)
               for i in range(0, len(ids), SWEEP_CHUNK))

"""SLA reads for managers: attainment over a period (by case type, priority and branch, a weekly trend, the
breaches) and the dashboard of open cases at risk. Scoped to the reader; a fixed number of queries whatever the
number of cases (the clocks are replayed in Python from one read of the logs, `sla.clocks_of`)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import in_scope
from lifecrm.service.models import PRIORITY_CHOICES, Case, SlaAlert
from lifecrm.service.rules import CaseStatus
from lifecrm.service.sla import OPEN_VALUES, SlaBook, clocks_of
from lifecrm.service.sla_rules import CaseClocks, ClockResult, ClockState, warn_due

PRIORITY_LABELS = dict(PRIORITY_CHOICES)
BREACHES_SHOWN = 100
AT_RISK_SHOWN = 200


def _pct(met: int, measured: int) -> Decimal | None:
    if not measured:
        return None
    return (Decimal(100) * met / measured).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Attainment:
    """Clocks met on time out of the clocks measured (stopped, or breached while running); the others pending."""

    label: object  # a case type or branch (shown with `local_name`), or a priority's label
    response_met: int = 0
    response_measured: int = 0
    resolution_met: int = 0
    resolution_measured: int = 0
    cases: int = 0

    def add(self, clocks: CaseClocks) -> None:
        self.cases += 1
        for result, name in ((clocks.response, "response"), (clocks.resolution, "resolution")):
            if result.state in (ClockState.MET, ClockState.BREACHED):
                setattr(self, f"{name}_measured", getattr(self, f"{name}_measured") + 1)
                if result.state == ClockState.MET:
                    setattr(self, f"{name}_met", getattr(self, f"{name}_met") + 1)

    @property
    def response_pct(self) -> Decimal | None:
        return _pct(self.response_met, self.response_measured)

    @property
    def resolution_pct(self) -> Decimal | None:
        return _pct(self.resolution_met, self.resolution_measured)


@dataclass(frozen=True, slots=True)
class Breach:
    case: Case
    clock: ClockResult
    late_by: timedelta  # past the deadline: when it stopped, or now for a clock still running


@dataclass
class SlaReport:
    start: date
    end: date
    total: Attainment
    by_type: list[Attainment]
    by_priority: list[Attainment]
    by_branch: list[Attainment]
    breaches: list[Breach]
    breach_count: int
    trend: dict = field(default_factory=dict)


def _local_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (timezone.make_aware(datetime.combine(start, time.min)),
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)))


def _late(result: ClockResult, at: datetime) -> timedelta:
    return (result.stopped_at or at) - result.due


def sla_report(*, scope: DataScope, start: date, end: date, at: datetime) -> SlaReport:
    """Attainment of the cases opened from `start` to `end` (local days, both included), measured at `at`."""
    low, high = _local_bounds(start, end)
    cases = list(in_scope(Case.objects.all(), scope).filter(opened_at__gte=low, opened_at__lt=high)
                 .exclude(status=CaseStatus.CANCELLED.value).select_related("case_type", "branch")
                 .order_by("opened_at", "pk"))
    clocks = clocks_of(cases, as_of=at)
    total = Attainment(None)
    groups: dict[str, dict] = {"type": {}, "priority": {}, "branch": {}}
    weeks: dict[date, Attainment] = {}
    breaches = []
    for case in cases:
        result = clocks[case.pk]
        if result is None:
            continue
        total.add(result)
        for name, key, label in (("type", case.case_type_id, case.case_type),
                                 ("priority", result.priority, PRIORITY_LABELS.get(result.priority)),
                                 ("branch", case.branch_id, case.branch)):
            groups[name].setdefault(key, Attainment(label)).add(result)
        opened = timezone.localtime(case.opened_at).date()
        monday = opened - timedelta(days=opened.weekday())
        weeks.setdefault(monday, Attainment(monday)).add(result)
        breaches.extend(Breach(case, clock, _late(clock, at)) for clock in (result.response, result.resolution)
                        if clock.state == ClockState.BREACHED)
    breaches.sort(key=lambda b: b.clock.due, reverse=True)
    ordered = sorted(weeks.items())
    trend = {"labels": [monday.isoformat() for monday, _ in ordered],
             "response": [float(a.response_pct) if a.response_pct is not None else None for _, a in ordered],
             "resolution": [float(a.resolution_pct) if a.resolution_pct is not None else None for _, a in ordered]}
    return SlaReport(
        start, end, total,
        sorted(groups["type"].values(), key=lambda a: a.label.code),
        [groups["priority"][p] for p in sorted(groups["priority"])],
        sorted(groups["branch"].values(), key=lambda a: a.label.path),
        breaches[:BREACHES_SHOWN], len(breaches), trend)


@dataclass(frozen=True, slots=True)
class AtRisk:
    case: Case
    clock: ClockResult
    breached: bool
    overdue: timedelta  # past the deadline (zero when not yet)


@dataclass
class SlaDashboard:
    at: datetime
    open_cases: int
    on_time: int
    warning: int
    breached: int
    paused: int
    at_risk: list[AtRisk]
    alerts: list[SlaAlert]
    due_today: int


def sla_dashboard(*, scope: DataScope, at: datetime) -> SlaDashboard:
    """The open cases of the scope at `at`: how many run on time, near their deadline, past it or paused; the
    cases at risk (the most urgent clock of each, the earliest deadline first); the latest alerts."""
    cases = list(in_scope(Case.objects.all(), scope).filter(status__in=OPEN_VALUES)
                 .select_related("case_type", "branch", "assignee", "customer").order_by("pk"))
    clocks = clocks_of(cases, as_of=at, book=SlaBook.load())
    counts = defaultdict(int)
    at_risk = []
    end_of_day = timezone.make_aware(datetime.combine(timezone.localtime(at).date() + timedelta(days=1), time.min))
    due_today = 0
    for case in cases:
        result = clocks[case.pk]
        if result is None:
            continue
        running = [c for c in (result.response, result.resolution) if c.stopped_at is None and c.due is not None]
        breached = [c for c in running if c.state == ClockState.BREACHED]
        warned = [c for c in running if warn_due(c, at)]
        if breached:
            counts["breached"] += 1
            first = min(breached, key=lambda c: c.due)
            at_risk.append(AtRisk(case, first, True, at - first.due))
        elif warned:
            counts["warning"] += 1
            at_risk.append(AtRisk(case, min(warned, key=lambda c: c.due), False, timedelta(0)))
        elif running:
            counts["on_time"] += 1
        if result.resolution.state == ClockState.PAUSED:
            counts["paused"] += 1
        due_today += any(c.due < end_of_day and c.state != ClockState.BREACHED for c in running)
    at_risk.sort(key=lambda r: (not r.breached, r.clock.due))  # the breached first, then the nearest deadline
    alerts = list(in_scope(SlaAlert.objects.all(), scope).select_related("case", "assignee")
                  .order_by("-raised_at", "-pk")[:10])
    return SlaDashboard(at, len(cases), counts["on_time"], counts["warning"], counts["breached"], counts["paused"],
                        at_risk[:AT_RISK_SHOWN], alerts, due_today)

"""Every read of the service desk, scoped to the actor's data scope, with a fixed number of queries."""
from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, Q, QuerySet

from lifecrm.core.models import JobRun
from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import in_scope
from lifecrm.service.models import CareEvent, CareRule, Case, CaseEvent, Interaction
from lifecrm.service.rules import OPEN_STATUSES


def interactions_in_scope(scope: DataScope) -> QuerySet[Interaction]:
    return in_scope(Interaction.objects.all(), scope)


def cases_in_scope(scope: DataScope) -> QuerySet[Case]:
    return in_scope(Case.objects.all(), scope)


def customer_interactions(*, scope: DataScope, customer_id: int, until: datetime | None = None,
                          limit: int = 200) -> list[Interaction]:
    """The customer's newest interactions (up to `until`), newest first, with who logged them: one query."""
    rows = interactions_in_scope(scope).filter(customer_id=customer_id)
    if until is not None:
        rows = rows.filter(occurred_at__lte=until)
    return list(rows.select_related("staff", "case").order_by("-occurred_at", "-id")[:limit])


def customer_interaction_count(*, scope: DataScope, customer_id: int, until: datetime | None = None) -> int:
    rows = interactions_in_scope(scope).filter(customer_id=customer_id)
    if until is not None:
        rows = rows.filter(occurred_at__lte=until)
    return rows.count()


def customer_cases(*, scope: DataScope, customer_id: int, open_only: bool = False, limit: int = 50) -> list[Case]:
    rows = cases_in_scope(scope).filter(customer_id=customer_id)
    if open_only:
        rows = rows.filter(status__in=[s.value for s in OPEN_STATUSES])
    return list(rows.select_related("case_type", "category", "assignee").order_by("-opened_at")[:limit])


def case_get(*, scope: DataScope, case_id: int) -> Case:
    """The case with its type, customer and handler; `Case.DoesNotExist` when absent or outside the scope."""
    return cases_in_scope(scope).select_related("case_type", "category", "customer", "assignee", "queue",
                                                 "about_staff", "policy").get(pk=case_id)


def case_events(*, case: Case) -> list[CaseEvent]:
    return list(case.events.select_related("actor").order_by("seq"))


# care events

CARE_STEPS = ("service.care_events", "service.care_send")
# Roles that work the care tasks assigned to nobody (a customer without an active agent): the call centre's queue.
CARE_QUEUE_ROLES = frozenset({"callcentre", "branch", "hq"})


def care_tasks_for(scope: DataScope, staff, as_of: date, limit: int = 200) -> list[CareEvent]:
    """Open care tasks (calls, visits, gifts) planned by `as_of`: the staff member's own and, for the call centre
    and management, the scope's tasks assigned to nobody; the oldest first, with their customer: one query.

    The home page's work registry lists it (`core.registries.register_work_source`, when that exists)."""
    mine = Q(assignee=staff) if staff is not None else Q(pk__in=[])
    if scope.role in CARE_QUEUE_ROLES:
        mine |= Q(assignee__isnull=True)
    return list(in_scope(CareEvent.objects.filter(status=CareEvent.Status.OPEN, created_on__lte=as_of), scope)
                .filter(mine).select_related("customer", "policy", "assignee").order_by("occasion_date", "pk")[:limit])


def customer_care_events(*, scope: DataScope, customer_id: int, until: date, limit: int = 200) -> list[CareEvent]:
    """The customer's care events planned by `until`, newest first: one query."""
    return list(in_scope(CareEvent.objects.filter(customer_id=customer_id, created_on__lte=until), scope)
                .select_related("assignee").order_by("-created_on", "-id")[:limit])


def customer_care_event_count(*, scope: DataScope, customer_id: int, until: date) -> int:
    return in_scope(CareEvent.objects.filter(customer_id=customer_id, created_on__lte=until), scope).count()


def care_rules_list() -> list[CareRule]:
    return list(CareRule.objects.order_by("occasion", "tier", "action", "festival"))


def care_event_counts(*, scope: DataScope, since: date, until: date) -> dict[str, dict[str, int]]:
    """The scope's care events planned in [since, until]: by occasion, then by status (one grouped query)."""
    rows = (in_scope(CareEvent.objects.filter(created_on__range=(since, until)), scope)
            .values_list("occasion", "status").annotate(n=Count("pk")).order_by())
    counts: dict[str, dict[str, int]] = {}
    for occasion, status, n in rows:
        counts.setdefault(occasion, {})[status] = n
    return counts


def last_care_runs() -> list[JobRun]:
    """The latest run of each care step (planning, sending): one query."""
    runs = JobRun.objects.filter(step__in=CARE_STEPS).order_by("step", "-as_of", "-started_at")
    latest: dict[str, JobRun] = {}
    for run in runs[:50]:
        latest.setdefault(run.step, run)
    return [latest[step] for step in CARE_STEPS if step in latest]

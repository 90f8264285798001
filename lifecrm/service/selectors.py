"""Every read of the service desk, scoped to the actor's data scope, with a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet

from lifecrm.org.rules import Action, DataScope, allows
from lifecrm.org.selectors import in_scope
from lifecrm.service.models import Case, CaseEvent, Interaction
from lifecrm.service.rules import OPEN_STATUSES, CaseStatus


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


# -- the actor's open cases (the home page's work) and the dashboards' figures ---------------------------------

def _open_work_cases(*, scope: DataScope, staff_id: int | None, at: datetime, overdue: bool) -> QuerySet[Case]:
    """The open cases that are the actor's work: assigned to them; for a handler, the scope's new cases nobody
    has; for a supervisor, every open case of the scope. With `overdue`, only those past their resolution due."""
    mine = Q(assignee_id=staff_id) if staff_id is not None else Q(pk__in=[])
    if allows(scope, Action.SUPERVISE_CASES):
        wanted = Q()
    elif allows(scope, Action.HANDLE_CASE):
        wanted = mine | Q(assignee__isnull=True, status=CaseStatus.NEW.value)
    else:
        wanted = mine
    rows = cases_in_scope(scope).filter(wanted, status__in=[s.value for s in OPEN_STATUSES])
    if overdue:
        rows = rows.filter(resolution_due__lt=at)
    return rows


def open_work_cases(*, scope: DataScope, staff_id: int | None, at: datetime, limit: int,
                    overdue: bool = False) -> list[Case]:
    """The actor's open cases (`_open_work_cases`), the earliest resolution due first (none last), then the most
    urgent, then the oldest: one query."""
    rows = _open_work_cases(scope=scope, staff_id=staff_id, at=at, overdue=overdue)
    return list(rows.select_related("case_type", "customer", "assignee")
                .order_by(F("resolution_due").asc(nulls_last=True), "priority", "opened_at", "id")[:limit])


def open_work_case_count(*, scope: DataScope, staff_id: int | None, at: datetime, overdue: bool = False) -> int:
    return _open_work_cases(scope=scope, staff_id=staff_id, at=at, overdue=overdue).count()


@dataclass(frozen=True)
class CaseFigures:
    open: int
    overdue: int


def case_figures(*, scope: DataScope, prefixes: list[str], at: datetime) -> dict[str, CaseFigures]:
    """For each unit path in `prefixes` (a branch, or the manager's unit), the scope's open cases booked under it
    and those of them past their resolution due: one query, whatever the number of units."""
    if not prefixes:
        return {}
    figures = {}
    for i, prefix in enumerate(prefixes):
        under = Q(branch_path__startswith=prefix)
        figures[f"open_{i}"] = Count("pk", filter=under)
        figures[f"overdue_{i}"] = Count("pk", filter=under & Q(resolution_due__lt=at))
    counts = cases_in_scope(scope).filter(status__in=[s.value for s in OPEN_STATUSES]).aggregate(**figures)
    return {prefix: CaseFigures(counts[f"open_{i}"], counts[f"overdue_{i}"]) for i, prefix in enumerate(prefixes)}

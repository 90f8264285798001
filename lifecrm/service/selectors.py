"""Every read of the service desk, scoped to the actor's data scope, with a fixed number of queries."""
from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import in_scope
from lifecrm.service.models import Case, CaseEvent, Interaction
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

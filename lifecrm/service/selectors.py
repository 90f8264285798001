"""Every read of the service desk, scoped to the actor's data scope, with a fixed number of queries."""
from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import in_scope
from lifecrm.policies.selectors import policies_in_scope
from lifecrm.service.models import Case, CaseEvent, Interaction
from lifecrm.service.rules import OPEN_STATUSES, TIMELINE_CASE_EVENTS


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


# -- the customer's timeline of cases and the call-logging panel ----------------------------------------------

def _customer_case_events(scope: DataScope, customer_id: int, until: datetime | None) -> QuerySet[CaseEvent]:
    rows = in_scope(CaseEvent.objects.all(), scope, path_field="case__branch_path", agent_field="case__agent_id")
    rows = rows.filter(case__customer_id=customer_id, kind__in=[k.value for k in TIMELINE_CASE_EVENTS])
    return rows.filter(at__lte=until) if until is not None else rows


def customer_case_milestones(*, scope: DataScope, customer_id: int, until: datetime | None = None,
                             limit: int = 200) -> list[CaseEvent]:
    """The customer's cases opened, resolved, reopened, closed or cancelled (up to `until`), newest first, with
    what a timeline shows of their case: one query."""
    return list(
        _customer_case_events(scope, customer_id, until)
        .select_related("case__case_type")
        .only("kind", "at", "note", "case__number", "case__subject", "case__case_type__name",
              "case__case_type__name_en")
        .order_by("-at", "-id")[:limit]
    )


def customer_case_milestone_count(*, scope: DataScope, customer_id: int, until: datetime | None = None) -> int:
    return _customer_case_events(scope, customer_id, until).count()


POLICY_CHOICES_LIMIT = 100  # a contact is about one of the customer's newest policies (an employer's group cover…)


def customer_policy_choices(*, scope: DataScope, customer_id: int) -> list[tuple[int, str]]:
    """(id, number) of the in-scope policies the customer owns, is insured by or pays, newest first: what a
    contact may be about (one query)."""
    rows = (policies_in_scope(scope)
            .filter(Q(owner_id=customer_id) | Q(insured_id=customer_id) | Q(payer_id=customer_id))
            .order_by("-issue_date", "number").values_list("pk", "number")[:POLICY_CHOICES_LIMIT])
    return list(rows)

"""Every read of the service desk, scoped to the actor's data scope, with a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Prefetch, Q, QuerySet

from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import in_scope
from lifecrm.parties.models import Customer
from lifecrm.parties.selectors import SearchQuery, customers_in_scope
from lifecrm.policies.models import STATUS_LABELS, Coverage
from lifecrm.policies.rules import COVER_IN_FORCE
from lifecrm.policies.selectors import policies_in_scope
from lifecrm.products.selectors import assistance_benefits
from lifecrm.service.models import Case, CaseEvent, CaseTask, EmergencyDispatch, Interaction
from lifecrm.service.rules import OPEN_STATUSES, PartnerKind, assistance_covered

EMERGENCY_TYPE = "emergency"


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


# -- emergency -------------------------------------------------------------------------------------------------

EMERGENCY_LOOKUP_LIMIT = 10


class LookupNotUnderstood(ValueError):
    """The emergency box takes a phone number or an ID number, nothing else."""


def emergency_lookup(*, scope: DataScope, query: str) -> list[Customer]:
    """The customers of the scope whose mobile or home phone, or whose ID number, is `query` (the workbench
    search's exact stage: the phone in every stored form, the ID number by its keyed digest); one query."""
    q = SearchQuery(" ".join(query.split()))
    found = Q()
    if q.phone_forms:
        found |= Q(mobile_phone__in=q.phone_forms) | Q(home_phone__in=q.phone_forms)
    if q.id_digest:
        found |= Q(id_number_digest__in=q.id_digests)
    if not found:
        raise LookupNotUnderstood(query)
    return list(customers_in_scope(scope).filter(found).select_related("branch", "servicing_agent")
                .order_by("number")[:EMERGENCY_LOOKUP_LIMIT])


@dataclass(frozen=True)
class CoverLine:
    """One policy the customer is insured by or owns: whether its cover runs, and the assistance it carries."""

    policy_id: int
    number: str
    product: str
    product_en: str
    roles: tuple[str, ...]  # insured, owner
    status: str
    status_label: str
    in_force: bool
    benefits: tuple[str, ...]  # PartnerKind values, when in force

    @property
    def assisted(self) -> bool:
        return self.in_force and bool(self.benefits)


def emergency_cover(*, scope: DataScope, customer_id: int, as_of: date) -> list[CoverLine]:
    """The customer's policies as insured or owner (in the scope), in force first, each with the assistance
    benefits of its coverages running on `as_of` (base and riders, `products.selectors.assistance_benefits`).
    Two queries."""
    benefits = assistance_benefits()
    policies = (policies_in_scope(scope).filter(Q(insured_id=customer_id) | Q(owner_id=customer_id))
                .select_related("product").prefetch_related(
                    Prefetch("coverages", queryset=Coverage.objects.select_related("product").order_by("pk")))
                .order_by("-issue_date", "number"))
    lines = []
    for policy in policies:
        in_force = policy.status in COVER_IN_FORCE
        running = [c.product.code for c in policy.coverages.all()
                   if c.start_date <= as_of and (c.end_date is None or c.end_date > as_of)]
        kinds = assistance_covered(benefits, running or [policy.product.code]) if in_force else frozenset()
        roles = tuple(role for role in ("insured", "owner") if getattr(policy, f"{role}_id") == customer_id)
        lines.append(CoverLine(policy.pk, policy.number, policy.product.name, policy.product.name_en, roles,
                               policy.status, str(STATUS_LABELS.get(policy.status, policy.status)), in_force,
                               tuple(k.value for k in PartnerKind if k.value in kinds)))
    return sorted(lines, key=lambda line: (not line.assisted, not line.in_force))


def emergency_case_get(*, scope: DataScope, case_id: int) -> Case:
    """An emergency case of the scope with its intake, dispatches and follow-ups (four queries);
    `Case.DoesNotExist` when absent, outside the scope or of another type."""
    return (cases_in_scope(scope).filter(case_type_id=EMERGENCY_TYPE)
            .select_related("case_type", "category", "customer", "assignee", "emergency", "opened_by")
            .prefetch_related(Prefetch("dispatches", queryset=EmergencyDispatch.objects.order_by("requested_at", "pk")),
                              Prefetch("tasks", queryset=CaseTask.objects.select_related("assignee", "done_by")
                                       .order_by("done_at", "due_at", "pk")))
            .get(pk=case_id))


def open_emergencies(*, scope: DataScope, limit: int = 20) -> list[Case]:
    """The scope's open emergency cases, oldest first (they are all urgent): one query."""
    return list(cases_in_scope(scope).filter(case_type_id=EMERGENCY_TYPE,
                                             status__in=[s.value for s in OPEN_STATUSES])
                .select_related("customer", "emergency", "assignee").order_by("opened_at", "pk")[:limit])

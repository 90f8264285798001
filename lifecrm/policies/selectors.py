"""Reads of policies, always inside the actor's data scope, with a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import in_scope
from lifecrm.policies import rules
from lifecrm.policies.models import Beneficiary, Policy, PolicyEvent, PolicyVersion


def policies_in_scope(scope: DataScope) -> QuerySet[Policy]:
    return in_scope(Policy.objects.all(), scope)


def current_version_prefetch(to_attr: str = "current_versions") -> Prefetch:
    return Prefetch("versions", queryset=PolicyVersion.objects.filter(effective_to__isnull=True), to_attr=to_attr)


def next_due_date(policy: Policy) -> date | None:
    """The due date of the first unpaid premium while premiums are payable, else None."""
    if policy.status not in rules.PREMIUM_PAYING:
        return None
    versions = getattr(policy, "current_versions", None)
    mode = versions[0].premium_mode if versions else policy.versions.get(effective_to__isnull=True).premium_mode
    return rules.next_due_date(
        issue_date=policy.issue_date,
        mode=mode,
        paid_instalments=policy.paid_instalments,
        premium_term_years=policy.premium_term_years,
    )


@dataclass(frozen=True)
class CustomerPolicy:
    policy: Policy
    version: PolicyVersion
    roles: tuple[str, ...]  # owner, insured, payer
    next_due: date | None


def policies_for_customer(*, scope: DataScope, customer_id: int) -> list[CustomerPolicy]:
    """Every in-scope policy where the customer is owner, insured or payer (two queries, any count)."""
    policies = (
        policies_in_scope(scope)
        .filter(Q(owner_id=customer_id) | Q(insured_id=customer_id) | Q(payer_id=customer_id))
        .select_related("product", "agent", "branch")
        .prefetch_related(current_version_prefetch())
        .order_by("-issue_date", "number")
    )
    result = []
    for policy in policies:
        roles = tuple(
            role for role in ("owner", "insured", "payer") if getattr(policy, f"{role}_id") == customer_id
        )
        result.append(CustomerPolicy(policy, policy.current_versions[0], roles, next_due_date(policy)))
    return result


def policy_get(*, scope: DataScope, policy_id: int) -> Policy:
    """A policy with everything its page shows; 404 when absent or outside the scope."""
    try:
        return (
            policies_in_scope(scope)
            .select_related("product", "agent", "branch", "owner", "insured", "payer")
            .prefetch_related(
                current_version_prefetch(),
                "coverages__product",
                Prefetch(
                    "events",
                    queryset=PolicyEvent.objects.select_related("actor").order_by("-seq"),
                ),
            )
            .get(pk=policy_id)
        )
    except (Policy.DoesNotExist, ValueError, TypeError):
        raise Http404("no such policy") from None


def policy_find_by_number(*, scope: DataScope, number: str) -> Policy | None:
    number = number.strip().upper()
    if not number:
        return None
    return policies_in_scope(scope).select_related("owner", "insured").filter(number=number).first()


def policy_ids_for_customer(*, scope: DataScope, customer_id: int) -> list[int]:
    """Ids of the in-scope policies where the customer is owner, insured or payer (one query)."""
    return list(
        policies_in_scope(scope)
        .filter(Q(owner_id=customer_id) | Q(insured_id=customer_id) | Q(payer_id=customer_id))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def policy_version_on(*, policy_id: int, on: date) -> PolicyVersion | None:
    """The contract as it stood on `on`: one indexed query."""
    return (
        PolicyVersion.objects.filter(policy_id=policy_id, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
        .order_by("-effective_from", "-version_no")
        .first()
    )


def policy_beneficiaries(*, version: PolicyVersion) -> list[Beneficiary]:
    return list(version.beneficiaries.select_related("customer").order_by("order", "id"))


def policy_events_for_customer(*, scope: DataScope, customer_id: int, limit: int = 200) -> QuerySet[PolicyEvent]:
    """Journal rows of the customer's in-scope policies, newest first."""
    policy_ids = policies_in_scope(scope).filter(
        Q(owner_id=customer_id) | Q(insured_id=customer_id) | Q(payer_id=customer_id)
    ).values("pk")
    return (
        PolicyEvent.objects.filter(policy_id__in=policy_ids)
        .select_related("policy")
        .order_by("-effective_date", "-seq")[:limit]
    )


def policy_version_history(*, policy_id: int) -> list[PolicyVersion]:
    """Every contract version of a policy, newest first (one query; the roles are not loaded)."""
    return list(PolicyVersion.objects.filter(policy_id=policy_id).order_by("-version_no"))

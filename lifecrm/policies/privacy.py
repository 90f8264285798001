"""What policies holds about a customer (`core.privacy`): the policies they own, are insured by or pay, the
policies naming them as beneficiary, and when their last policy ended (the anonymisation's retention start)."""
from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Q

from lifecrm.core.privacy import (
    ANONYMISED_NAME,
    NO_RELATIONSHIP,
    RelationshipEnd,
    register_anonymiser,
    register_personal_data,
    register_relationship_end,
)
from lifecrm.policies.models import Beneficiary, Policy
from lifecrm.policies.rules import TERMINAL


def _policies(customer_id: int):
    return Policy.objects.filter(Q(owner_id=customer_id) | Q(insured_id=customer_id) | Q(payer_id=customer_id))


@register_personal_data("policies")
def policies_section(customer_id: int) -> list[dict[str, Any]]:
    return [{"number": p.number, "product": p.product.code, "roles": [role for role in ("owner", "insured", "payer")
                                                                      if getattr(p, f"{role}_id") == customer_id],
             "status": p.status, "status_date": p.status_date, "issue_date": p.issue_date,
             "maturity_date": p.maturity_date, "currency": p.currency, "paid_to_date": p.paid_to_date,
             "paid_instalments": p.paid_instalments}
            for p in _policies(customer_id).select_related("product").order_by("number")]


@register_personal_data("beneficiary_of")
def beneficiary_section(customer_id: int) -> list[dict[str, Any]]:
    return [{"policy": b.version.policy.number, "name": b.name, "relation_to_insured": b.relation_to_insured,
             "order": b.order, "share": b.share_text, "version_from": b.version.effective_from}
            for b in Beneficiary.objects.filter(customer_id=customer_id).select_related("version__policy")
            .order_by("version__policy__number", "version__effective_from", "order")]


@register_relationship_end("policies")
def policies_end(customer_ids: list[int]) -> dict[int, RelationshipEnd]:
    """Per customer named on a policy (owner, insured, payer, or beneficiary of its current version): whether
    one has not reached a final status, and the latest final status date. Four grouped queries."""
    ended = Q(status__in=TERMINAL)
    found: dict[int, RelationshipEnd] = {}

    def merge(customer_id, active, last):
        found[customer_id] = found.get(customer_id, NO_RELATIONSHIP).and_(active, last)

    for role in ("owner_id", "insured_id", "payer_id"):
        for row in (Policy.objects.filter(**{f"{role}__in": customer_ids}).values(role)
                    .annotate(active=Count("pk", filter=~ended), last=Max("status_date", filter=ended))):
            merge(row[role], row["active"], row["last"])
    policy_ended = Q(version__policy__status__in=TERMINAL)
    for row in (Beneficiary.objects.filter(customer_id__in=customer_ids, version__effective_to__isnull=True)
                .values("customer_id").annotate(active=Count("pk", filter=~policy_ended),
                                                last=Max("version__policy__status_date", filter=policy_ended))):
        merge(row["customer_id"], row["active"], row["last"])
    return found


@register_anonymiser("policies")
def anonymise_policies(customer_id: int, as_of) -> int:
    """The beneficiary entries naming the customer: their name overwritten (shares and orders kept)."""
    return Beneficiary.objects.filter(customer_id=customer_id).update(name=ANONYMISED_NAME)

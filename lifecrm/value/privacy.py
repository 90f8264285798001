"""What the value app holds about a customer (`core.privacy`): the lapse-risk scores of the policies they own
or pay, with the reasons behind each (PIPL Art. 24: an automated decision is explained on request)."""
from __future__ import annotations

from typing import Any

from django.db.models import Q

from lifecrm.core.privacy import register_personal_data
from lifecrm.policies.models import Policy
from lifecrm.value.models import LapseScore


@register_personal_data("lapse_risk")
def lapse_risk_section(customer_id: int) -> list[dict[str, Any]]:
    policies = Policy.objects.filter(Q(owner_id=customer_id) | Q(payer_id=customer_id)).values("pk")
    return [{"policy": s.policy.number, "as_of": s.as_of, "model_version": s.model.version,
             "probability_90_days": round(s.score, 4), "reasons": s.reasons}
            for s in LapseScore.objects.filter(policy_id__in=policies).select_related("policy", "model")
            .order_by("policy__number", "as_of", "model__version")]

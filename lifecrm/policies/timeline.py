"""The policies app's timeline source: journal events of a customer's policies."""
from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifecrm.core.registries import TimelineEntry, register_timeline_count, register_timeline_source
from lifecrm.policies.models import STATUS_LABELS
from lifecrm.policies.rules import Status
from lifecrm.policies.selectors import policy_event_count_for_customer, policy_events_for_customer

EVENT_LABELS = {
    "proposed": "proposal received",
    "issued": "policy issued",
    "transition": "status changed",
    "contract_changed": "contract changed",
}


@register_timeline_source("policies", kind="policy", label=gettext_lazy("Policy events"))
def policy_timeline(*, scope, customer_id: int, as_of: date, limit: int = 200) -> list[TimelineEntry]:
    entries = []
    for event in policy_events_for_customer(scope=scope, customer_id=customer_id, limit=limit, until=as_of):
        to_label = STATUS_LABELS.get(Status(event.to_status)) if event.to_status else ""
        title = _("%(policy)s: %(what)s") % {
            "policy": event.policy.number,
            "what": (str(to_label) if to_label else _(EVENT_LABELS.get(event.kind, event.kind))),
        }
        entries.append(
            TimelineEntry(
                at=event.effective_date,
                kind="policy",
                title=title,
                detail=event.reason,
                url=reverse("workbench:policy", args=[event.policy_id]),
                source="policies",
            )
        )
    return entries


@register_timeline_count("policies")
def policy_timeline_count(*, scope, customer_id: int, as_of: date) -> int:
    return policy_event_count_for_customer(scope=scope, customer_id=customer_id, until=as_of)

"""Claims' timeline source: the milestones of a customer's claims as the insured (reported, the missing-documents
notice, assessed, decided, paid, closed)."""
from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifecrm.claims.selectors import customer_claim_event_count, customer_claim_events
from lifecrm.core.registries import TimelineEntry, register_timeline_count, register_timeline_source

SOURCE = "claims.claims"
EVENT_LABELS = {
    "reported": gettext_lazy("reported"),
    "assigned": gettext_lazy("assigned"),
    "documents_received": gettext_lazy("documents received"),
    "missing_documents_notice": gettext_lazy("missing documents asked for"),
    "assessed": gettext_lazy("assessed"),
    "facts_recorded": gettext_lazy("facts of the assessment recorded"),
    "decision_proposed": gettext_lazy("decision proposed"),
    "decision_approved": gettext_lazy("decision approved by the checker"),
    "decision_returned": gettext_lazy("decision sent back by the checker"),
    "decided": gettext_lazy("decided"),
    "refusal_notice": gettext_lazy("refusal notice sent"),
    "decision_notice": gettext_lazy("decision notice sent"),
    "renounced": gettext_lazy("a beneficiary renounced"),
    "paid": gettext_lazy("paid"),
    "withdrawn": gettext_lazy("withdrawn by the claimant"),
    "payout_results": gettext_lazy("the bank's answer on the payouts"),
    "payout_reissued": gettext_lazy("a rejected payout sent again"),
    "advance_proposed": gettext_lazy("advance proposed"),
    "advance_paid": gettext_lazy("advance paid"),
    "advance_returned": gettext_lazy("advance sent back by the checker"),
}


def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))


@register_timeline_source(SOURCE, kind="claim", label=gettext_lazy("Claims"))
def claim_timeline(*, scope, customer_id: int, as_of: date, limit: int = 200) -> list[TimelineEntry]:
    entries = []
    for event in customer_claim_events(scope=scope, customer_id=customer_id, until=as_of, limit=limit):
        claim = event.claim
        title = _("Claim %(number)s (%(type)s): %(what)s") % {
            "number": claim.number, "type": claim.get_claim_type_display(), "what": event_label(event.kind)}
        entries.append(TimelineEntry(at=event.at, kind="claim", title=title, detail=event.note[:160],
                                     url=reverse("claims:claim", args=[claim.pk]), source=SOURCE,
                                     sort_key=(event.at, event.pk)))
    return entries


@register_timeline_count(SOURCE)
def claim_timeline_count(*, scope, customer_id: int, as_of: date) -> int:
    return customer_claim_event_count(scope=scope, customer_id=customer_id, until=as_of)

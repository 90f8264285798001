"""Claims' work source for each role's home page: the claims handler's open claims (and those nobody handles yet)
with their next legal deadline, and the decisions waiting for a checker."""
from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from lifecrm.claims.selectors import open_work_claim_count, open_work_claims
from lifecrm.core.registries import WorkItem, register_work_count, register_work_source
from lifecrm.org.rules import Action, allows

SOURCE = "claims.claims"


def _priority(claim, as_of: date) -> int:
    if claim.next_due is not None and claim.next_due < as_of:
        return 1
    if claim.status == "awaiting_approval" or (claim.next_due is not None and (claim.next_due - as_of).days <= 3):
        return 2
    return 3


@register_work_source(SOURCE)
def claim_work(*, scope, staff, as_of: date, at: datetime, limit: int, overdue: bool = False) -> list[WorkItem]:
    if not allows(scope, Action.HANDLE_CLAIM):
        return []
    items = []
    for claim in open_work_claims(scope=scope, staff_id=staff.pk if staff else None, as_of=as_of, limit=limit,
                                  overdue=overdue):
        what = _("check the decision") if claim.status == "awaiting_approval" else claim.get_status_display()
        items.append(WorkItem(
            kind="claim", title=f"{claim.number} · {claim.get_claim_type_display()}",
            detail=" · ".join(str(x) for x in (what, _("event %(day)s") % {"day": claim.event_date},
                                               _("clock stopped for documents") if claim.clock_stopped else "")
                              if x),
            url=reverse("claims:claim", args=[claim.pk]), deadline=claim.next_due, priority=_priority(claim, as_of),
            customer_name=claim.insured.name, customer_number=claim.insured.number, source=SOURCE))
    return items


@register_work_count(SOURCE)
def claim_work_count(*, scope, staff, as_of: date, at: datetime, overdue: bool = False) -> int:
    if not allows(scope, Action.HANDLE_CLAIM):
        return 0
    return open_work_claim_count(scope=scope, staff_id=staff.pk if staff else None, as_of=as_of, overdue=overdue)

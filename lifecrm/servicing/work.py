"""Servicing's work source for each role's home page: requests to process (with the deadline they work towards)
and requests waiting for the actor's approval."""
from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from lifecrm.core.registries import WorkItem, register_work_count, register_work_source
from lifecrm.org.rules import Action, allows
from lifecrm.servicing.selectors import work_requests
from lifecrm.servicing.templatetags.servicing import type_name

SOURCE = "servicing.requests"


def _concerned(scope) -> bool:
    return allows(scope, Action.PROCESS_SERVICING) or allows(scope, Action.APPROVE_SERVICING)


@register_work_source(SOURCE)
def request_work(*, scope, staff, as_of: date, at: datetime, limit: int, overdue: bool = False) -> list[WorkItem]:
    if not _concerned(scope):
        return []
    rows = (work_requests(scope=scope, staff_id=staff.pk if staff else None, as_of=as_of, overdue=overdue)
            .select_related("request_type", "customer", "policy").order_by("due_on", "received_on", "pk")[:limit])
    return [WorkItem(
        kind="servicing", title=f"{row.number} · {type_name(row.request_type)}",
        detail=" · ".join((str(row.get_status_display()), _("policy %(number)s") % {"number": row.policy.number})),
        url=reverse("servicing:request", args=[row.pk]), deadline=row.due_on,
        priority=2 if row.status == "pending_approval" else 3, customer_name=row.customer.name,
        customer_number=row.customer.number, source=SOURCE) for row in rows]


@register_work_count(SOURCE)
def request_work_count(*, scope, staff, as_of: date, at: datetime, overdue: bool = False) -> int:
    if not _concerned(scope):
        return 0
    return work_requests(scope=scope, staff_id=staff.pk if staff else None, as_of=as_of, overdue=overdue).count()

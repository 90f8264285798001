"""Reads of policy servicing for pages, the API, work lists and the timeline, already scoped to the actor."""
from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from lifecrm.org.rules import Action, DataScope, allows
from lifecrm.org.selectors import in_scope
from lifecrm.servicing.models import RequestEvent, RequestType, ServiceRequest
from lifecrm.servicing.rules import OPEN, RequestStatus

OPEN_VALUES = [s.value for s in OPEN]
# What the processing staff (counter, management) work: everything open except what waits for a checker.
PROCESS_VALUES = [s.value for s in OPEN if s != RequestStatus.PENDING_APPROVAL]


def requests_in_scope(scope: DataScope) -> QuerySet[ServiceRequest]:
    return in_scope(ServiceRequest.objects.all(), scope)


def _listed(queryset: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    return queryset.select_related("request_type", "policy", "customer", "maker", "checker")


def request_types() -> QuerySet[RequestType]:
    return RequestType.objects.filter(is_active=True).order_by("sort_order", "code")


def request_queue(*, scope: DataScope, status: str = "", request_type: str = "", overdue_on: date | None = None
                  ) -> QuerySet[ServiceRequest]:
    """The open requests of the scope, the earliest deadline first (a status or type narrows it; `overdue_on`
    keeps those whose current deadline is before that date)."""
    rows = requests_in_scope(scope).filter(status__in=[status] if status else OPEN_VALUES)
    if request_type:
        rows = rows.filter(request_type__code=request_type)
    if overdue_on is not None:
        rows = rows.filter(due_on__lt=overdue_on)
    return _listed(rows).order_by("due_on", "received_on", "pk")


def approvals_inbox(*, scope: DataScope, staff_id: int | None) -> QuerySet[ServiceRequest]:
    """Requests waiting for a checker, never the checker's own."""
    rows = requests_in_scope(scope).filter(status=RequestStatus.PENDING_APPROVAL.value)
    if staff_id is not None:
        rows = rows.exclude(maker_id=staff_id)
    return _listed(rows).order_by("due_on", "received_on", "pk")


def request_detail(*, scope: DataScope, pk: int) -> ServiceRequest:
    """One request of the scope (ServiceRequest.DoesNotExist outside it)."""
    return _listed(requests_in_scope(scope)).get(pk=pk)


def request_events(request: ServiceRequest) -> QuerySet[RequestEvent]:
    return request.events.select_related("actor").order_by("seq")


def policy_requests(*, scope: DataScope, policy_id: int) -> QuerySet[ServiceRequest]:
    return _listed(requests_in_scope(scope).filter(policy_id=policy_id)).order_by("-received_on", "-pk")


def work_requests(*, scope: DataScope, staff_id: int | None, as_of: date, overdue: bool = False
                  ) -> QuerySet[ServiceRequest]:
    """The requests that are the actor's work: to process (processing roles) and to check (approving roles,
    never their own), each by its current deadline."""
    wanted = Q(pk__in=[])
    if allows(scope, Action.PROCESS_SERVICING):
        wanted |= Q(status__in=PROCESS_VALUES)
    if allows(scope, Action.APPROVE_SERVICING):
        check = Q(status=RequestStatus.PENDING_APPROVAL.value)
        if staff_id is not None:
            check &= ~Q(maker_id=staff_id)
        wanted |= check
    rows = requests_in_scope(scope).filter(wanted)
    if overdue:
        rows = rows.filter(due_on__lt=as_of)
    return rows


def customer_request_events(*, scope: DataScope, customer_id: int, until: date, limit: int
                            ) -> QuerySet[RequestEvent]:
    """The milestones of the customer's requests up to `until`, newest first."""
    requests = requests_in_scope(scope).filter(customer_id=customer_id)
    return (RequestEvent.objects.filter(request__in=requests, on__lte=until, kind__in=MILESTONES)
            .select_related("request", "request__request_type")
            .only("kind", "on", "note", "request__number", "request__request_type__name",  # what the 360 shows
                  "request__request_type__name_en")
            .order_by("-on", "-at", "-pk")[:limit])


def customer_request_event_count(*, scope: DataScope, customer_id: int, until: date) -> int:
    requests = requests_in_scope(scope).filter(customer_id=customer_id)
    return RequestEvent.objects.filter(request__in=requests, on__lte=until, kind__in=MILESTONES).count()


MILESTONES = ("received", "accepted", "missing_notice", "complete", "approved", "declined", "rejected",
              "cancelled", "executed")

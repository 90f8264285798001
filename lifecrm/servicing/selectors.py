"""Reads of policy servicing for pages, the API, work lists and the timeline, already scoped to the actor."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Q, QuerySet

from lifecrm.core.prepared import prepared
from lifecrm.org.models import OrgUnit
from lifecrm.org.rules import Action, DataScope, allows
from lifecrm.org.selectors import in_scope
from lifecrm.servicing import rules
from lifecrm.servicing.models import Disbursement, RequestEvent, RequestType, ServiceRequest
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


def request_payment(request: ServiceRequest) -> Disbursement | None:
    """The request's payment to the owner with its file and the bank's answer (None: the request pays nothing)."""
    return Disbursement.objects.filter(request=request).select_related("bank_file", "result_file").first()


def request_events(request: ServiceRequest) -> QuerySet[RequestEvent]:
    return request.events.select_related("actor__staff").order_by("seq")


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


@prepared(values=("scope", "customer_id", "until"))
def customer_request_events(*, scope: DataScope, customer_id: int, until: date, limit: int
                            ) -> list[RequestEvent]:
    """The milestones of the customer's requests up to `until`, newest first (a prepared read)."""
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


# -- time-limit attainment by branch ---------------------------------------------------------------------------

CLOSED_DONE = [RequestStatus.EXECUTED.value, RequestStatus.REJECTED.value]
PARTS = ("met", "breached", "overdue")


def _clock_conditions(as_of: date) -> dict[str, tuple[Q, Q, Q]]:
    """Per clock (as `rules.Clock`), the (met, breached, open past the deadline) conditions of a request, with the
    day each clock stops as on the request page: accepted (or rejected unaccepted); the missing-items notice sent
    (or every document in without one); executed or rejected once complete; a surrender's value sent to the bank (`paid_on`), an executed
    one not yet sent still open."""
    open_ = Q(status__in=OPEN_VALUES)
    rejected_unaccepted = Q(accepted_on__isnull=True, status=RequestStatus.REJECTED.value)
    no_notice = Q(missing_notice_on__isnull=True)
    closed = Q(status__in=CLOSED_DONE, complete_due__isnull=False)
    paid = Q(paid_on__isnull=False, payment_due__isnull=False)
    unpaid = Q(status__in=[*OPEN_VALUES, RequestStatus.EXECUTED.value], paid_on__isnull=True)
    return {
        rules.Clock.ACCEPT.value: (
            Q(accepted_on__lte=F("accept_due")) | rejected_unaccepted & Q(closed_on__lte=F("accept_due")),
            Q(accepted_on__gt=F("accept_due")) | rejected_unaccepted & Q(closed_on__gt=F("accept_due")),
            open_ & Q(accepted_on__isnull=True, accept_due__lt=as_of)),
        rules.Clock.MISSING_ITEMS.value: (
            Q(missing_notice_on__lte=F("missing_items_due")) | no_notice & Q(complete_on__lte=F("missing_items_due")),
            Q(missing_notice_on__gt=F("missing_items_due")) | no_notice & Q(complete_on__gt=F("missing_items_due")),
            open_ & no_notice & Q(complete_on__isnull=True, missing_items_due__lt=as_of)),
        rules.Clock.COMPLETE.value: (
            closed & Q(closed_on__lte=F("complete_due")), closed & Q(closed_on__gt=F("complete_due")),
            open_ & Q(complete_due__lt=as_of)),
        rules.Clock.SURRENDER_PAYMENT.value: (
            paid & Q(paid_on__lte=F("payment_due")), paid & Q(paid_on__gt=F("payment_due")),
            unpaid & Q(payment_due__lt=as_of)),
    }


@dataclass(frozen=True)
class ClockAttainment:
    clock: str
    met: int
    breached: int
    overdue: int  # still open past the deadline

    @property
    def measured(self) -> int:
        return self.met + self.breached + self.overdue

    @property
    def met_share(self) -> int | None:
        return rules.share_percent(self.met, self.measured)

    @property
    def breached_share(self) -> int | None:
        return rules.share_percent(self.breached, self.measured)

    @property
    def overdue_share(self) -> int | None:
        return rules.share_percent(self.overdue, self.measured)


@dataclass(frozen=True)
class BranchAttainment:
    unit: OrgUnit
    requests: int
    clocks: list[ClockAttainment]


def attainment_by_branch(*, scope: DataScope, since: date, as_of: date) -> list[BranchAttainment]:
    """Per branch of the scope (a unit below a branch: that unit alone), the requests received from `since` to
    `as_of` that the reader sees: for each legal clock, how many met it, missed it, or are still open past it
    today. One query per branch (a handful), each a conditional count over the branch's subtree."""
    branches = in_scope(OrgUnit.objects.filter(kind=OrgUnit.Kind.BRANCH), scope, path_field="path", agent_field="id")
    if not scope.sees_everything and not branches.exists():
        branches = OrgUnit.objects.filter(path=scope.unit_path)
    conditions = _clock_conditions(as_of)
    received = requests_in_scope(scope).filter(received_on__gte=since, received_on__lte=as_of)
    rows = []
    for unit in branches.order_by("path"):
        counts = received.filter(branch_path__startswith=unit.path).aggregate(
            requests=Count("pk"),
            **{f"{part}_{clock}": Count("pk", filter=condition)
               for clock, triple in conditions.items() for part, condition in zip(PARTS, triple, strict=True)})
        rows.append(BranchAttainment(unit, counts["requests"], [
            ClockAttainment(clock, *(counts[f"{part}_{clock}"] for part in PARTS)) for clock in conditions]))
    return rows

"""Every read of claims the pages, the API, the work registry and the timeline need, scoped to the actor's data
scope (`org.selectors.in_scope`: the insured's unit and agent, copied onto the claim)."""
from __future__ import annotations

from datetime import date

from django.db.models import F, Q, QuerySet

from lifecrm.claims.models import Claim, ClaimEvent
from lifecrm.claims.rules import OPEN_STATUSES, ClaimStatus
from lifecrm.core.prepared import prepared
from lifecrm.org.access import Action, require
from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import in_scope

OPEN = [s.value for s in OPEN_STATUSES]


def claims_in_scope(scope: DataScope) -> QuerySet[Claim]:
    return in_scope(Claim.objects.all(), scope)


def claim_list(*, scope: DataScope, view: str = "open", staff_id: int | None = None, status: str = "",
               claim_type: str = "") -> QuerySet[Claim]:
    """The claims queue: open claims by their next deadline (none last), then the oldest; `mine` the staff
    member's, `approval` those waiting for a checker, `all` every claim of the scope, newest first."""
    rows = claims_in_scope(scope).select_related("insured", "handler")
    if view == "mine":
        rows = rows.filter(handler_id=staff_id, status__in=OPEN)
    elif view == "approval":
        rows = rows.filter(status=ClaimStatus.AWAITING_APPROVAL).exclude(proposed_by_id=staff_id)
    elif view == "open":
        rows = rows.filter(status__in=OPEN)
    if status:
        rows = rows.filter(status=status)
    if claim_type:
        rows = rows.filter(claim_type=claim_type)
    if view == "all":
        return rows.order_by("-reported_at", "-id")
    return rows.order_by(F("next_due").asc(nulls_last=True), "reported_at", "id")


def claim_get(*, scope: DataScope, claim_id: int) -> Claim:
    """One claim in the scope with what its page shows (its policies, documents, notices, findings, payouts,
    events); `NotInScope` (404) outside it."""
    claim = (Claim.objects.select_related("insured", "handler", "proposed_by", "decided_by", "reported_by")
             .prefetch_related("claim_policies__policy", "documents", "notices", "findings", "payouts",
                               "events__actor__staff").filter(pk=claim_id).first())
    if claim is None:
        raise Claim.DoesNotExist(claim_id)
    require(scope, Action.USE_WORKBENCH, claim)
    return claim


def _work(scope: DataScope, staff_id: int | None, as_of: date, overdue: bool) -> QuerySet[Claim]:
    """A handler's work: the open claims they handle, and those nobody handles yet in their scope; a checker's:
    the decisions waiting for them (never their own)."""
    rows = claims_in_scope(scope).filter(status__in=OPEN)
    mine = Q(handler_id=staff_id) | Q(handler__isnull=True)
    checks = Q(status=ClaimStatus.AWAITING_APPROVAL) & ~Q(proposed_by_id=staff_id)
    rows = rows.filter((mine & ~Q(status=ClaimStatus.AWAITING_APPROVAL)) | checks)
    if overdue:
        rows = rows.filter(next_due__lt=as_of)
    return rows


def open_work_claims(*, scope: DataScope, staff_id: int | None, as_of: date, limit: int,
                     overdue: bool = False) -> list[Claim]:
    return list(_work(scope, staff_id, as_of, overdue).select_related("insured")
                .order_by(F("next_due").asc(nulls_last=True), "reported_at", "id")[:limit])


def open_work_claim_count(*, scope: DataScope, staff_id: int | None, as_of: date, overdue: bool = False) -> int:
    return _work(scope, staff_id, as_of, overdue).count()


@prepared(values=("scope", "customer_id", "until"))
def customer_claim_events(*, scope: DataScope, customer_id: int, until: date, limit: int) -> list[ClaimEvent]:
    """The milestones of the claims of an insured customer (reported, notice, decided, paid…), newest first (a
    prepared read)."""
    return (ClaimEvent.objects.filter(claim__in=claims_in_scope(scope).filter(insured_id=customer_id),
                                      on__lte=until).select_related("claim")
            .only("kind", "at", "note", "claim__number", "claim__claim_type")  # what the 360's timeline shows
            .order_by("-at", "-id")[:limit])


def customer_claim_event_count(*, scope: DataScope, customer_id: int, until: date) -> int:
    return ClaimEvent.objects.filter(claim__in=claims_in_scope(scope).filter(insured_id=customer_id),
                                     on__lte=until).count()


def customer_claims(*, scope: DataScope, customer_id: int) -> list[Claim]:
    return list(claims_in_scope(scope).filter(insured_id=customer_id).order_by("-reported_at", "-id"))


def attainment_by_branch(*, scope: DataScope, since: date, as_of: date) -> list[dict]:
    """Per branch of the scope, the claims decided since `since`: how many, how many within the decision clock,
    the payments and refusal notices made in time, and the open claims past their deadline today. One query per
    branch (a handful), each a conditional count over the branch's subtree."""
    from django.db.models import Count

    from lifecrm.org.models import OrgUnit

    # the branches of the scope (a unit below a branch: that unit alone); an agent's book has no branch here
    branches = in_scope(OrgUnit.objects.filter(kind=OrgUnit.Kind.BRANCH), scope, path_field="path", agent_field="id")
    if not scope.sees_everything and not branches.exists():
        branches = OrgUnit.objects.filter(path=scope.unit_path)
    rows = []
    for unit in branches.order_by("path"):
        claims = Claim.objects.filter(branch_path__startswith=unit.path)
        figures = claims.aggregate(
            decided=Count("pk", filter=Q(decided_on__gte=since, decided_on__lte=as_of)),
            decided_in_time=Count("pk", filter=Q(decided_on__gte=since, decided_on__lte=as_of)
                                  & (Q(decision_due__isnull=True) | Q(decided_on__lte=F("decision_due")))),
            paid=Count("pk", filter=Q(paid_on__gte=since, paid_on__lte=as_of)),
            paid_in_time=Count("pk", filter=Q(paid_on__gte=since, paid_on__lte=as_of)
                               & Q(paid_on__lte=F("payment_due"))),
            refused=Count("pk", filter=Q(refusal_notice_on__gte=since, refusal_notice_on__lte=as_of)),
            refused_in_time=Count("pk", filter=Q(refusal_notice_on__gte=since, refusal_notice_on__lte=as_of)
                                  & Q(refusal_notice_on__lte=F("refusal_notice_due"))),
            overdue=Count("pk", filter=Q(status__in=OPEN, next_due__lt=as_of)),
        )
        rows.append({"unit": unit, **figures,
                     **{f"{k}_share": (round(100 * figures[f"{k}_in_time"] / figures[k]) if figures[k] else None)
                        for k in ("decided", "paid", "refused")}})
    return rows

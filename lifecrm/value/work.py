"""The value app's work source: an agent's customers at risk, for their home page.

A premium-paying policy of the agent's book (in force, not yet in grace: billing's sources list those) whose lapse
risk is at least `rules.LAPSE_RISK_WATCH` is worth a call before its next premium is due (`paid_to_date`, the
deadline); from `rules.LAPSE_RISK_HIGH` the call is of high priority. The risk and the value are those of billing's
`RenewalPriority` (lapse risk × value, written by `value.lapse.training`)."""
from __future__ import annotations

from datetime import date, datetime

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from lifecrm.core.registries import WorkItem, register_work_count, register_work_source
from lifecrm.org.rules import ScopeKind
from lifecrm.policies.models import Policy
from lifecrm.policies.rules import Status
from lifecrm.policies.selectors import policies_in_scope
from lifecrm.value.rules import LAPSE_RISK_HIGH, LAPSE_RISK_WATCH

SOURCE = "value.at_risk"
PREMIUM_PAYING = (Status.IN_FORCE, Status.REINSTATED)
HIGH, NORMAL = 2, 3


def _at_risk(scope, *, as_of: date, overdue: bool) -> QuerySet[Policy] | None:
    """The agent's premium-paying policies at risk of lapsing, or None for a role without a book (no query)."""
    if scope.kind != ScopeKind.OWN_BOOK:
        return None
    rows = policies_in_scope(scope).filter(status__in=PREMIUM_PAYING,
                                           renewal_priority__lapse_risk__gte=LAPSE_RISK_WATCH)
    return rows.filter(paid_to_date__lt=as_of) if overdue else rows


@register_work_source(SOURCE)
def at_risk_work(*, scope, staff, as_of: date, at: datetime, limit: int, overdue: bool = False) -> list[WorkItem]:
    """The next premium due first, then the riskiest, then the most valuable: one query."""
    rows = _at_risk(scope, as_of=as_of, overdue=overdue)
    if rows is None:
        return []
    rows = (rows.select_related("owner", "renewal_priority", "product")
            .annotate(work_priority=Case(When(renewal_priority__lapse_risk__gte=LAPSE_RISK_HIGH, then=Value(HIGH)),
                                         default=Value(NORMAL), output_field=IntegerField()))
            .order_by(F("paid_to_date").asc(nulls_last=True), "work_priority",
                      F("renewal_priority__priority").desc(), "number"))[:limit]
    items = []
    for policy in rows:
        risk = policy.renewal_priority
        items.append(WorkItem(
            kind="at_risk", title=_("At risk · %(policy)s") % {"policy": policy.number},
            detail=_("lapse risk %(risk)s%% in 90 days · value %(value)s") % {
                "risk": round(risk.lapse_risk * 100), "value": f"{policy.currency} {risk.value:,.0f}"},
            url=reverse("workbench:customer", args=[policy.owner_id]), deadline=policy.paid_to_date,
            priority=policy.work_priority, customer_name=policy.owner.name, customer_number=policy.owner.number,
            source=SOURCE))
    return items


@register_work_count(SOURCE)
def at_risk_work_count(*, scope, staff, as_of: date, at: datetime, overdue: bool = False) -> int:
    rows = _at_risk(scope, as_of=as_of, overdue=overdue)
    return 0 if rows is None else rows.count()

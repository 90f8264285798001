"""Daily batch steps of the policies app: policies whose term has ended become matured."""
from __future__ import annotations

from datetime import date

from lifecrm.core.actors import RUN_DAILY
from lifecrm.core.jobs import chunked_step, register_daily_step
from lifecrm.policies.models import Policy
from lifecrm.policies.rules import MATURING_STATUSES, Status
from lifecrm.policies.services import policy_transition


def _maturing(as_of: date):
    """The policies to mature on `as_of`: read on the partial index policy_maturing_idx, not the whole book."""
    return Policy.objects.filter(maturity_date__lte=as_of, status__in=MATURING_STATUSES)


@chunked_step("policies.mature", ids=lambda as_of: _maturing(as_of).order_by("pk").values_list("pk", flat=True))
def mature_policies(as_of: date, first_id: int, last_id: int) -> int:
    """Move each policy of the chunk that reached its maturity date to matured, on that date."""
    matured = 0
    for policy_id, maturity in (
        _maturing(as_of).filter(pk__range=(first_id, last_id)).order_by("pk").values_list("pk", "maturity_date")
    ):
        policy_transition(actor=RUN_DAILY, policy_id=policy_id, to_status=Status.MATURED, effective_date=maturity,
                          as_of=as_of, kind="matured", reason="end of the policy term")
        matured += 1
    return matured


register_daily_step(mature_policies, description="Policies whose term ended on or before the business date mature.")

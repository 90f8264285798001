"""A disability or critical-illness claim on a policy with a waiver-of-premium rider puts the policy in the
premium-waived state through its state machine and journal (cover runs, no premium falls due); without the rider
the policy runs on as before."""
from datetime import date
from decimal import Decimal

import pytest

from lifecrm.claims import services
from lifecrm.policies.models import Coverage, PolicyEvent
from lifecrm.policies.rules import COVER_IN_FORCE, PREMIUM_PAYING, Status
from tests.factories import make_product

from .conftest import AS_OF
from .test_services import _accounts, _complete, _payees, _report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _waiver_rider(policy, start=date(2022, 3, 31), end=None):
    rider = make_product("WOP", name="豁免保费附加险", name_en="Waiver of premium rider", kind="waiver_rider",
                         is_rider=True)
    Coverage.objects.create(policy=policy, product=rider, is_base=False, sum_assured=Decimal("0"),
                            annual_premium=Decimal("45.00"), start_date=start, end_date=end)


def _paid(world, claim_type):
    claim = _complete(world, _report(world, claim_type=claim_type, cause="illness", event_date=date(2026, 11, 2)))
    services.claim_assess(actor=world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    claim = services.claim_decide(actor=world.staff["claims"].user, claim_id=claim.pk, outcome="partly_approved",
                                  reasons="重疾确诊", as_of=AS_OF,
                                  amounts={world.policy.pk: Decimal("50000.00"), world.second.pk: Decimal(0)})
    services.claim_pay(actor=world.staff["claims"].user, claim_id=claim.pk, accounts=_accounts(_payees(claim)),
                       as_of=AS_OF)
    return claim


@pytest.mark.parametrize("claim_type", ["critical_illness", "tpd"])
def test_a_waiver_claim_waives_the_premiums_of_the_policy_with_the_rider(claims_world, claim_type):
    _waiver_rider(claims_world.policy)
    _waiver_rider(claims_world.second, end=date(2026, 1, 1))  # its rider ended before the event
    claim = _paid(claims_world, claim_type)
    claims_world.policy.refresh_from_db()
    claims_world.second.refresh_from_db()
    assert claims_world.policy.status == Status.PREMIUM_WAIVED and claims_world.second.status == Status.IN_FORCE
    event = PolicyEvent.objects.get(policy=claims_world.policy, to_status=Status.PREMIUM_WAIVED)
    assert (event.kind, event.effective_date, event.data["claim"]) == ("premium_waived", date(2026, 11, 2),
                                                                       claim.number)
    assert Status.PREMIUM_WAIVED in COVER_IN_FORCE and Status.PREMIUM_WAIVED not in PREMIUM_PAYING


def test_without_the_rider_the_policy_runs_on(claims_world):
    _paid(claims_world, "critical_illness")
    claims_world.policy.refresh_from_db()
    assert claims_world.policy.status == Status.IN_FORCE

"""Advance payment (Insurance Law Art. 25): still undecided 60 days after the claim and its documents, the amount
that can be determined is paid in advance (maker-checker at the approval threshold) and deducted from the final
payout."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from lifecrm.claims import services
from lifecrm.claims.models import ClaimEvent, Payout
from lifecrm.claims.services import ClaimRefused

from .conftest import AS_OF
from .test_services import _accounts, _complete, _payees, _report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _assessed(world):
    claim = _complete(world, _report(world))  # documents complete on AS_OF: the advance is owed after AS_OF + 60
    return services.claim_assess(actor=world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)


def _advance(world, claim, amount, day, actor="claims"):
    plan = services.payout_plan(claim, {world.policy.pk: amount}, as_of=day)
    keys = [key for key, _name in services.payees_of(plan)]
    return services.claim_advance_pay(actor=world.staff[actor].user, claim_id=claim.pk,
                                      amounts={world.policy.pk: amount}, accounts=_accounts(keys),
                                      reasons="身故责任确定，受益人份额有争议", as_of=day)


@pytest.mark.parametrize(("days", "owed"), [(59, False), (60, False), (61, True)])
def test_the_advance_is_owed_from_the_day_after_the_60_days(claims_world, days, owed):
    claim = _assessed(claims_world)
    assert claim.advance_payment_due == AS_OF + timedelta(days=60)
    if owed:
        assert _advance(claims_world, claim, Decimal("30000.00"), AS_OF + timedelta(days=days)).format == "pain.001"
    else:
        with pytest.raises(ClaimRefused, match="Art. 25"):
            _advance(claims_world, claim, Decimal("30000.00"), AS_OF + timedelta(days=days))


def test_an_advance_below_the_threshold_goes_out_at_once_and_the_final_payout_deducts_it(claims_world):
    claim = _assessed(claims_world)
    day = AS_OF + timedelta(days=61)
    bank_file = _advance(claims_world, claim, Decimal("30000.00"), day)
    advances = list(Payout.objects.filter(claim=claim, advance=True).order_by("id"))
    assert [p.amount for p in advances] == [Decimal("15000.00"), Decimal("9000.00"), Decimal("6000.00")]
    assert {p.status for p in advances} == {"sent"} and advances[0].end_to_end_id == f"{claim.number}-A001"
    assert bank_file.total_amount == Decimal("30000.00")
    with pytest.raises(ClaimRefused, match="booked already"):
        _advance(claims_world, claim, Decimal("1000.00"), day)
    with pytest.raises(ClaimRefused, match="paid in advance"):  # a decision pays at least the advance
        services.claim_decide(actor=claims_world.staff["claims"].user, claim_id=claim.pk, outcome="declined",
                              reasons="不予赔付", as_of=day)
    services.claim_decide(actor=claims_world.staff["claims"].user, claim_id=claim.pk, outcome="approved",
                          reasons="资料齐全", as_of=day)
    services.claim_decision_check(actor=claims_world.staff["claims_checker"].user, claim_id=claim.pk,
                                  approve=True, as_of=day)
    final = services.claim_pay(actor=claims_world.staff["claims"].user, claim_id=claim.pk,
                               accounts=_accounts(_payees(claim)), as_of=day)
    rows = Payout.objects.filter(claim=claim, advance=False, policy=claims_world.policy).order_by("id")
    assert [p.amount for p in rows] == [Decimal("235000.00"), Decimal("141000.00"), Decimal("94000.00")]
    assert final.total_amount == Decimal("570000.00")
    assert sum(Payout.objects.filter(claim=claim).values_list("amount", flat=True)) == Decimal("600000.00")


def test_an_advance_at_the_threshold_waits_for_a_checker_who_is_not_the_maker(claims_world):
    claim = _assessed(claims_world)
    day = AS_OF + timedelta(days=61)
    assert _advance(claims_world, claim, Decimal("100000.00"), day) is None
    assert set(Payout.objects.filter(claim=claim).values_list("status", flat=True)) == {"held"}
    with pytest.raises(PermissionDenied):
        services.claim_advance_check(actor=claims_world.staff["claims"].user, claim_id=claim.pk, approve=True,
                                     as_of=day)
    with pytest.raises(ClaimRefused):  # sent back without a reason
        services.claim_advance_check(actor=claims_world.staff["claims_checker"].user, claim_id=claim.pk,
                                     approve=False, as_of=day)
    services.claim_advance_check(actor=claims_world.staff["claims_checker"].user, claim_id=claim.pk,
                                 approve=False, note="金额需再核", as_of=day)
    assert not Payout.objects.filter(claim=claim).exists()
    _advance(claims_world, claim, Decimal("100000.00"), day)
    bank_file = services.claim_advance_check(actor=claims_world.staff["claims_checker"].user, claim_id=claim.pk,
                                             approve=True, as_of=day)
    assert bank_file.total_amount == Decimal("100000.00")
    assert set(Payout.objects.filter(claim=claim).values_list("status", flat=True)) == {"sent"}
    assert ClaimEvent.objects.filter(claim=claim, kind="advance_paid").count() == 1


def test_an_advance_beyond_the_benefit_or_of_nothing_is_refused(claims_world):
    claim = _assessed(claims_world)
    day = AS_OF + timedelta(days=61)
    for amount in (Decimal("500000.01"), Decimal(0), Decimal("-1")):
        with pytest.raises(ClaimRefused, match="assessed benefit"):
            _advance(claims_world, claim, amount, day)

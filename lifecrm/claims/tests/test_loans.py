"""A death or maturity benefit repays the policy's loans first (policy loans and automatic premium loans,
principal and interest to the payment date): the payees share what is left, exactly, and the loans are settled on
the policy's journal when the claim is paid."""
from datetime import date
from decimal import Decimal

import pytest

from lifecrm.claims import rules, services
from lifecrm.claims.models import ClaimEvent, ClaimNotice, Payout
from lifecrm.claims.services import ClaimRefused
from lifecrm.core.actors import SYSTEM
from lifecrm.policies import loans
from lifecrm.policies import services as policy_services
from lifecrm.policies.models import PolicyEvent, PolicyLoan

from .conftest import AS_OF
from .test_advance import _advance, _assessed
from .test_services import _accounts, _pay_death, _payees

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

# 10,000.00 at 5 % from 1 Jan 2026: 328 days to AS_OF = 449.32; an APL of 1,234.56 at 5 % from 1 Jun: 177 days = 29.93
OWED = Decimal("10000.00") + Decimal("1234.56") + Decimal("449.32") + Decimal("29.93")


def _loans(world):
    for kind, principal, taken_on in (("policy", "10000.00", date(2026, 1, 1)), ("apl", "1234.56", date(2026, 6, 1))):
        policy_services.policy_loan_grant(actor=SYSTEM, policy_id=world.policy.pk, kind=kind,
                                          principal=Decimal(principal), rate_percent=Decimal("5.00"),
                                          taken_on=taken_on, as_of=AS_OF, reference="test")


@pytest.mark.parametrize(("benefit", "owed", "paid", "deducted"), [
    ("1000.00", "0.00", "1000.00", "0.00"), ("1000.00", "999.99", "0.01", "999.99"),
    ("1000.00", "1000.00", "0.00", "1000.00"), ("1000.00", "1000.01", "0.00", "1000.00")])
def test_the_benefit_less_the_debt_is_never_below_nothing(benefit, owed, paid, deducted):
    assert rules.benefit_less_loans(benefit=Decimal(benefit), owed=Decimal(owed)) == (Decimal(paid), Decimal(deducted))


def test_a_death_benefit_pays_the_beneficiaries_what_is_left_after_the_loans_and_settles_them(claims_world):
    _loans(claims_world)
    assert loans.loan_position(policy_id=claims_world.policy.pk, on=AS_OF).owed == OWED
    claim = _pay_death(claims_world, Decimal("50000.00"), outcome="partly_approved")
    deduction = services.loan_deductions(claim, as_of=AS_OF)[claims_world.policy.pk]
    assert (deduction.principal, deduction.interest, deduction.deducted, deduction.paid) == (
        Decimal("11234.56"), Decimal("479.25"), OWED, Decimal("38286.19"))
    plan = services.payout_plan(claim, as_of=AS_OF)  # 50/30/20 of 38,286.19, the cents by largest remainder
    assert [p.amount for p in plan] == [Decimal("19143.09"), Decimal("11485.86"), Decimal("7657.24")]
    letter = ClaimNotice.objects.get(claim=claim, kind="decision").text
    assert f"尚欠的保单贷款本息 CNY {OWED:,.2f}" in letter and "CNY 19,143.09" in letter  # in the claimant's zh-Hans

    services.claim_pay(actor=claims_world.staff["claims"].user, claim_id=claim.pk, accounts=_accounts(_payees(claim)),
                       as_of=AS_OF)
    paid = Payout.objects.filter(claim=claim).order_by("id")
    assert [p.amount for p in paid] == [Decimal("19143.09"), Decimal("11485.86"), Decimal("7657.24")]
    assert sum(p.amount for p in paid) + OWED == Decimal("50000.00")
    assert set(PolicyLoan.objects.filter(policy=claims_world.policy).values_list("settled_on", flat=True)) == {AS_OF}
    settled = PolicyEvent.objects.get(policy=claims_world.policy, kind="loans_settled")
    assert settled.data["principal"] == "11234.56" and settled.data["interest"] == "479.25"
    assert loans.loan_position(policy_id=claims_world.policy.pk, on=AS_OF) == loans.NOTHING
    event = ClaimEvent.objects.get(claim=claim, kind="paid")
    assert event.data["loans_deducted"] == {claims_world.policy.number: str(OWED)}


def test_a_claim_with_no_loan_pays_its_whole_amount_and_settles_nothing(claims_world):
    claim = _pay_death(claims_world, Decimal("1000.01"), outcome="partly_approved")
    assert services.loan_deductions(claim, as_of=AS_OF) == {}
    assert "保单贷款" not in ClaimNotice.objects.get(claim=claim, kind="decision").text
    services.claim_pay(actor=claims_world.staff["claims"].user, claim_id=claim.pk, accounts=_accounts(_payees(claim)),
                       as_of=AS_OF)
    assert [p.amount for p in Payout.objects.filter(claim=claim).order_by("id")] == [
        Decimal("500.01"), Decimal("300.00"), Decimal("200.00")]
    assert not PolicyEvent.objects.filter(policy=claims_world.policy, kind="loans_settled").exists()


def test_an_advance_leaves_room_for_the_loans(claims_world):
    _loans(claims_world)
    claim = _assessed(claims_world)
    day = AS_OF + AS_OF.resolution * 61
    room = services.loan_deductions(claim, as_of=day, amounts={claims_world.policy.pk: Decimal("500000.00")})
    with pytest.raises(ClaimRefused, match="less what is owed on its loans"):
        _advance(claims_world, claim, room[claims_world.policy.pk].paid + Decimal("0.01"), day)

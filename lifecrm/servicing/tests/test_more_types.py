"""Partial withdrawal (the product's percentage of the cash value, the sum assured down pro rata), policy loan
repayment (interest first, then principal, oldest loan first) and owner change (the new owner an adult customer,
the insured's consent when the new owner is someone else): each from the catalogue, at its boundaries, executed
through the policies' services."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lifecrm.policies.models import Policy, PolicyLoan
from lifecrm.servicing import rules, services
from lifecrm.servicing.models import RequestType
from lifecrm.servicing.services import ServicingRefused
from lifecrm.servicing.tests.conftest import ACCOUNT, AS_OF
from lifecrm.servicing.tests.test_services import complete, create
from tests.factories import make_customer, make_policy, make_product

pytestmark = pytest.mark.django_db
CASH_VALUE = Decimal("17452.05")  # the world's policy on AS_OF (SA 500,000; 34.9041 per 1,000)
MAX_WITHDRAWAL = Decimal("3490.41")  # 20 % of it


def test_the_catalogue_ships_the_three_types():
    rows = {t.code: t for t in RequestType.objects.filter(code__in=["partial_withdrawal", "loan_repayment",
                                                                    "owner_change"])}
    assert rows["partial_withdrawal"].cash_value_percent == {"*": "20"}
    assert rows["partial_withdrawal"].approval_above == Decimal("20000.00")
    assert rows["owner_change"].approval_always
    assert [d["code"] for d in rows["owner_change"].documents] == ["application", "owner_id", "new_owner_id",
                                                                   "insured_consent"]


class TestPartialWithdrawal:
    def test_up_to_the_products_percentage_of_the_cash_value(self, world):
        with pytest.raises(ServicingRefused, match=str(MAX_WITHDRAWAL)):
            create(world, kind="partial_withdrawal", payload=ACCOUNT | {"amount": str(MAX_WITHDRAWAL + Decimal("0.01"))})
        request = create(world, kind="partial_withdrawal", payload=ACCOUNT | {"amount": str(MAX_WITHDRAWAL)})
        assert request.result["quote"]["cash_value"] == str(CASH_VALUE)
        assert request.result["quote"]["sum_assured_after"] == "400000.00"
        assert not request.needs_approval and request.amount == MAX_WITHDRAWAL

    def test_a_product_row_overrides_the_default(self, world):
        RequestType.objects.filter(code="partial_withdrawal").update(cash_value_percent={"*": "20", "CNT20": "10"})
        with pytest.raises(ServicingRefused, match="1745.21"):
            create(world, kind="partial_withdrawal", payload=ACCOUNT | {"amount": "1745.22"})

    def test_executed_the_sum_assured_and_the_premiums_fall_pro_rata(self, world):
        request = complete(world, create(world, kind="partial_withdrawal", payload=ACCOUNT | {"amount": str(MAX_WITHDRAWAL)}),
                           AS_OF)
        request = services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
        version = world.policy.versions.get(effective_to__isnull=True)
        assert (version.sum_assured, version.annual_premium, version.modal_premium) == (
            Decimal("400000.00"), Decimal("1071.20"), Decimal("96.40"))
        assert version.effective_from == AS_OF and request.result["paid"] == str(MAX_WITHDRAWAL)

    def test_refused_below_the_products_smallest_sum_assured_or_without_a_cash_value(self, world):
        world.policy.product.__class__.objects.filter(pk=world.policy.product_id).update(
            min_sum_assured=Decimal("450000"))
        with pytest.raises(ServicingRefused, match="below the product's smallest"):
            create(world, kind="partial_withdrawal", payload=ACCOUNT | {"amount": str(MAX_WITHDRAWAL)})
        bare = make_policy(owner=world.owner, agent=world.staff["agent"], branch=world.org.team_a,
                           product=make_product("NOCV"))
        with pytest.raises(ServicingRefused, match="no cash value"):
            create(world, kind="partial_withdrawal", policy=bare, payload=ACCOUNT | {"amount": "100"})


def test_withdrawal_effect_rounds_each_figure_to_the_cent():
    effect = rules.withdrawal_effect(amount=Decimal("1000"), cash_value=Decimal("3000"),
                                     sum_assured=Decimal("100000"), annual_premium=Decimal("1000"),
                                     modal_premium=Decimal("90.01"))
    assert effect == rules.Withdrawal(Decimal("66666.67"), Decimal("666.67"), Decimal("60.01"))
    with pytest.raises(ValueError):
        rules.withdrawal_effect(amount=Decimal("3000"), cash_value=Decimal("3000"), sum_assured=Decimal("1"),
                                annual_premium=Decimal("1"), modal_premium=Decimal("1"))


class TestRepaymentSplit:
    LOANS = [rules.LoanBalance(Decimal("1000.00"), Decimal("50.00")),
             rules.LoanBalance(Decimal("500.00"), Decimal("10.00"))]

    @pytest.mark.parametrize(("amount", "split"), [
        ("60.00", [("50.00", "0"), ("10.00", "0")]),  # exactly the interest
        ("60.01", [("50.00", "0.01"), ("10.00", "0")]),
        ("1060.00", [("50.00", "1000.00"), ("10.00", "0")]),  # the oldest loan first
        ("1560.00", [("50.00", "1000.00"), ("10.00", "500.00")]),  # everything owed
    ])
    def test_interest_first_then_the_oldest_principal(self, amount, split):
        assert rules.repayment_split(amount=Decimal(amount), loans=self.LOANS) == [
            (Decimal(i), Decimal(p)) for i, p in split]

    @pytest.mark.parametrize("amount", ["59.99", "1560.01", "0"])
    def test_less_than_the_interest_or_more_than_owed_is_refused(self, amount):
        with pytest.raises(ValueError):
            rules.repayment_split(amount=Decimal(amount), loans=self.LOANS)


class TestLoanRepayment:
    LOAN = Decimal("13961.64")
    LATER = date(2026, 9, 26)  # 365 days on: 698.08 interest

    def _loan(self, world):
        request = complete(world, create(world, kind="policy_loan", payload=ACCOUNT | {"amount": str(self.LOAN)}), AS_OF)
        services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)

    def test_boundaries(self, world):
        with pytest.raises(ServicingRefused, match="no loan"):
            create(world, kind="loan_repayment", payload={"amount": "100"})
        self._loan(world)
        with pytest.raises(ServicingRefused, match="698.08"):
            create(world, kind="loan_repayment", on=self.LATER, payload={"amount": "698.07"})
        with pytest.raises(ServicingRefused, match="14659.72"):
            create(world, kind="loan_repayment", on=self.LATER, payload={"amount": "14659.73"})

    def test_a_part_repayment_pays_the_interest_and_part_of_the_principal_on_the_loan_ledger(self, world):
        self._loan(world)
        request = complete(world, create(world, kind="loan_repayment", on=self.LATER,
                                         payload={"amount": "2698.08"}), self.LATER)
        request = services.request_execute(actor=world.staff["counter"], request=request, as_of=self.LATER)
        assert request.result["interest_paid"] == "698.08" and request.result["principal_paid"] == "2000.00"
        loan = PolicyLoan.objects.get()
        assert loan.settled_on is None
        assert list(loan.repayments.values_list("amount", "paid_on", "reference")) == [
            (Decimal("2698.08"), self.LATER, request.number)]
        assert services.loan_position(policy=world.policy, on=self.LATER).owed == Decimal("11961.64")
        assert world.policy.events.filter(kind="loan_repaid").count() == 1

    def test_repaid_in_full(self, world):
        self._loan(world)
        request = complete(world, create(world, kind="loan_repayment", on=self.LATER,
                                         payload={"amount": "14659.72"}), self.LATER)
        services.request_execute(actor=world.staff["counter"], request=request, as_of=self.LATER)
        assert PolicyLoan.objects.get().settled_on == self.LATER
        assert services.loan_position(policy=world.policy, on=self.LATER).owed == 0


class TestOwnerChange:
    def test_the_new_owner_is_a_known_adult_customer(self, world):
        with pytest.raises(ServicingRefused, match="customer number"):
            create(world, kind="owner_change", payload={"new_owner": "C-NOPE"})
        with pytest.raises(ServicingRefused, match="already owns"):
            create(world, kind="owner_change", payload={"new_owner": world.owner.number})
        # 18 on 26 September 2025: the day before, of and after the birthday
        for born, adult in ((date(2007, 9, 27), False), (date(2007, 9, 26), True), (date(2007, 9, 25), True)):
            candidate = make_customer(branch=world.org.team_a, birth_date=born)
            if adult:
                request = create(world, kind="owner_change", payload={"new_owner": candidate.number})
                services.request_cancel(actor=world.staff["counter"], request=request, reason="", on=AS_OF,
                                        as_of=AS_OF)
            else:
                with pytest.raises(ServicingRefused, match="adult"):
                    create(world, kind="owner_change", payload={"new_owner": candidate.number})

    def test_the_insureds_consent_when_the_new_owner_is_someone_else_and_executed(self, world):
        spouse = make_customer(branch=world.org.team_a, name="李娜", sex="F", birth_date=date(1982, 1, 5))
        request = create(world, kind="owner_change", payload={"new_owner": spouse.number})
        assert list(request.documents.values_list("code", flat=True)) == [
            "application", "owner_id", "new_owner_id", "insured_consent"]
        request = complete(world, request, AS_OF)
        request = services.request_approve(actor=world.staff["branch"], request=request, on=AS_OF, as_of=AS_OF)
        request = services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
        policy = Policy.objects.get(pk=world.policy.pk)
        assert policy.owner == spouse and policy.payer == spouse and policy.insured == world.owner
        assert request.result["new_owner"] == spouse.number and request.result["payer_changed"] is True

    def test_back_to_the_insured_needs_no_consent(self, world):
        parent = make_customer(branch=world.org.team_a, name="张父", birth_date=date(1955, 1, 5))
        policy = make_policy(owner=parent, insured=world.owner, agent=world.staff["agent"], branch=world.org.team_a,
                             product=world.policy.product)
        request = create(world, kind="owner_change", policy=policy, payload={"new_owner": world.owner.number})
        assert "insured_consent" not in request.documents.values_list("code", flat=True)

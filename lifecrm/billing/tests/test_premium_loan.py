"""Automatic premium loan (自动垫交): at the end of an unpaid grace period the cash value pays, if opted in."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from lifecrm.billing import services
from lifecrm.billing.models import Payment
from lifecrm.billing.selectors import apl_capacity
from lifecrm.core.actors import SYSTEM
from lifecrm.policies.models import Policy
from lifecrm.products.selectors import product_by_code
from tests.factories import make_customer, make_org, make_policy, make_staff

pytestmark = pytest.mark.django_db


def whole_life_policy(*, apl_opt_in: bool):
    org = make_org()
    agent = make_staff("agent", org.team_a)
    owner = make_customer(branch=org.branch_a, agent=agent, birth_date=date(1980, 5, 17), sex="M")
    policy = make_policy(owner=owner, agent=agent, branch=org.branch_a, product=product_by_code("CN-WL01"),
                         issue_date=date(2020, 8, 31), as_of=date(2020, 8, 31), term_years=None,
                         premium_term_years=20, apl_opt_in=apl_opt_in)
    # Paid up to the premium due 30 Sep 2026 (instalment 73 of the monthly schedule).
    Policy.objects.filter(pk=policy.pk).update(paid_instalments=73, paid_to_date=date(2026, 9, 30))
    return policy


def test_premium_loan_pays_the_arrears_at_grace_end_and_keeps_the_policy_in_force():
    policy = whole_life_policy(apl_opt_in=True)
    capacity = apl_capacity(policy=policy, on=date(2026, 11, 30))
    assert capacity.cash_value > 0 and capacity.available == (capacity.cash_value * Decimal("0.80")).quantize(
        Decimal("0.01"))
    call_command("run-daily", as_of="2026-12-01", from_date="2026-09-30", no_progress=True)
    policy.refresh_from_db()
    assert (policy.status, policy.status_date) == ("in_force", date(2026, 11, 30))
    loan = Payment.objects.get(policy=policy, method="apl")
    assert loan.amount == Decimal("361.50")  # the three monthly premiums due 30 Sep, 31 Oct, 30 Nov
    assert policy.paid_to_date == date(2026, 12, 31)
    assert apl_capacity(policy=policy, on=date(2026, 11, 30)).outstanding_loans == Decimal("361.50")


def test_without_opt_in_the_policy_is_suspended():
    policy = whole_life_policy(apl_opt_in=False)
    assert apl_capacity(policy=policy, on=date(2026, 11, 30)).reason.startswith("the owner has not opted in")
    call_command("run-daily", as_of="2026-12-01", from_date="2026-09-30", no_progress=True)
    policy.refresh_from_db()
    assert policy.status == "suspended"
    assert not Payment.objects.filter(policy=policy).exists()


def test_money_received_after_the_grace_end_finds_the_premiums_paid_by_the_loan():
    """The batch of 1 Dec has not run when the clerk books money received that day: the loan pays the arrears
    at the grace end, as the batch would have, and the late money pays the next premium instead of keeping the
    policy in force itself."""
    policy = whole_life_policy(apl_opt_in=True)
    call_command("run-daily", as_of="2026-11-30", from_date="2026-09-30", no_progress=True)
    assert Policy.objects.get(pk=policy.pk).status == "grace"
    payment = services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("120.50"), method="cash",
                                      received_on=date(2026, 12, 1), natural_key="late-1", as_of=date(2026, 12, 1))
    policy.refresh_from_db()
    assert (policy.status, policy.status_date) == ("in_force", date(2026, 11, 30))
    assert Payment.objects.get(policy=policy, method="apl").amount == Decimal("361.50")
    assert [a.due_item.due_date for a in payment.allocations.select_related("due_item")] == [date(2026, 12, 31)]
    call_command("run-daily", as_of="2026-12-01", no_progress=True)
    assert Payment.objects.filter(policy=policy, method="apl").count() == 1
    assert Policy.objects.get(pk=policy.pk).status == "in_force"


def test_the_premium_loan_enters_the_policys_loan_ledger_and_journal():
    from lifecrm.policies.models import PolicyEvent, PolicyLoan

    policy = whole_life_policy(apl_opt_in=True)
    call_command("run-daily", as_of="2026-12-01", from_date="2026-09-30", no_progress=True)
    loan = PolicyLoan.objects.get(policy=policy)
    assert (loan.kind, loan.principal, loan.taken_on, loan.reference) == (
        "apl", Decimal("361.50"), date(2026, 11, 30), f"apl:{policy.pk}:2026-11-30")
    assert PolicyEvent.objects.filter(policy=policy, kind="loan_granted").count() == 1


def test_a_policy_loan_from_servicing_leaves_less_for_an_automatic_premium_loan():
    from lifecrm.policies import services as policy_services

    policy = whole_life_policy(apl_opt_in=True)
    policy = Policy.objects.select_related("product", "insured").get(pk=policy.pk)
    before = apl_capacity(policy=policy, on=date(2026, 11, 30))
    policy_services.policy_loan_grant(actor=SYSTEM, policy_id=policy.pk, kind="policy", principal=Decimal("1000"),
                                      rate_percent=Decimal("5"), taken_on=date(2026, 5, 30), as_of=date(2026, 5, 30))
    after = apl_capacity(policy=policy, on=date(2026, 11, 30))
    # 1,000 and 184 days of 5 % interest on it (25.21) are owed: that much less can be lent.
    assert after.outstanding_loans == Decimal("1025.21")
    assert after.available == before.available - Decimal("1025.21")


def test_the_capacity_is_the_cash_value_at_the_exact_duration():
    from lifecrm.policies import cash_values

    policy = Policy.objects.select_related("product", "insured").get(pk=whole_life_policy(apl_opt_in=True).pk)
    capacity = apl_capacity(policy=policy, on=date(2026, 11, 30))
    assert capacity.cash_value == cash_values.cash_value(policy=policy, on=date(2026, 11, 30))
    # mid-year: between the values at the sixth (31 Aug 2026) and seventh policy-year ends
    assert cash_values.cash_value(policy=policy, on=date(2026, 8, 31)) < capacity.cash_value < \
        cash_values.cash_value(policy=policy, on=date(2027, 8, 31))


def test_given_the_chunks_loans_the_capacity_reads_no_loans(django_assert_num_queries):
    policy = Policy.objects.select_related("product", "insured").get(pk=whole_life_policy(apl_opt_in=True).pk)
    with django_assert_num_queries(2):  # the current version and the cash value table
        apl_capacity(policy=policy, on=date(2026, 11, 30), policy_loans=[])


def test_reversing_the_premium_loan_payment_takes_its_loan_off_the_ledger():
    from lifecrm.policies import loans
    from lifecrm.policies.models import PolicyEvent, PolicyLoan

    policy = whole_life_policy(apl_opt_in=True)
    call_command("run-daily", as_of="2026-12-01", from_date="2026-09-30", no_progress=True)
    payment = Payment.objects.get(policy=policy, method="apl")
    reversal = services.payment_reverse(actor=SYSTEM, payment_id=payment.pk, reason="booked in error",
                                        as_of=date(2026, 12, 2))
    assert reversal.amount == -payment.amount
    loan = PolicyLoan.objects.get(policy=policy)
    assert loan.settled_on == loan.taken_on == date(2026, 11, 30)  # never owed anything, no interest
    assert loans.loan_position(policy_id=policy.pk, on=date(2026, 12, 2)) == loans.NOTHING
    event = PolicyEvent.objects.get(policy=policy, kind="loan_cancelled")
    assert event.data["loan"] == loan.pk and event.effective_date == date(2026, 12, 2)
    assert payment.receipt_no in event.reason and "booked in error" in event.reason
    assert apl_capacity(policy=policy, on=date(2026, 12, 2)).outstanding_loans == Decimal(0)
    policy.refresh_from_db()
    assert policy.status == "suspended"  # the grace period ended unpaid after all: no second loan for it
    assert Payment.objects.filter(policy=policy, method="apl").count() == 2  # the loan and its reversal


def test_a_premium_loan_repaid_in_part_is_not_reversed_behind_the_ledgers_back():
    from lifecrm.policies import services as policy_services
    from lifecrm.policies.models import PolicyLoan

    policy = whole_life_policy(apl_opt_in=True)
    call_command("run-daily", as_of="2026-12-01", from_date="2026-09-30", no_progress=True)
    payment = Payment.objects.get(policy=policy, method="apl")
    loan = PolicyLoan.objects.get(policy=policy)
    policy_services.policy_loan_repay(actor=SYSTEM, loan_id=loan.pk, amount=Decimal("100.00"),
                                      paid_on=date(2026, 12, 1), as_of=date(2026, 12, 1))
    with pytest.raises(services.PaymentRefused, match="has repayments"):
        services.payment_reverse(actor=SYSTEM, payment_id=payment.pk, reason="booked in error",
                                 as_of=date(2026, 12, 2))
    assert not Payment.objects.filter(reverses=payment).exists()
    assert PolicyLoan.objects.get(pk=loan.pk).settled_on is None

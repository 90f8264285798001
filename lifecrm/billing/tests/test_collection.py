"""Renewal collection end to end: due items, grace, suspension, lapse through run-daily; payments and suspense."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from lifecrm.billing import services
from lifecrm.billing.models import Allocation, DueItem, Payment
from lifecrm.billing.selectors import suspense_balance
from lifecrm.core.actors import SYSTEM
from lifecrm.policies.models import Policy
from tests.factories import make_customer, make_org, make_policy, make_staff

pytestmark = pytest.mark.django_db
PREMIUM = Decimal("120.50")  # the factory's modal premium


@pytest.fixture
def policy():
    org = make_org()
    agent = make_staff("agent", org.team_a)
    owner = make_customer(branch=org.branch_a, agent=agent)
    # Issued 31 Aug 2026, monthly: the first premium is paid at issue, the next falls due 30 Sep 2026.
    return make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2026, 8, 31),
                       as_of=date(2026, 8, 31))


def run_daily(day: str) -> None:
    call_command("run-daily", as_of=day, no_progress=True)


def status(policy) -> str:
    return Policy.objects.get(pk=policy.pk).status


def test_due_items_are_raised_ahead_once(policy):
    run_daily("2026-09-20")
    run_daily("2026-09-20")
    items = list(DueItem.objects.filter(policy=policy).values_list("instalment", "due_date", "amount"))
    assert items == [(1, date(2026, 9, 30), PREMIUM), (2, date(2026, 10, 31), PREMIUM)]


def test_grace_then_suspension_on_the_day_after_grace_ends(policy):
    run_daily("2026-09-30")
    assert status(policy) == "in_force"  # due today: not yet overdue
    run_daily("2026-10-01")
    assert status(policy) == "grace"
    # 30 Sep + 60 days = Sunday 29 Nov 2026 → the customer's grace runs to Monday 30 Nov.
    run_daily("2026-11-30")
    assert status(policy) == "grace"
    assert DueItem.objects.get(policy=policy, instalment=1).grace_end == date(2026, 11, 30)
    run_daily("2026-12-01")
    p = Policy.objects.get(pk=policy.pk)
    assert (p.status, p.status_date) == ("suspended", date(2026, 12, 1))
    journal = list(p.events.order_by("seq").values_list("kind", "effective_date"))
    assert journal[-2:] == [("grace_started", date(2026, 10, 1)), ("suspended", date(2026, 12, 1))]


def test_catch_up_over_missed_days_and_lapse_after_two_years(policy):
    call_command("run-daily", as_of="2026-12-01", from_date="2026-09-29", no_progress=True)
    assert status(policy) == "suspended"
    # Suspended 1 Dec 2026 → window of 2 years ends Friday 1 Dec 2028; lapse on 2 Dec.
    run_daily("2028-12-01")
    assert status(policy) == "suspended"
    run_daily("2028-12-02")
    p = Policy.objects.get(pk=policy.pk)
    assert (p.status, p.status_date) == ("lapsed", date(2028, 12, 2))


def test_payment_in_grace_puts_the_policy_back_in_force(policy):
    run_daily("2026-10-05")
    assert status(policy) == "grace"
    services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=PREMIUM, method="cash",
                            received_on=date(2026, 10, 6), natural_key="till-1-0001", as_of=date(2026, 10, 6))
    p = Policy.objects.get(pk=policy.pk)
    assert (p.status, p.status_date, p.paid_instalments, p.paid_to_date) == (
        "in_force", date(2026, 10, 6), 2, date(2026, 10, 31))


def test_partial_payment_leaves_the_item_open_and_overpayment_goes_to_suspense(policy):
    run_daily("2026-09-20")
    services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("100"), method="cash",
                            received_on=date(2026, 9, 20), natural_key="slip-1", as_of=date(2026, 9, 20))
    first = DueItem.objects.get(policy=policy, instalment=1)
    assert (first.status, first.paid_amount) == ("open", Decimal("100.00"))
    services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("300"), method="cash",
                            received_on=date(2026, 9, 21), natural_key="slip-2", as_of=date(2026, 9, 21))
    statuses = list(DueItem.objects.filter(policy=policy).order_by("instalment").values_list("status", flat=True))
    assert statuses == ["paid", "paid"]
    # 400.00 received, 2 × 120.50 applied: 159.00 waits in suspense for the next premium.
    assert suspense_balance(policy_id=policy.pk) == Decimal("159.00")
    assert Policy.objects.get(pk=policy.pk).paid_to_date == date(2026, 11, 30)


def test_a_payment_booked_twice_is_refused_and_changes_nothing(policy):
    run_daily("2026-09-20")
    kwargs = dict(actor=SYSTEM, policy_id=policy.pk, amount=PREMIUM, method="auto_debit",
                  received_on=date(2026, 9, 30), natural_key="E2E-2026-09-30-0001", as_of=date(2026, 9, 30))
    services.payment_record(**kwargs)
    with pytest.raises(services.DuplicatePayment):
        services.payment_record(**kwargs)
    assert Payment.objects.count() == 1 and Allocation.objects.count() == 1


@pytest.mark.parametrize(("amount", "message"), [(Decimal("0"), "positive"), (Decimal("-5"), "positive")])
def test_bad_payment_amounts_are_refused(policy, amount, message):
    with pytest.raises(services.PaymentRefused, match=message):
        services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=amount, method="cash",
                                received_on=date(2026, 9, 20), natural_key="x", as_of=date(2026, 9, 20))
    assert not Payment.objects.exists()

"""Premiums paid at the grace boundary: the day the money reached the insurer decides, not the day a clerk
books it nor when the daily batch runs; a reversal puts the policy at once where it would stand had the money
never come. Every order of (received, booked, reversed, batch) around the grace period's last day G, in CN, HK
and TW.

The policy: quarterly, issued 30 Jun 2026, first premium paid at issue, the next (120.50) due Wed 30 Sep 2026 and
the one after on 31 Dec 2026 (after every G: one premium is in arrears).
- CN: 60 days from the due date end on Sun 29 Nov, a rest day: the customer's grace runs to Mon 30 Nov.
- HK: 31 days from the due date: Sat 31 Oct (a working day in Hong Kong).
- TW: quarterly mode, 30 days from the due date without a demand: Fri 30 Oct. TW reinstates automatically when the
  arrears and interest are paid within 6 months of suspension; one premium without its interest does not.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from lifecrm.billing import services
from lifecrm.billing.models import DueItem, Payment, ReinstatementApplication
from lifecrm.billing.selectors import suspense_balance
from lifecrm.core.actors import SYSTEM
from lifecrm.policies.models import Policy
from tests.factories import make_customer, make_org, make_policy, make_product, make_staff

pytestmark = pytest.mark.django_db
PREMIUM = Decimal("120.50")
DUE = date(2026, 9, 30)
GRACE_END = {"CN": date(2026, 11, 30), "HK": date(2026, 10, 31), "TW": date(2026, 10, 30)}
DAY = timedelta(days=1)


@pytest.fixture(params=["CN", "HK", "TW"])
def case(request):
    """(policy, G): a policy of the jurisdiction, in grace since 1 Oct after the batch of that day ran."""
    jurisdiction = request.param
    org = make_org()
    agent = make_staff("agent", org.team_a)
    owner = make_customer(branch=org.branch_a, agent=agent)
    product = make_product(code=f"TERM-{jurisdiction}", jurisdiction_id=jurisdiction)
    policy = make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2026, 6, 30),
                         as_of=date(2026, 6, 30), product=product, premium_mode="quarterly")
    batch(DUE + DAY)
    assert state(policy) == ("grace", DUE + DAY)
    return policy, GRACE_END[jurisdiction]


def batch(day: date) -> None:
    call_command("run-daily", as_of=str(day), no_progress=True)


def state(policy) -> tuple[str, date]:
    return tuple(Policy.objects.values_list("status", "status_date").get(pk=policy.pk))


def journal(policy) -> list[tuple[str, date]]:
    return list(Policy.objects.get(pk=policy.pk).events.filter(seq__gt=2).order_by("seq")
                .values_list("kind", "effective_date"))  # after "proposed" and "issued"


def pay(policy, *, received: date, booked: date, key: str = "slip-1") -> Payment:
    return services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=PREMIUM, method="cheque",
                                   received_on=received, natural_key=key, as_of=booked)


def premium_paid(policy) -> bool:
    return DueItem.objects.get(policy=policy, instalment=1).status == "paid"


def no_reinstatement(policy) -> bool:
    return (not ReinstatementApplication.objects.filter(policy=policy).exists()
            and not DueItem.objects.filter(policy=policy, kind="interest").exists())


def test_the_grace_ends_where_the_law_says(case):
    policy, grace_end = case
    batch(grace_end)
    assert state(policy)[0] == "grace"
    batch(grace_end + DAY)
    assert state(policy) == ("suspended", grace_end + DAY)


# -- received on the last day of grace --------------------------------------------------------------------------

def test_received_on_the_last_day_and_booked_that_day_keeps_the_policy_in_force(case):
    policy, g = case
    pay(policy, received=g, booked=g)
    batch(g + DAY)
    assert state(policy) == ("in_force", g) and premium_paid(policy)
    assert journal(policy) == [("grace_started", DUE + DAY), ("premium_paid", g)]


def test_received_on_the_last_day_and_booked_next_morning_before_the_batch(case):
    policy, g = case
    pay(policy, received=g, booked=g + DAY)
    batch(g + DAY)
    assert state(policy) == ("in_force", g) and premium_paid(policy)
    assert journal(policy) == [("grace_started", DUE + DAY), ("premium_paid", g)]


def test_received_on_the_last_day_and_booked_after_the_batch_suspended_undoes_the_suspension(case):
    policy, g = case
    batch(g + DAY)
    assert state(policy) == ("suspended", g + DAY)
    payment = pay(policy, received=g, booked=g + DAY)
    assert state(policy) == ("in_force", g) and premium_paid(policy)
    assert journal(policy) == [("grace_started", DUE + DAY), ("suspended", g + DAY), ("suspension_undone", g)]
    assert no_reinstatement(policy) and suspense_balance(policy_id=policy.pk) == 0
    assert payment.allocations.get().amount == PREMIUM
    batch(g + 2 * DAY)  # the next batch leaves it alone
    assert state(policy) == ("in_force", g)


def test_received_on_the_last_day_and_booked_days_later_still_undoes_the_suspension(case):
    policy, g = case
    for day in (g + DAY, g + 2 * DAY, g + 3 * DAY):
        batch(day)
    pay(policy, received=g, booked=g + 3 * DAY)
    assert state(policy) == ("in_force", g) and no_reinstatement(policy)


# -- received the day after grace ended -------------------------------------------------------------------------

def test_received_the_day_after_and_booked_before_the_batch_suspends_at_once(case):
    policy, g = case
    payment = pay(policy, received=g + DAY, booked=g + DAY)
    assert state(policy) == ("suspended", g + DAY)
    assert not premium_paid(policy) and not payment.allocations.exists()
    assert suspense_balance(policy_id=policy.pk) == PREMIUM  # waits for a reinstatement (TW: plus interest)
    assert journal(policy) == [("grace_started", DUE + DAY), ("suspended", g + DAY)]
    batch(g + DAY)  # the batch finds nothing more to do
    assert state(policy) == ("suspended", g + DAY)
    assert journal(policy) == [("grace_started", DUE + DAY), ("suspended", g + DAY)]


def test_received_the_day_after_and_booked_after_the_batch_stays_suspended(case):
    policy, g = case
    batch(g + DAY)
    pay(policy, received=g + DAY, booked=g + DAY)
    assert state(policy) == ("suspended", g + DAY) and not premium_paid(policy)
    assert suspense_balance(policy_id=policy.pk) == PREMIUM
    assert journal(policy) == [("grace_started", DUE + DAY), ("suspended", g + DAY)]


def test_received_the_day_after_and_booked_later_without_any_batch_in_between(case):
    policy, g = case
    pay(policy, received=g + DAY, booked=g + 5 * DAY)
    assert state(policy) == ("suspended", g + DAY) and not premium_paid(policy)


# -- reversals (a bounced cheque) -------------------------------------------------------------------------------

def test_a_reversal_after_the_grace_end_suspends_at_once(case):
    policy, g = case
    payment = pay(policy, received=g - 5 * DAY, booked=g - 5 * DAY)
    assert state(policy) == ("in_force", g - 5 * DAY)
    services.payment_reverse(actor=SYSTEM, payment_id=payment.pk, reason="cheque bounced", as_of=g + 3 * DAY)
    assert state(policy) == ("suspended", g + DAY) and not premium_paid(policy)
    assert journal(policy) == [("grace_started", DUE + DAY), ("premium_paid", g - 5 * DAY),
                               ("grace_started", DUE + DAY), ("suspended", g + DAY)]
    batch(g + 4 * DAY)
    assert state(policy) == ("suspended", g + DAY)


def test_a_reversal_within_grace_puts_the_policy_back_in_grace_at_once(case):
    policy, g = case
    payment = pay(policy, received=g - 10 * DAY, booked=g - 10 * DAY)
    services.payment_reverse(actor=SYSTEM, payment_id=payment.pk, reason="cheque bounced", as_of=g - 5 * DAY)
    assert state(policy) == ("grace", DUE + DAY)
    batch(g)
    assert state(policy) == ("grace", DUE + DAY)
    batch(g + DAY)
    assert state(policy) == ("suspended", g + DAY)


def test_a_reversal_on_the_last_day_of_grace_leaves_the_day_to_pay(case):
    policy, g = case
    payment = pay(policy, received=g - 10 * DAY, booked=g - 10 * DAY)
    services.payment_reverse(actor=SYSTEM, payment_id=payment.pk, reason="cheque bounced", as_of=g)
    assert state(policy) == ("grace", DUE + DAY)
    pay(policy, received=g, booked=g, key="slip-2")
    assert state(policy) == ("in_force", g)


def test_reversing_the_money_that_undid_a_suspension_suspends_again(case):
    policy, g = case
    batch(g + DAY)
    payment = pay(policy, received=g, booked=g + DAY)
    assert state(policy) == ("in_force", g)
    services.payment_reverse(actor=SYSTEM, payment_id=payment.pk, reason="cheque bounced", as_of=g + 2 * DAY)
    assert state(policy) == ("suspended", g + DAY)
    assert journal(policy)[-2:] == [("grace_started", DUE + DAY), ("suspended", g + DAY)]
    assert suspense_balance(policy_id=policy.pk) == 0


def test_reversing_late_money_waiting_in_suspense_changes_no_status(case):
    policy, g = case
    payment = pay(policy, received=g + DAY, booked=g + DAY)
    services.payment_reverse(actor=SYSTEM, payment_id=payment.pk, reason="cheque bounced", as_of=g + 2 * DAY)
    assert state(policy) == ("suspended", g + DAY) and suspense_balance(policy_id=policy.pk) == 0


# -- partial money and later premiums ---------------------------------------------------------------------------

def test_part_of_the_premium_within_grace_does_not_undo_the_suspension(case):
    policy, g = case
    batch(g + DAY)
    services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("100.00"), method="cash",
                            received_on=g, natural_key="slip-part", as_of=g + DAY)
    assert state(policy) == ("suspended", g + DAY) and not premium_paid(policy)

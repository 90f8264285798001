"""No balance becomes unreadable: every money column holds the sums it can accumulate, and what it could not
hold is refused at entry (property-based, over payments, refunds and reversals); premium schedules
(property-based)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from lifecrm.billing import rules, services
from lifecrm.billing.models import Payment, SuspenseAccount
from lifecrm.billing.selectors import suspense_balance, suspense_work_list
from lifecrm.core.actors import SYSTEM
from lifecrm.core.money import CENT, MAX_AMOUNT, MAX_BALANCE
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.policies.rules import PAYMENTS_PER_YEAR, due_date, premium_term_end
from tests.factories import make_customer, make_org, make_policy, make_staff

AS_OF = date(2026, 10, 10)


@pytest.fixture
def policy_and_hq(db):
    org = make_org()
    owner = make_customer(branch=org.branch_a)
    policy = make_policy(owner=owner, agent=None, branch=org.branch_a, issue_date=date(2026, 8, 31),
                         as_of=date(2026, 8, 31))
    return policy, make_staff("hq", org.hq)


def readable_everywhere(policy, hq) -> None:
    """The ledger, its copy, the work list and the API read the balance back."""
    balance = suspense_balance(policy_id=policy.pk)
    account = SuspenseAccount.objects.filter(pk=policy.pk).first()
    assert (account.balance if account else Decimal("0.00")) == balance
    assert abs(balance) <= MAX_BALANCE
    suspense_work_list(scope=data_scope_for_user(hq.user))
    client = APIClient()
    client.force_authenticate(hq.user)
    assert client.get("/api/v1/suspense-accounts/").status_code == 200


def test_two_maximal_payments_stay_readable(policy_and_hq):
    policy, hq = policy_and_hq
    for key in ("big-1", "big-2"):
        services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=MAX_AMOUNT, method="bank_transfer",
                                received_on=AS_OF, natural_key=key, as_of=AS_OF)
    assert SuspenseAccount.objects.get(pk=policy.pk).balance == 2 * MAX_AMOUNT
    readable_everywhere(policy, hq)


def test_an_amount_beyond_what_one_booking_may_carry_is_refused(policy_and_hq):
    policy, _ = policy_and_hq
    for amount in (MAX_AMOUNT + CENT, Decimal("1e20")):
        with pytest.raises(services.PaymentRefused, match="at most 9,999,999,999.99"):
            services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=amount, method="bank_transfer",
                                    received_on=AS_OF, natural_key="huge", as_of=AS_OF)
    assert not Payment.objects.exists()


amounts = st.one_of(st.just(MAX_AMOUNT), st.just(MAX_AMOUNT + CENT), st.just(CENT),
                    st.decimals(min_value=CENT, max_value=MAX_AMOUNT, places=2))
operations = st.lists(st.one_of(
    st.tuples(st.just("pay"), amounts),
    st.tuples(st.just("refund"), amounts),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=5)),
), min_size=1, max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
def test_payments_refunds_and_reversals_never_leave_an_unreadable_balance(policy_and_hq, steps):
    policy, hq = policy_and_hq
    with transaction.atomic():
        booked: list[int] = []
        for n, (kind, value) in enumerate(steps):
            try:
                if kind == "pay":
                    booked.append(services.payment_record(
                        actor=SYSTEM, policy_id=policy.pk, amount=value, method="bank_transfer", received_on=AS_OF,
                        natural_key=f"p{n}", as_of=AS_OF).pk)
                elif kind == "refund":
                    services.suspense_refund(actor=SYSTEM, policy_id=policy.pk, amount=value, method="bank_transfer",
                                             reference=f"r{n}", reason="overpaid", as_of=AS_OF)
                elif booked:
                    services.payment_reverse(actor=SYSTEM, payment_id=booked[value % len(booked)], reason="bounced",
                                             as_of=AS_OF)
            except services.BillingRefused:
                pass  # refused whole, with its reason: what is checked is that nothing unreadable was written
            readable_everywhere(policy, hq)
        transaction.set_rollback(True)


# -- premium schedules ----------------------------------------------------------------------------------------

issue_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))
modes = st.sampled_from(sorted(PAYMENTS_PER_YEAR))


@given(issue_dates, modes, st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=4000),
       st.integers(min_value=0, max_value=800))
def test_a_schedule_is_every_due_date_in_its_window_once_in_order(issue, mode, years, offset, length):
    start = issue + timedelta(days=offset)
    end = start + timedelta(days=length)
    items = rules.premium_schedule(issue_date=issue, mode=mode, premium_term_years=years, start=start, end=end)
    term_end = premium_term_end(issue, years)
    assert [i.due_date for i in items] == sorted({i.due_date for i in items})
    assert all(start <= i.due_date <= end and i.due_date < term_end for i in items)
    assert all(i.due_date == due_date(issue, mode, i.instalment) for i in items)
    assert [i.instalment for i in items] == list(range(items[0].instalment, items[0].instalment + len(items))) \
        if items else True
    # nothing in the window is left out: the instalments just outside it fall outside it
    if items:
        before = due_date(issue, mode, items[0].instalment - 1) if items[0].instalment else None
        assert before is None or before < start
        after = due_date(issue, mode, items[-1].instalment + 1)
        assert after > end or after >= term_end


@given(issue_dates, modes, st.integers(min_value=1, max_value=40), st.integers(min_value=1, max_value=3000))
def test_schedules_of_adjacent_windows_add_up_to_the_whole(issue, mode, years, split):
    whole_end = issue + timedelta(days=3000)
    middle = issue + timedelta(days=split)
    whole = rules.premium_schedule(issue_date=issue, mode=mode, premium_term_years=years, start=issue, end=whole_end)
    first = rules.premium_schedule(issue_date=issue, mode=mode, premium_term_years=years, start=issue, end=middle)
    rest = rules.premium_schedule(issue_date=issue, mode=mode, premium_term_years=years,
                                  start=middle + timedelta(days=1), end=whole_end)
    assert first + rest == whole
    # a due date never falls on a day of the month the issue date does not have, and keeps the issue's day
    # wherever the month has it
    for item in whole:
        assert item.due_date.day == issue.day or item.due_date.day < issue.day

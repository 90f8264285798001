"""The daily reconciliation of the premium ledger (billing.reconcile_ledger): a clean ledger records nothing; rows
corrupted behind the services' back (raw SQL) are found, recorded once per day and shown to head office on the
collection dashboard as a warning, until a later day's reconciliation is clean."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lifecrm.billing import reconciliation
from lifecrm.billing.models import LedgerDifference
from lifecrm.billing.reconciliation import latest_ledger_differences, ledger_reconcile
from lifecrm.billing.services import payment_record
from lifecrm.billing.tests.test_views_world import (  # noqa: F401  (the *_fixture names are fixtures)
    AS_OF,
    PREMIUM,
    business_date_fixture,
    outbox_fixture,
    run_daily,
    world_fixture,
)
from lifecrm.core.actors import SYSTEM
from lifecrm.core.jobs import run_step
from lifecrm.core.models import JobRun
from lifecrm.core.registries import daily_steps

pytestmark = [pytest.mark.django_db, pytest.mark.suspense_unchecked]
NEXT = AS_OF + timedelta(days=1)


def test_the_reconciliation_runs_after_the_billing_steps_and_finds_a_clean_ledger_clean(world):
    names = daily_steps.names()
    assert all(names.index("billing.reconcile_ledger") > names.index(step) for step in (
        "billing.apply_suspense", "billing.suspend", "billing.lapse", "billing.debit_export", "billing.reminders"))
    assert JobRun.objects.get(step="billing.reconcile_ledger", as_of=AS_OF).status == JobRun.Status.DONE
    payment_record(actor=SYSTEM, policy_id=world.policy_a.pk, amount=PREMIUM * 3, method="cash", received_on=AS_OF,
                   natural_key="till:1", as_of=AS_OF)  # two premiums paid, one ahead in suspense
    run_daily(NEXT)
    assert not LedgerDifference.objects.exists() and latest_ledger_differences() == []


def corrupt(world) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE billing_suspenseaccount SET balance = balance + 1 WHERE policy_id = %s",
                       [world.policy_a.pk])
        cursor.execute("UPDATE billing_dueitem SET paid_amount = amount + 5 WHERE policy_id = %s AND instalment = 1",
                       [world.policy_q.pk])
        cursor.execute("UPDATE billing_dueitem SET status = 'paid' WHERE policy_id = %s AND instalment = 1",
                       [world.policy_b.pk])


def test_corrupted_rows_are_recorded_and_shown_to_head_office(world, client, business_date):
    payment_record(actor=SYSTEM, policy_id=world.policy_a.pk, amount=PREMIUM * 3, method="cash", received_on=AS_OF,
                   natural_key="till:1", as_of=AS_OF)
    corrupt(world)
    run_daily(NEXT)
    found = {(d.policy.number, d.kind, d.expected, d.found) for d in LedgerDifference.objects.filter(as_of=NEXT)}
    balance = Decimal("120.50")  # the premium paid ahead
    assert found == {
        (world.policy_a.number, "suspense", balance, balance + 1),
        (world.policy_q.number, "allocated", Decimal("0.00"), PREMIUM + 5),  # no allocation behind the paid amount
        (world.policy_q.number, "over_due", PREMIUM, PREMIUM + 5),
        (world.policy_q.number, "status", PREMIUM, PREMIUM + 5),  # open although paid in full
        (world.policy_b.number, "status", PREMIUM, Decimal("0.00")),  # paid with nothing paid
    }
    assert ledger_reconcile(as_of=NEXT, first_id=1, last_id=10**9) == 5  # a rerun of the day rewrites its rows
    assert LedgerDifference.objects.filter(as_of=NEXT).count() == 5

    business_date(NEXT)
    client.force_login(world.staff["hq"].user)
    body = client.get(reverse("billing:dashboard")).content.decode()
    assert 'data-testid="ledger-differences"' in body and "The premium ledger does not reconcile" in body
    assert "found 5 differences" in body and world.policy_q.number in body
    assert "allocations exceed the amount due" in body
    zh = client.get(reverse("billing:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "保費帳目對帳不符" in zh and "分配金額超過應繳金額" in zh
    client.force_login(world.staff["branch"].user)  # the whole ledger's reconciliation is head office's
    assert 'data-testid="ledger-differences"' not in client.get(reverse("billing:dashboard")).content.decode()

    with connection.cursor() as cursor:  # repaired: the next day's reconciliation is clean, the warning goes
        cursor.execute("UPDATE billing_suspenseaccount SET balance = balance - 1 WHERE policy_id = %s",
                       [world.policy_a.pk])
        cursor.execute("UPDATE billing_dueitem SET paid_amount = 0 WHERE policy_id = %s AND instalment = 1",
                       [world.policy_q.pk])
        cursor.execute("UPDATE billing_dueitem SET status = 'open' WHERE policy_id = %s AND instalment = 1",
                       [world.policy_b.pk])
    run_daily(NEXT + timedelta(days=1))
    client.force_login(world.staff["hq"].user)
    assert 'data-testid="ledger-differences"' not in client.get(reverse("billing:dashboard")).content.decode()
    assert LedgerDifference.objects.filter(as_of=NEXT).count() == 5  # the day's record stays


def test_a_payment_applied_beyond_its_amount_is_found(world):
    payment = payment_record(actor=SYSTEM, policy_id=world.policy_b.pk, amount=PREMIUM, method="cash",
                             received_on=AS_OF, natural_key="till:2", as_of=AS_OF)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE billing_allocation SET amount = amount + 1 WHERE payment_id = %s", [payment.pk])
    ledger_reconcile(as_of=date(2026, 10, 11), first_id=world.policy_b.pk, last_id=world.policy_b.pk)
    kinds = set(LedgerDifference.objects.values_list("kind", flat=True))
    assert {"over_payment", "allocated", "over_due", "suspense"} <= kinds


# Incremental days: AS_OF is a Saturday; the world's run-daily of AS_OF was the first reconciliation (a full pass).
SUNDAY, MONDAY, TUESDAY, NEXT_SUNDAY = (AS_OF + timedelta(days=n) for n in (1, 2, 3, 8))


@pytest.fixture(name="week")
def week_fixture(world, monkeypatch):
    """Sunday's full pass done; policy_a booked on Monday, nothing booked for policy_b or policy_q since."""
    monkeypatch.setattr(reconciliation, "BOOKING_MARGIN", timedelta(0))  # the test's days pass in seconds
    assert SUNDAY.weekday() == 6
    run_step(reconciliation.reconcile_ledger, as_of=SUNDAY, progress=False)
    payment_record(actor=SYSTEM, policy_id=world.policy_a.pk, amount=PREMIUM * 3, method="cash", received_on=MONDAY,
                   natural_key="till:week", as_of=MONDAY)
    with connection.cursor() as cursor:  # a hand-made difference on each
        cursor.execute("UPDATE billing_suspenseaccount SET balance = balance + 1 WHERE policy_id = %s",
                       [world.policy_a.pk])
        cursor.execute("UPDATE billing_dueitem SET status = 'paid' WHERE policy_id = %s AND instalment = 1",
                       [world.policy_b.pk])
    return world


def found_on(day: date) -> set[tuple[str, str]]:
    return set(LedgerDifference.objects.filter(as_of=day).values_list("policy__number", "kind"))


def test_a_weekday_checks_the_policies_booked_for_since_the_last_reconciliation(week):
    assert reconciliation.touched_policy_ids(since_day=SUNDAY, since=JobRun.objects.get(
        step=reconciliation.STEP, as_of=SUNDAY).started_at) == [week.policy_a.pk]
    run_step(reconciliation.reconcile_ledger, as_of=MONDAY, progress=False)
    assert found_on(MONDAY) == {(week.policy_a.number, "suspense")}  # policy_b's waits for the full pass
    assert [d.policy_id for d in latest_ledger_differences()] == [week.policy_a.pk]

    run_step(reconciliation.reconcile_ledger, as_of=TUESDAY, progress=False)  # nothing booked on Tuesday: the
    assert found_on(TUESDAY) == {(week.policy_a.number, "suspense")}          # difference is checked again, kept

    run_step(reconciliation.reconcile_ledger, as_of=NEXT_SUNDAY, progress=False)  # the full pass
    assert found_on(NEXT_SUNDAY) == {(week.policy_a.number, "suspense"), (week.policy_b.number, "status")}


def test_a_repaired_difference_is_gone_the_next_weekday(week):
    run_step(reconciliation.reconcile_ledger, as_of=MONDAY, progress=False)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE billing_suspenseaccount SET balance = balance - 1 WHERE policy_id = %s",
                       [week.policy_a.pk])
    run_step(reconciliation.reconcile_ledger, as_of=TUESDAY, progress=False)
    assert found_on(TUESDAY) == set() and latest_ledger_differences() == []


def test_the_full_pass_day_is_a_setting(week, settings):
    settings.LIFECRM_RECONCILE_FULL_WEEKDAY = MONDAY.weekday()
    run_step(reconciliation.reconcile_ledger, as_of=MONDAY, progress=False)
    assert found_on(MONDAY) == {(week.policy_a.number, "suspense"), (week.policy_b.number, "status")}


def test_the_first_reconciliation_is_a_full_pass_whatever_the_day(world):
    JobRun.objects.filter(step=reconciliation.STEP).delete()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE billing_dueitem SET status = 'paid' WHERE policy_id = %s AND instalment = 1",
                       [world.policy_b.pk])
    run_step(reconciliation.reconcile_ledger, as_of=MONDAY, progress=False)
    assert found_on(MONDAY) == {(world.policy_b.number, "status")}


def test_a_rerun_of_the_day_rewrites_nothing(week):
    run = run_step(reconciliation.reconcile_ledger, as_of=MONDAY, progress=False)
    rows = list(LedgerDifference.objects.values_list("pk", "as_of", "kind", "object_id"))
    run_step(reconciliation.reconcile_ledger, as_of=MONDAY, progress=False)  # finished: a no-op
    assert list(LedgerDifference.objects.values_list("pk", "as_of", "kind", "object_id")) == rows

    run.chunks.update(done_at=None)  # killed before its checkpoint: the chunk runs again, its rows replaced once
    JobRun.objects.filter(pk=run.pk).update(status=JobRun.Status.RUNNING)
    run_step(reconciliation.reconcile_ledger, as_of=MONDAY, progress=False)
    assert sorted(r[1:] for r in LedgerDifference.objects.values_list("pk", "as_of", "kind", "object_id")) == \
        sorted(r[1:] for r in rows)


def test_a_chunks_queries_do_not_grow_with_its_policies(week):
    def queries(day: date) -> int:
        with CaptureQueriesContext(connection) as captured:
            run = run_step(reconciliation.reconcile_ledger, as_of=day, progress=False)
        assert run.chunk_count == 1
        return len(captured)

    one = queries(MONDAY)  # policy_a
    for policy, key in ((week.policy_b, "till:b"), (week.policy_q, "till:q")):
        payment_record(actor=SYSTEM, policy_id=policy.pk, amount=PREMIUM, method="cash", received_on=TUESDAY,
                       natural_key=key, as_of=TUESDAY)
    assert reconciliation.reconciled_policy_ids(TUESDAY) == sorted(
        [week.policy_a.pk, week.policy_b.pk, week.policy_q.pk])
    assert queries(TUESDAY) == one

"""Receipt numbers: consecutive per day, after any number already used, and never the same twice when two
clerks book at the same moment (real concurrent transactions on PostgreSQL)."""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections

from lifecrm.billing import services
from lifecrm.billing.models import Payment
from lifecrm.core.actors import SYSTEM
from tests.factories import make_customer, make_org, make_policy, make_staff

DAY = date(2026, 11, 25)


def _policies(count: int):
    org = make_org()
    agent = make_staff("agent", org.team_a)
    return [make_policy(owner=make_customer(branch=org.branch_a, agent=agent), agent=agent, branch=org.branch_a,
                        issue_date=date(2026, 8, 31), as_of=date(2026, 8, 31)) for _ in range(count)]


def _pay(policy, key: str, day: date = DAY) -> Payment:
    return services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("10"), method="cash",
                                   received_on=day, natural_key=key, as_of=DAY)


@pytest.mark.django_db
@pytest.mark.suspense_unchecked  # a history payment written with the ORM
def test_receipt_numbers_are_consecutive_per_booking_day_and_follow_numbers_already_used():
    """Numbered by the day the receipt is made (the business date), whatever day the money was received: a
    slip of the 24th booked on the 25th is a receipt of the 25th, and says it was received on the 24th."""
    first, second = _policies(2)
    Payment.objects.create(receipt_no="R202611250000041", natural_key="history-41", policy=first,
                           amount=Decimal("1"), currency="CNY", method="cash", received_on=DAY,
                           booked_at="2026-11-25T01:00:00Z")
    late = _pay(first, "slip-3", date(2026, 11, 24))
    numbers = [_pay(first, "slip-1").receipt_no, _pay(second, "slip-2").receipt_no, late.receipt_no,
               _pay(second, "slip-4").receipt_no]
    assert numbers == ["R202611250000043", "R202611250000044", "R202611250000042", "R202611250000045"]
    assert late.received_on == date(2026, 11, 24)
    booked_next_day = services.payment_record(actor=SYSTEM, policy_id=second.pk, amount=Decimal("10"), method="cash",
                                              received_on=DAY, natural_key="slip-5", as_of=date(2026, 11, 26))
    assert booked_next_day.receipt_no == "R202611260000001"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL "
                    "(SQLite serialises whole-database writes)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_get_distinct_receipt_numbers():
    policies = _policies(6)
    barrier, results, errors = threading.Barrier(len(policies)), [], []

    def book(policy, n):
        try:
            barrier.wait(timeout=10)
            results.append(_pay(policy, f"till-{n}").receipt_no)
        except Exception as exc:  # noqa: BLE001  reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(p, n)) for n, p in enumerate(policies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [f"R20261125{n:07d}" for n in range(1, len(policies) + 1)]


@pytest.mark.django_db
def test_each_source_of_bookings_numbers_its_own_series():
    """Staff bookings R, direct debits B (their returns too), automatic premium loans L: one day, three series."""
    first, second = _policies(2)
    cash = _pay(first, "slip-1")
    debit = services.payment_record(actor=SYSTEM, policy_id=second.pk, amount=Decimal("10"), method="auto_debit",
                                    received_on=DAY, natural_key="debit:E1-1", as_of=DAY)
    loan = services.payment_record(actor=SYSTEM, policy_id=second.pk, amount=Decimal("10"), method="apl",
                                   received_on=DAY, natural_key="apl:1", as_of=DAY)
    returned = services.payment_reverse(actor=SYSTEM, payment_id=debit.pk, reason="MD06", as_of=DAY)
    bounced = services.payment_reverse(actor=SYSTEM, payment_id=cash.pk, reason="counterfeit", as_of=DAY)
    assert [p.receipt_no for p in (cash, debit, loan, returned, bounced)] == [
        "R202611250000001", "B202611250000001", "L202611250000001", "B202611250000002", "R202611250000002"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL "
                    "(SQLite serialises whole-database writes)")
@pytest.mark.django_db(transaction=True)
def test_a_clerk_does_not_wait_for_a_bank_file_still_being_booked():
    """A bank file's transaction holds series B until it commits; a clerk's payment meanwhile gets its R
    number at once (lock_timeout makes a wait fail the test instead of hanging it)."""
    from django.db import transaction

    in_file, at_counter = _policies(2)
    booked, release, errors, clerk = threading.Event(), threading.Event(), [], []

    def bank_file():
        try:
            with transaction.atomic():
                services.payment_record(actor=SYSTEM, policy_id=in_file.pk, amount=Decimal("10"), method="auto_debit",
                                        received_on=DAY, natural_key="debit:E9-1", as_of=DAY)
                booked.set()
                release.wait(timeout=20)
        except Exception as exc:  # noqa: BLE001  reported below
            errors.append(exc)
        finally:
            booked.set()
            connections.close_all()

    thread = threading.Thread(target=bank_file)
    thread.start()
    try:
        assert booked.wait(timeout=20)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        clerk.append(_pay(at_counter, "till-1").receipt_no)
    finally:
        release.set()
        thread.join(timeout=30)
    assert errors == [] and clerk == ["R202611250000001"]
    assert Payment.objects.get(natural_key="debit:E9-1").receipt_no == "B202611250000001"

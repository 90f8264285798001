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
from tests.factories import make_customer, make_org, make_policy, make_staff

DAY = date(2026, 11, 25)


def _policies(count: int):
    org = make_org()
    agent = make_staff("agent", org.team_a)
    return [make_policy(owner=make_customer(branch=org.branch_a, agent=agent), agent=agent, branch=org.branch_a,
                        issue_date=date(2026, 8, 31), as_of=date(2026, 8, 31)) for _ in range(count)]


def _pay(policy, key: str, day: date = DAY) -> Payment:
    return services.payment_record(actor=None, policy_id=policy.pk, amount=Decimal("10"), method="cash",
                                   received_on=day, natural_key=key, as_of=DAY)


@pytest.mark.django_db
def test_receipt_numbers_are_consecutive_per_day_and_follow_numbers_already_used():
    first, second = _policies(2)
    Payment.objects.create(receipt_no="R202611250000041", natural_key="history-41", policy=first,
                           amount=Decimal("1"), currency="CNY", method="cash", received_on=DAY,
                           booked_at="2026-11-25T01:00:00Z")
    numbers = [_pay(first, "slip-1").receipt_no, _pay(second, "slip-2").receipt_no,
               _pay(first, "slip-3", date(2026, 11, 24)).receipt_no, _pay(second, "slip-4").receipt_no]
    assert numbers == ["R202611250000042", "R202611250000043", "R202611240000001", "R202611250000044"]


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

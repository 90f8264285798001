"""A check after every database test of billing: each policy's SuspenseAccount row is its ledger's balance
(payments less allocations), and no row is kept at zero. Tests that write payments behind the services'
back (a history row made with the ORM) opt out with the marker `suspense_unchecked`."""
from __future__ import annotations

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "suspense_unchecked: the test writes payments without the booking services")


@pytest.fixture(autouse=True)
def _suspense_accounts_match_the_ledger(request):
    if request.node.get_closest_marker("django_db") is None or request.node.get_closest_marker("suspense_unchecked"):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # torn down after this fixture: the test's rows are still there
    yield
    from django.db.models import Sum

    from lifecrm.billing.models import Allocation, Payment, SuspenseAccount
    from lifecrm.core.money import to_cents

    received = dict(Payment.objects.order_by().values_list("policy_id").annotate(s=Sum("amount")))
    applied = dict(Allocation.objects.order_by().values_list("payment__policy_id").annotate(s=Sum("amount")))
    ledger = {pk: balance for pk, total in received.items()
              if (balance := to_cents(total - (applied.get(pk) or 0))) != 0}
    assert dict(SuspenseAccount.objects.values_list("policy_id", "balance")) == ledger

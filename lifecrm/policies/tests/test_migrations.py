"""The policy loan table moved from servicing to policies with its rows (issue 17): an existing database migrates
forwards keeping every loan (its key, its request's number as reference, its figures), and the automatic premium
loans billing had already booked enter the same ledger (SQLite and PostgreSQL)."""
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from lifecrm.policies.models import PolicyLoan
from lifecrm.servicing import services
from lifecrm.servicing.tests.conftest import ACCOUNT, AS_OF, world  # noqa: F401  fixture
from lifecrm.servicing.tests.test_services import complete, create

BEFORE = [("policies", "0005_changed_day_indexes"), ("servicing", "0001_initial"),
          ("billing", "0022_changed_day_indexes")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets if targets else executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets).apps if targets else None


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


@pytest.mark.django_db(transaction=True)
def test_an_existing_database_migrates_forwards_keeping_the_loans(world):  # noqa: F811
    request = complete(world, create(world, kind="policy_loan", payload={"amount": "5000", **ACCOUNT}), AS_OF)
    request = services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
    PolicyLoan.objects.all().delete()  # the old schema cannot hold a loan without its request: made again below
    try:
        old = _migrate(BEFORE)
        assert "servicing_policyloan" in _tables() and "policies_policyloan" not in _tables()
        loan = old.get_model("servicing", "PolicyLoan").objects.create(
            policy_id=world.policy.pk, request_id=request.pk, principal=Decimal("5000.00"),
            rate_percent=Decimal("5.00"), taken_on=AS_OF)
        old.get_model("billing", "Payment").objects.create(
            receipt_no="L-TEST-1", natural_key=f"apl:{world.policy.pk}:2025-06-30", policy_id=world.policy.pk,
            amount=Decimal("361.50"), currency="CNY", method="apl", received_on=date(2025, 6, 30),
            booked_at=timezone.now())
    finally:
        _migrate(None)
    ContentType.objects.clear_cache()

    assert "policies_policyloan" in _tables() and "servicing_policyloan" not in _tables()
    assert ContentType.objects.get_for_model(PolicyLoan).app_label == "policies"
    moved = PolicyLoan.objects.get(pk=loan.pk)
    assert (moved.kind, moved.reference, moved.principal, moved.taken_on) == (
        "policy", request.number, Decimal("5000.00"), AS_OF)
    premium = PolicyLoan.objects.get(kind="apl")
    assert (premium.principal, premium.taken_on, premium.rate_percent) == (
        Decimal("361.50"), date(2025, 6, 30), Decimal("5.00"))

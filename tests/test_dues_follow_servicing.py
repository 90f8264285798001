"""Billing's dues follow servicing's contract changes (issue 17 §3), end to end across the two sibling apps: the
change is executed by servicing as a new policy version, billing's unpaid future premiums are regenerated through
policies' version listener; paid premiums are untouched."""
from datetime import date
from decimal import Decimal

import pytest

from lifecrm.billing import services as billing
from lifecrm.billing.models import DueItem
from lifecrm.core.actors import SYSTEM
from lifecrm.policies.models import Policy
from lifecrm.servicing import services
from lifecrm.servicing.tests.conftest import AS_OF, world  # noqa: F401  fixture
from lifecrm.servicing.tests.test_services import complete, create

pytestmark = pytest.mark.usefixtures("english")


def paid_to_as_of(policy, paid_instalments: int, paid_to: date) -> None:
    """The policy paid up to `paid_to` (its monthly premiums booked), and the premiums of the next 45 days raised."""
    Policy.objects.filter(pk=policy.pk).update(paid_instalments=paid_instalments, paid_to_date=paid_to)
    billing.due_items_raise(as_of=AS_OF, first_id=policy.pk, last_id=policy.pk)


def execute(world, kind, payload):  # noqa: F811
    request = complete(world, create(world, kind=kind, payload=payload), AS_OF)
    if request.needs_approval:
        request = services.request_approve(actor=world.staff["branch"], request=request, on=AS_OF, as_of=AS_OF)
    return services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)


def open_premiums(policy):
    return list(DueItem.objects.filter(policy=policy, kind="premium").order_by("due_date")
                .values_list("instalment", "due_date", "amount", "status"))


def test_a_sum_assured_decrease_lowers_the_unpaid_premiums_from_its_date(world):  # noqa: F811
    # issued 31 Mar 2022, monthly 120.50: paid to 30 Sep 2025 (instalment 42); 30 Sep and 31 Oct raised.
    paid_to_as_of(world.policy, 42, date(2025, 9, 30))
    assert open_premiums(world.policy) == [(42, date(2025, 9, 30), Decimal("120.50"), "open"),
                                           (43, date(2025, 10, 31), Decimal("120.50"), "open")]
    execute(world, "sum_assured_decrease", {"sum_assured": "250000"})
    assert open_premiums(world.policy) == [(42, date(2025, 9, 30), Decimal("60.25"), "open"),
                                           (43, date(2025, 10, 31), Decimal("60.25"), "open")]


def test_a_paid_premium_keeps_its_amount(world):  # noqa: F811
    paid_to_as_of(world.policy, 42, date(2025, 9, 30))
    billing.payment_record(actor=SYSTEM, policy_id=world.policy.pk, amount=Decimal("120.50"), method="cash",
                           received_on=AS_OF, natural_key="counter-1", as_of=AS_OF)
    execute(world, "sum_assured_decrease", {"sum_assured": "250000"})
    assert open_premiums(world.policy) == [(42, date(2025, 9, 30), Decimal("120.50"), "paid"),
                                           (43, date(2025, 10, 31), Decimal("60.25"), "open")]


def test_monthly_to_annual_bridges_to_the_anniversary_then_pays_yearly(world):  # noqa: F811
    paid_to_as_of(world.policy, 42, date(2025, 9, 30))
    execute(world, "premium_mode_change", {"premium_mode": "annual"})
    version = world.policy.versions.get(effective_to__isnull=True)
    # the monthly premiums of 30 Sep 2025 … 28 Feb 2026 (6) bridge to the anniversary of 31 Mar 2026, then yearly
    assert open_premiums(world.policy) == [(3, date(2025, 9, 30), Decimal("723.00"), "open")]
    policy = Policy.objects.get(pk=world.policy.pk)
    assert (policy.paid_instalments, policy.paid_to_date) == (3, date(2025, 9, 30))
    billing.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("723.00"), method="cash",
                           received_on=AS_OF, natural_key="counter-bridge", as_of=AS_OF)
    policy.refresh_from_db()
    assert (policy.paid_instalments, policy.paid_to_date) == (4, date(2026, 3, 31))
    billing.due_items_raise(as_of=date(2026, 3, 1), first_id=policy.pk, last_id=policy.pk)
    assert open_premiums(policy)[-1] == (4, date(2026, 3, 31), version.modal_premium, "open")


def test_annual_to_monthly_continues_from_the_paid_to_date(world):  # noqa: F811
    execute(world, "premium_mode_change", {"premium_mode": "annual"})
    DueItem.objects.filter(policy=world.policy).delete()  # the factory's policy never paid: paid to 31 Mar 2026
    Policy.objects.filter(pk=world.policy.pk).update(paid_instalments=4, paid_to_date=date(2026, 3, 31))
    later = date(2026, 3, 20)
    billing.due_items_raise(as_of=later, first_id=world.policy.pk, last_id=world.policy.pk)
    request = complete(world, create(world, kind="premium_mode_change", payload={"premium_mode": "monthly"},
                                     on=later), later)
    services.request_execute(actor=world.staff["counter"], request=request, as_of=later)
    monthly = world.policy.versions.get(effective_to__isnull=True).modal_premium
    assert open_premiums(world.policy) == [(48, date(2026, 3, 31), monthly, "open"),
                                           (49, date(2026, 4, 30), monthly, "open")]


def test_a_mode_change_waits_for_the_arrears(world):  # noqa: F811
    paid_to_as_of(world.policy, 41, date(2025, 8, 31))  # 31 Aug unpaid on 26 Sep
    with pytest.raises(services.ServicingRefused, match="premium due 2025-08-31 is not paid"):
        execute(world, "premium_mode_change", {"premium_mode": "annual"})
    assert world.policy.versions.get(effective_to__isnull=True).premium_mode == "monthly"

"""What each tier (and stage) is entitled to (issue 15 §5): one selector billing, the service desk, servicing and
claims read; the defaults head office starts from; a stage's own row; one fallback for a customer not yet placed."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lifecrm.core.actors import SYSTEM
from lifecrm.parties.models import Entitlement
from lifecrm.parties.selectors import NoEntitlement, customer_entitlements, customers_entitlements
from lifecrm.parties.services import Segment, segments_record
from tests.factories import make_customer, make_org

pytestmark = pytest.mark.django_db
DAY = date(2026, 6, 1)


@pytest.fixture
def customers():
    org = make_org()
    return [make_customer(branch=org.branch_a) for _ in range(3)]


def test_the_defaults_per_tier(customers):
    diamond, gold, unplaced = customers
    segments_record(actor=SYSTEM, as_of=DAY, segments={diamond.pk: Segment("diamond", "mature"),
                                                        gold.pk: Segment("gold", "growing")})
    found = customers_entitlements(customer_ids=[c.pk for c in customers], as_of=DAY)
    assert [(e.tier, e.stage, e.reminder_ladder, e.routing_priority, e.sla_multiplier, e.dedicated_manager)
            for e in (found[diamond.pk], found[gold.pk], found[unplaced.pk])] == [
        ("diamond", "mature", "vip", 1, Decimal("0.50"), True), ("gold", "growing", "vip", 2, Decimal("0.75"), False),
        ("standard", None, "standard", 4, Decimal("1.00"), False)]
    assert "health_check" in found[diamond.pk].gifts and "policy_loan_fee" in found[diamond.pk].fee_waivers
    assert customer_entitlements(customer_id=diamond.pk, as_of=date(2026, 5, 31)).tier == "standard"  # not yet


def test_a_stages_own_row_overrides_its_tiers(customers):
    at_risk, mature, _ = customers
    Entitlement.objects.create(tier="gold", stage="at_risk", reminder_ladder="vip", routing_priority=1,
                               sla_multiplier=Decimal("0.50"), gifts=["retention_gift"])
    segments_record(actor=SYSTEM, as_of=DAY, segments={at_risk.pk: Segment("gold", "at_risk"),
                                                        mature.pk: Segment("gold", "mature")})
    assert customer_entitlements(customer_id=at_risk.pk, as_of=DAY).gifts == ("retention_gift",)
    assert customer_entitlements(customer_id=mature.pk, as_of=DAY).routing_priority == 2


def test_many_customers_in_two_queries(customers, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert len(customers_entitlements(customer_ids=[c.pk for c in customers], as_of=DAY)) == 3


def test_without_a_standard_row_nobody_can_fall_back(customers):
    Entitlement.objects.filter(tier="standard").delete()
    with pytest.raises(NoEntitlement, match="standard tier"):
        customer_entitlements(customer_id=customers[0].pk, as_of=DAY)


def test_the_table_is_read_once_per_process_and_again_after_a_change(customers, django_assert_num_queries):
    """The entitlements are cached as reference data: a second read costs only the segments' query, and an edit
    (the admin saves the row) raises the reference version, so the next read sees it."""
    unplaced = customers[2]
    assert customer_entitlements(customer_id=unplaced.pk, as_of=DAY).routing_priority == 4
    with django_assert_num_queries(1):  # the customer's segment; the table comes from the cache
        customer_entitlements(customer_id=unplaced.pk, as_of=DAY)
    row = Entitlement.objects.get(tier="standard", stage="")
    row.routing_priority = 5
    row.save()
    assert customer_entitlements(customer_id=unplaced.pk, as_of=DAY).routing_priority == 5

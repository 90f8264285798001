"""A customer's tier and life-cycle stage (issue 15 §4): every change kept, the tier on any day a query, the
migration between two days one query; written by the value engine (a system actor) or head office only."""
from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent
from lifecrm.org.access import AccessDenied
from lifecrm.org.rules import DataScope, ScopeKind
from lifecrm.parties.models import CustomerSegment
from lifecrm.parties.selectors import customer_segment, customer_tier, customer_tiers, segment_migration
from lifecrm.parties.services import Segment, segments_record
from tests.factories import make_customer, make_org, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
D1, D2, D3 = date(2026, 1, 4), date(2026, 4, 5), date(2026, 7, 5)


@pytest.fixture
def org():
    return make_org()


@pytest.fixture
def customers(org):
    return [make_customer(branch=org.branch_a) for _ in range(2)] + [make_customer(branch=org.branch_b)]


def spans(customer):
    return list(CustomerSegment.objects.filter(customer=customer).order_by("valid_from")
                .values_list("tier", "stage", "valid_from", "valid_to", "confirmed_on"))


def test_a_change_closes_the_current_row_and_opens_a_new_one_the_same_confirms_it(customers):
    a, b, _ = customers
    assert segments_record(actor=SYSTEM, as_of=D1, segments={a.pk: Segment("gold", "new", {"tier": ["PVFP 12,000"]}),
                                                              b.pk: Segment("standard", "new")}) == 2
    assert segments_record(actor=SYSTEM, as_of=D2, segments={a.pk: Segment("diamond", "growing"),
                                                              b.pk: Segment("standard", "new", {"why": 1})}) == 1
    assert spans(a) == [("gold", "new", D1, D2, D1), ("diamond", "growing", D2, None, D2)]
    assert spans(b) == [("standard", "new", D1, None, D2)]
    assert CustomerSegment.objects.get(customer=b).reasons == {"why": 1}
    changes = AuditEvent.objects.filter(object_type="parties.segment").order_by("pk")
    assert [(e.object_id, e.before, e.after["tier"]) for e in changes] == [
        (str(a.pk), None, "gold"), (str(b.pk), None, "standard"), (str(a.pk), {"tier": "gold", "stage": "new"}, "diamond")]


def test_the_tier_on_any_day(customers):
    a, b, c = customers
    segments_record(actor=SYSTEM, as_of=D1, segments={a.pk: Segment("gold", "new")})
    segments_record(actor=SYSTEM, as_of=D2, segments={a.pk: Segment("silver", "at_risk")})
    assert [customer_tier(customer_id=a.pk, as_of=d) for d in (date(2026, 1, 3), D1, date(2026, 4, 4), D2, D3)] == [
        "standard", "gold", "gold", "silver", "silver"]
    assert customer_segment(customer_id=b.pk, as_of=D3) is None
    assert customer_segment(customer_id=a.pk, as_of=D3).stage == "at_risk"


def test_the_tiers_of_many_customers_are_one_query(customers, django_assert_num_queries):
    a, b, c = customers
    segments_record(actor=SYSTEM, as_of=D1, segments={a.pk: Segment("gold", "new"), c.pk: Segment("diamond", "mature")})
    with django_assert_num_queries(1):
        assert customer_tiers(customer_ids=[a.pk, b.pk, c.pk], as_of=D2) == {a.pk: "gold", b.pk: "standard",
                                                                            c.pk: "diamond"}


def test_a_second_change_on_the_same_day_replaces_that_days_row(customers):
    a = customers[0]
    segments_record(actor=SYSTEM, as_of=D1, segments={a.pk: Segment("gold", "new")})
    segments_record(actor=SYSTEM, as_of=D2, segments={a.pk: Segment("silver", "new")})
    segments_record(actor=SYSTEM, as_of=D2, segments={a.pk: Segment("diamond", "new")})
    assert spans(a) == [("gold", "new", D1, D2, D1), ("diamond", "new", D2, None, D2)]


def test_history_is_never_rewritten_and_nothing_is_half_written(customers):
    a, b, _ = customers
    segments_record(actor=SYSTEM, as_of=D2, segments={a.pk: Segment("gold", "new")})
    with pytest.raises(ValidationError, match="would rewrite its history"):
        segments_record(actor=SYSTEM, as_of=D1, segments={b.pk: Segment("gold", "new"), a.pk: Segment("silver", "new")})
    assert not CustomerSegment.objects.filter(customer=b).exists()
    with pytest.raises(ValidationError, match="platinum / new is not a known tier and stage"):
        segments_record(actor=SYSTEM, as_of=D3, segments={a.pk: Segment("platinum", "new")})
    assert spans(a) == [("gold", "new", D2, None, D2)]


@pytest.mark.parametrize(("role", "unit", "allowed"), [("hq", "hq", True), ("branch", "branch_a", False),
                                                       ("agent", "team_a", False), ("hq", "branch_a", False)])
def test_only_head_office_sets_a_segment_by_hand(org, customers, role, unit, allowed):
    staff = make_staff(role, getattr(org, unit))
    call = lambda: segments_record(actor=staff.user, as_of=D1, segments={customers[0].pk: Segment("gold", "new")})  # noqa: E731
    if allowed:
        assert call() == 1
    else:
        with pytest.raises(AccessDenied):
            call()
        assert not CustomerSegment.objects.exists()


def test_the_migration_between_two_days_by_tier_and_by_stage_in_the_scope(org, customers):
    a, b, c = customers
    segments_record(actor=SYSTEM, as_of=D1, segments={a.pk: Segment("gold", "new"), b.pk: Segment("gold", "new"),
                                                       c.pk: Segment("silver", "new")})
    segments_record(actor=SYSTEM, as_of=D2, segments={a.pk: Segment("diamond", "growing"),
                                                       c.pk: Segment("gold", "at_risk")})
    everyone = DataScope(ScopeKind.ALL, role="hq")
    assert segment_migration(scope=everyone, start=D1, end=D3) == {("gold", "diamond"): 1, ("gold", "gold"): 1,
                                                                   ("silver", "gold"): 1}
    assert segment_migration(scope=everyone, start=date(2025, 12, 31), end=D3, field="stage") == {
        (None, "growing"): 1, (None, "new"): 1, (None, "at_risk"): 1}
    branch_a = DataScope(ScopeKind.SUBTREE, org.branch_a.path, role="branch")
    assert segment_migration(scope=branch_a, start=D1, end=D3) == {("gold", "diamond"): 1, ("gold", "gold"): 1}


def test_the_customers_data_export_holds_their_segments_and_reasons(customers):
    from lifecrm.core.privacy import personal_data

    a = customers[0]
    segments_record(actor=SYSTEM, as_of=D1, segments={a.pk: Segment("gold", "new", {"tier": ["PVFP 12,000"]})})
    assert personal_data(a.pk)["segments"] == [{"tier": "gold", "stage": "new", "valid_from": D1, "valid_to": None,
                                                "reasons": {"tier": ["PVFP 12,000"]}}]

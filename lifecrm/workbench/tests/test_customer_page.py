"""The customer 360 page: profile, consents, relationships, policies, timeline; fixed query count."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lifecrm.core.registries import timeline_sources
from lifecrm.parties.services import consent_record, relationship_add
from lifecrm.policies import services as policy_services
from tests.factories import make_customer, make_policy

pytestmark = pytest.mark.django_db


def test_profile_shows_the_customer_with_a_masked_id(login, world):
    customer = world.customer_a
    body = login(world.staff["callcentre"]).get(reverse("workbench:customer", args=[customer.pk])).content.decode()
    assert "王小明" in body and "Wang Xiaoming" in body
    assert customer.number in body
    assert customer.mobile_phone in body
    assert customer.id_number not in body
    assert "*" * 14 + customer.id_number_last4 in body
    assert world.policy_a.number in body
    assert world.staff["agent"].name in body
    assert "Beijing branch" in body


def test_age_is_counted_on_the_business_date(login, world, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 5, 16))
    body = login(world.staff["hq"]).get(reverse("workbench:customer", args=[world.customer_a.pk])).content.decode()
    assert "45 years old" in body  # born 1980-05-17: still 45 the day before the birthday
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 5, 17))
    body = login(world.staff["hq"]).get(reverse("workbench:customer", args=[world.customer_a.pk])).content.decode()
    assert "46 years old" in body


def test_policies_list_roles_status_amounts_and_next_due(login, world):
    body = login(world.staff["hq"]).get(reverse("workbench:customer", args=[world.customer_a.pk])).content.decode()
    assert "policy owner" in body and "premium payer" in body
    assert "in force" in body and "text-bg-success" in body
    assert "CNY 500,000.00" in body
    assert "120.50" in body and "monthly" in body
    assert "2022-04-30" in body  # next due: the second monthly premium after issue on 2022-03-31


def test_consents_show_the_one_in_force(login, world):
    at = datetime(2024, 1, 1, tzinfo=UTC)
    consent_record(actor=None, customer=world.customer_a, purpose="marketing", granted=True, at=at, source="sms")
    consent_record(actor=None, customer=world.customer_a, purpose="marketing", granted=False,
                   at=datetime(2025, 1, 1, tzinfo=UTC), source="phone")
    body = login(world.staff["hq"]).get(reverse("workbench:customer", args=[world.customer_a.pk])).content.decode()
    assert "marketing" in body
    assert "withdrawn" in body
    assert "2025-01-01" in body


def test_relationships_link_only_to_customers_in_scope(login, world):
    relationship_add(actor=None, from_customer=world.customer_b, to_customer=world.customer_a, kind="spouse")
    relationship_add(actor=None, from_customer=world.customer_a, to_customer=world.customer_a_other, kind="parent")
    body = login(world.staff["branch"]).get(reverse("workbench:customer", args=[world.customer_a.pk])).content.decode()
    assert world.customer_b.name in body  # shown by name…
    assert reverse("workbench:customer", args=[world.customer_b.pk]) not in body  # …without a link
    assert "outside your scope" in body
    assert reverse("workbench:customer", args=[world.customer_a_other.pk]) in body
    assert "child" in body and "spouse" in body


def test_timeline_lists_policy_events_up_to_the_business_date(login, world):
    body = login(world.staff["hq"]).get(reverse("workbench:customer", args=[world.customer_a.pk])).content.decode()
    assert f"{world.policy_a.number}: in force" in body
    assert f"{world.policy_a.number}: proposal" in body


def _customer_with_policies(world, count: int):
    customer = make_customer(branch=world.org.branch_a, agent=world.staff["agent"], name="陈多保",
                             name_romanised="Chen Duobao")
    spouse = make_customer(branch=world.org.branch_a, agent=world.staff["agent"], name="林配偶",
                           name_romanised="Lin Peiou", sex="F")
    relationship_add(actor=None, from_customer=customer, to_customer=spouse, kind="spouse")
    consent_record(actor=None, customer=customer, purpose="marketing", granted=True,
                   at=datetime(2024, 1, 1, tzinfo=UTC), source="sms")
    for n in range(count):
        # owner of some, insured (not owner) of others, each with a second contract version
        if n % 2:
            policy = make_policy(owner=spouse, insured=customer, agent=world.staff["agent"], branch=world.org.branch_a)
        else:
            policy = make_policy(owner=customer, agent=world.staff["agent"], branch=world.org.branch_a)
        policy_services.policy_new_version(actor=None, policy_id=policy.pk, effective_from=date(2024, 1, 1),
                                           as_of=date(2026, 11, 25), changes={"sum_assured": Decimal("600000")},
                                           reason="sum assured increase")
    return customer


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["hq", "branch", "agent"])
def test_the_page_runs_a_fixed_number_of_queries_whatever_the_policy_count(login, world, role):
    client = login(world.staff[role])
    one = _customer_with_policies(world, 1)
    six = _customer_with_policies(world, 6)
    count_one = _queries(client, reverse("workbench:customer", args=[one.pk]))
    count_six = _queries(client, reverse("workbench:customer", args=[six.pk]))
    body = client.get(reverse("workbench:customer", args=[six.pk])).content.decode()
    assert body.count('class="font-monospace fw-semibold" href="/policies/') == 6
    assert count_one == count_six, (count_one, count_six)
    # 10 of the page's own (session, user, staff ×2, customer, relationships ×2, policies ×2, consents),
    # plus at most two for each app's timeline source.
    assert count_six <= 10 + 2 * len(timeline_sources())

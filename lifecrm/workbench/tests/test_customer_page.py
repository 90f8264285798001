"""The customer 360 page: profile, consents, relationships, policies, timeline; fixed query count."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lifecrm.core.actors import SYSTEM
from lifecrm.core.registries import timeline_sources
from lifecrm.parties.services import Segment, consent_record, relationship_add, segments_record
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
    consent_record(actor=SYSTEM, customer=world.customer_a, purpose="marketing", granted=True, at=at, source="sms")
    consent_record(actor=SYSTEM, customer=world.customer_a, purpose="marketing", granted=False,
                   at=datetime(2025, 1, 1, tzinfo=UTC), source="phone")
    body = login(world.staff["hq"]).get(reverse("workbench:customer", args=[world.customer_a.pk])).content.decode()
    assert "marketing" in body
    assert "withdrawn" in body
    assert "2025-01-01" in body


def test_relationships_link_only_to_customers_in_scope(login, world):
    relationship_add(actor=SYSTEM, from_customer=world.customer_b, to_customer=world.customer_a, kind="spouse")
    relationship_add(actor=SYSTEM, from_customer=world.customer_a, to_customer=world.customer_a_other, kind="parent")
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
    relationship_add(actor=SYSTEM, from_customer=customer, to_customer=spouse, kind="spouse")
    consent_record(actor=SYSTEM, customer=customer, purpose="marketing", granted=True,
                   at=datetime(2024, 1, 1, tzinfo=UTC), source="sms")
    for n in range(count):
        # owner of some, insured (not owner) of others, each with a second contract version
        if n % 2:
            policy = make_policy(owner=spouse, insured=customer, agent=world.staff["agent"], branch=world.org.branch_a)
        else:
            policy = make_policy(owner=customer, agent=world.staff["agent"], branch=world.org.branch_a)
        policy_services.policy_new_version(actor=SYSTEM, policy_id=policy.pk, effective_from=date(2024, 1, 1),
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
    _queries(client, reverse("workbench:customer", args=[one.pk]))  # the process caches its reference data once
    count_one = _queries(client, reverse("workbench:customer", args=[one.pk]))
    count_six = _queries(client, reverse("workbench:customer", args=[six.pk]))
    body = client.get(reverse("workbench:customer", args=[six.pk])).content.decode()
    assert body.count('class="font-monospace fw-semibold" href="/policies/') == 6
    assert count_one == count_six, (count_one, count_six)
    # 11 of the page's own (session, user, staff once for the scope and the header, customer, consents,
    # relationships, policies and their current versions, the service tier's segment (its entitlements are cached
    # reference data), the value card's model and value (the policy ids are the list's own; so are the
    # call-logging panel's)), plus one per timeline source (none has a full page here, so none is counted).
    assert count_six == 11 + len(timeline_sources())


def test_a_customer_with_more_policies_than_a_page_costs_four_queries_more(login, world):
    """Past a page of policies the list counts them, the policy journal (two events each) counts its events, and
    the call-logging panel and the value card read the ids the list no longer holds: four queries, whatever the
    number of policies."""
    client = login(world.staff["agent"])
    many = _customer_with_policy_count(world, 25)
    more = _customer_with_policy_count(world, 40)
    _queries(client, reverse("workbench:customer", args=[many.pk]))  # the process caches its reference data once
    counts = [_queries(client, reverse("workbench:customer", args=[c.pk])) for c in (many, more)]
    assert counts == [11 + len(timeline_sources()) + 4] * 2, counts


# --- long lists: a first page with the true total, the rest a link away --------------------------------------

def _employer_with_employees(world, count: int):
    employer = make_customer(branch=world.org.branch_a, agent=world.staff["agent"], name="某某有限公司",
                             name_romanised="Moumou Co")
    for n in range(count):
        employee = make_customer(branch=world.org.branch_a if n % 2 else world.org.branch_b, name=f"员工{n:04d}")
        relationship_add(actor=SYSTEM, from_customer=employer, to_customer=employee, kind="employer")
    return employer


def _customer_with_policy_count(world, count: int):
    customer = make_customer(branch=world.org.branch_a, agent=world.staff["agent"], name="陈多保")
    for _ in range(count):
        make_policy(owner=customer, agent=world.staff["agent"], branch=world.org.branch_a)
    return customer


def _htmx(client, url):
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_an_employer_shows_its_first_20_employees_with_the_true_total(login, world):
    employer = _employer_with_employees(world, 45)
    relationship_add(actor=SYSTEM, from_customer=employer, to_customer=world.customer_a, kind="referrer")
    client = login(world.staff["hq"])
    body = client.get(reverse("workbench:customer", args=[employer.pk])).content.decode()
    assert "45 employees · 1 referral — showing 20" in body
    assert "showing 1–20 of 46" in body
    assert body.count("員工") + body.count("员工") == 20  # names 员工0000… in number order
    assert "员工0000" in body and "员工0019" in body and "员工0020" not in body
    rest = reverse("workbench:customer-relationships", args=[employer.pk])
    assert f'href="{rest}?page=2"' in body and f'hx-get="{rest}?page=2"' in body

    second = _htmx(client, f"{rest}?page=2")
    assert "<html" not in second and 'id="customer-relationships"' in second
    assert "员工0020" in second and "员工0039" in second and "员工0019" not in second
    assert "showing 21–40 of 46" in second and f"{rest}?page=1" in second and f"{rest}?page=3" in second
    last = _htmx(client, f"{rest}?page=3")
    assert "员工0044" in last and world.customer_a.name in last and "showing 41–46 of 46" in last
    assert 'rel="next"' not in last
    # without JavaScript the link opens the list on a page of its own; a stale page number shows the last page
    own_page = client.get(f"{rest}?page=99").content.decode()
    assert "<html" in own_page and "showing 41–46 of 46" in own_page and employer.name in own_page


def test_the_list_pages_follow_the_scope(login, world):
    employer = _employer_with_employees(world, 3)
    client = login(world.staff["branch"])  # branch A: the employees of branch B are shown, not linked
    body = _htmx(client, reverse("workbench:customer-relationships", args=[employer.pk]))
    assert body.count("outside your scope") == 2
    for name in ("customer-relationships", "customer-policies", "customer-timeline"):
        response = client.get(reverse(f"workbench:{name}", args=[world.customer_b.pk]))
        assert response.status_code == 404  # a customer outside the scope has no lists either


def test_policies_and_timeline_show_a_first_page_and_the_true_total(login, world):
    customer = _customer_with_policy_count(world, 21)  # two journal events each: 42 on the timeline
    client = login(world.staff["hq"])
    body = client.get(reverse("workbench:customer", args=[customer.pk])).content.decode()
    assert body.count('class="font-monospace fw-semibold" href="/policies/') == 20
    assert "showing 1–20 of 21" in body and "showing 1–20 of 42" in body
    assert '<span class="badge rounded-pill text-bg-secondary">21</span>' in body
    policies = _htmx(client, reverse("workbench:customer-policies", args=[customer.pk]) + "?page=2")
    assert policies.count('class="font-monospace fw-semibold" href="/policies/') == 1
    timeline = _htmx(client, reverse("workbench:customer-timeline", args=[customer.pk]) + "?page=3")
    assert timeline.count('class="wb-timeline-item') == 2 and "showing 41–42 of 42" in timeline


@pytest.mark.parametrize("role", ["hq", "branch", "agent"])
def test_long_lists_keep_the_page_to_a_fixed_number_of_queries(login, world, role):
    """A customer with more relationships, policies and events than a page holds costs one count per list more
    than a short one; beyond that, the length does not matter."""
    client = login(world.staff[role])
    small = _customer_with_policy_count(world, 21)
    big = _customer_with_policy_count(world, 30)
    for customer, employees in ((small, 21), (big, 40)):
        for n in range(employees):
            relationship_add(actor=SYSTEM, from_customer=customer, kind="employer",
                             to_customer=make_customer(branch=world.org.branch_a, name=f"员工{n}"))
    page = reverse("workbench:customer", args=[small.pk])
    _queries(client, page)  # the process caches its reference data once
    assert _queries(client, page) == _queries(client, reverse("workbench:customer", args=[big.pk]))
    # the page's own 11 (see above), one count for each long list, the ids of the policies for the call-logging
    # panel and the value card, plus at most two per timeline source
    assert _queries(client, page) <= 11 + 2 + 2 + 2 * len(timeline_sources())
    for name in ("customer-relationships", "customer-policies", "customer-timeline"):
        urls = [reverse(f"workbench:{name}", args=[c.pk]) + "?page=2" for c in (small, big)]
        assert _queries(client, urls[0]) == _queries(client, urls[1]), name


@pytest.mark.parametrize(("language", "counts", "shown"), [
    ("zh-hant", "25 位員工 — 顯示 20 位", "第 1–20 筆，共 25 筆"),
    ("zh-hans", "25 位员工 — 显示 20 位", "第 1–20 条，共 25 条"),
])
def test_the_list_totals_are_translated(login, world, settings, language, counts, shown):
    settings.LANGUAGE_CODE = language
    employer = _employer_with_employees(world, 25)
    body = login(world.staff["hq"]).get(reverse("workbench:customer", args=[employer.pk])).content.decode()
    assert counts in body and shown in body


def test_the_service_tier_card_shows_the_tier_stage_reasons_and_what_they_entitle_to(login, world, settings):
    settings.LANGUAGE_CODE = "en"
    client = login(world.staff["agent"])
    customer = _customer_with_policies(world, 1)
    body = client.get(reverse("workbench:customer", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not placed by the value engine yet: served as standard." in body
    segments_record(actor=SYSTEM, as_of=date(2026, 1, 4), segments={customer.pk: Segment(
        "gold", "growing", {"tier": ["Customer value CNY 48,200: gold from CNY 30,000"],
                            "stage": ["Second policy bought within two years of the first"]})})
    body = client.get(reverse("workbench:customer", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    card = body[body.index('id="service-title"'):body.index('id="consents-title"')]
    for shown in ("gold", "growing", "2026-01-04", "priority 2", "service-level targets × 0.75",
                  "Customer value CNY 48,200: gold from CNY 30,000", "Second policy bought within two years"):
        assert shown in card, shown

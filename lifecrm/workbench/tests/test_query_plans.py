"""Every query of the customer 360, the policy page, the timeline and the search is answered through an index.

PostgreSQL only: each page's queries are captured and EXPLAINed with sequential scans disabled, and a test
fails where a plan still scans a table of the book (customers, policies, relationships, events, premiums,
payments) from end to end. A book of a few rows then judges a query as the full book would.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lifecrm.billing import services as billing_services
from lifecrm.billing.tests.test_views_world import build_world
from lifecrm.core.actors import SYSTEM
from lifecrm.parties.models import Customer
from lifecrm.parties.services import customer_create, relationship_add
from tests.factories import make_customer
from tests.query_plans import fresh_book_tables, reads, unindexed_scans

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="query plans are PostgreSQL's; SQLite answers the same queries without EXPLAIN's detail"),
]
ROLES = ("hq", "branch", "agent")


@pytest.fixture
def book(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"
    fresh_book_tables(connection)
    world = build_world()  # three policies in grace with reminders, the agent's phone task, due items
    owner = world.policy_a.owner
    spouse = make_customer(branch=world.org.team_a, agent=world.staff["agent"], name="林配偶", sex="F")
    employer = customer_create(actor=SYSTEM, number="C900000001", name="某某有限公司", id_type="uscc",
                               id_number="91110105MA01ABCD26", branch=world.org.branch_b, kind="organisation",
                               created_at=datetime(2021, 1, 1, tzinfo=UTC))
    relationship_add(actor=SYSTEM, from_customer=spouse, to_customer=owner, kind="spouse")
    relationship_add(actor=SYSTEM, from_customer=employer, to_customer=owner, kind="employer")
    relationship_add(actor=SYSTEM, from_customer=owner, to_customer=world.policy_q.owner, kind="referrer")
    billing_services.payment_record(
        actor=SYSTEM, policy_id=world.policy_a.pk, amount=Decimal("120.50"), method="cash",
        received_on=date(2026, 10, 9), natural_key="counter:plans:1", as_of=date(2026, 10, 10),
    )
    return world, owner


def _pages(world, owner) -> list[str]:
    policy = world.policy_a
    return [
        reverse("workbench:customer", args=[owner.pk]),
        reverse("workbench:customer-relationships", args=[owner.pk]) + "?page=2",
        reverse("workbench:customer-policies", args=[owner.pk]) + "?page=2",
        reverse("workbench:customer-timeline", args=[owner.pk]) + "?page=2",
        reverse("workbench:policy", args=[policy.pk]),
        reverse("workbench:policy-events", args=[policy.pk]) + "?page=2",
        reverse("billing:policy", args=[policy.pk]),
        reverse("workbench:search") + "?q=王",
        reverse("workbench:search") + "?q=wang",
        reverse("workbench:search") + f"?q={owner.mobile_phone}",
        reverse("workbench:search") + f"?q={owner.id_number}",
        reverse("workbench:search") + f"?q={policy.number}",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_query_of_the_360_policy_timeline_and_search_pages_uses_an_index(client, book, role):
    world, owner = book
    client.force_login(world.staff[role].user)
    unindexed = {}
    for url in _pages(world, owner):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        for sql in reads(ctx.captured_queries):
            found = unindexed_scans(connection, sql)
            if found:
                unindexed.setdefault(url, []).append((found, sql[:400]))
    assert not unindexed, unindexed


def test_the_check_finds_a_scan_of_every_customer():
    """The check itself: a query no index answers is reported, one through the primary key is not."""
    with CaptureQueriesContext(connection) as ctx:
        list(Customer.objects.filter(occupation="teacher").order_by().values("pk"))
        list(Customer.objects.filter(pk=1).values("pk"))
        list(Customer.objects.order_by("number").values("pk")[:5])
    by_occupation, by_key, in_number_order = reads(ctx.captured_queries)
    assert unindexed_scans(connection, by_occupation) == ["Seq Scan on parties_customer"]
    assert unindexed_scans(connection, by_key) == []
    assert unindexed_scans(connection, in_number_order) == [
        "Index Scan on parties_customer using customer_number_uniq without an index condition"]

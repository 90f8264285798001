"""No N+1: every endpoint answers in a fixed number of queries, whatever the page size or detail size."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecrm.core.actors import SYSTEM
from lifecrm.parties.services import consent_record, relationship_add
from lifecrm.policies.services import BeneficiaryInput, policy_new_version, policy_transition
from tests.factories import make_customer, make_policy, make_staff

pytestmark = pytest.mark.django_db

# session + user + staff record (the scope), then COUNT and the page.
LIST_QUERIES = 5
# … plus an EXISTS for each stage tried before the last (an exact match, then a name, then an address).
SEARCH_QUERIES = LIST_QUERIES + 2
# session + user + staff, the customer, consents, related customers (visible ids + rows), policy ids.
CUSTOMER_DETAIL_QUERIES = 3 + 5
# session + user + staff, the policy with product/agent/branch/roles, current version, coverages with
# their products, events with their actors, beneficiaries.
POLICY_DETAIL_QUERIES = 3 + 6


def book(world, size: int):
    """`size` customers in branch A, each owning a policy, served by three different agents."""
    agents = [make_staff("agent", world.org.team_a) for _ in range(3)]
    for n in range(size):
        customer = make_customer(branch=world.org.branch_a, agent=agents[n % 3], name="赵敏",
                                 name_romanised="Zhao Min")
        make_policy(owner=customer, agent=agents[n % 3], branch=world.org.team_a, issue=n % 2 == 0)


def count_queries(client, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("/api/v1/customers/?page_size=100", LIST_QUERIES),
        ("/api/v1/customers/?page_size=100&q=zhao1234", SEARCH_QUERIES),  # ID-like, no match: name search
        ("/api/v1/customers/?page_size=100&q=赵", LIST_QUERIES),  # one Han character: a name, nothing else
        ("/api/v1/policies/?page_size=100", LIST_QUERIES),
        ("/api/v1/policies/?page_size=100&status=in_force&issue_date_after=2020-01-01", LIST_QUERIES),
    ],
)
@pytest.mark.parametrize("size", [5, 30])
def test_list_query_count_is_fixed(world, django_assert_max_num_queries, url, limit, size):
    book(world, size)
    client = world.client("branch_a")
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) >= (size // 2 if "status" in url else size)


def test_list_query_count_is_the_same_for_5_and_30_rows(world):
    book(world, 5)
    client = world.client("branch_a")
    small = {url: count_queries(client, url)[0] for url in ("/api/v1/customers/", "/api/v1/policies/")}
    book(world, 25)
    for url, queries in small.items():
        count, body = count_queries(client, url)
        assert body["count"] >= 30
        assert count == queries, url


def test_customer_detail_query_count_is_fixed(related_world, django_assert_max_num_queries):
    world = related_world
    client = world.client("hq")
    customer = world.customers["c_a"]
    with django_assert_max_num_queries(CUSTOMER_DETAIL_QUERIES):
        small = client.get(f"/api/v1/customers/{customer.pk}/").json()
    for n in range(6):  # more of everything the detail shows
        other = make_customer(branch=world.org.branch_b, name="陈静", name_romanised="Chen Jing")
        relationship_add(actor=SYSTEM, from_customer=customer, to_customer=other, kind="referrer")
        make_policy(owner=other, insured=customer, agent=None, branch=world.org.branch_b)
        consent_record(actor=SYSTEM, customer=customer, purpose="third_party", granted=n % 2 == 0,
                       at=datetime(2024, 1, 1 + n, tzinfo=UTC), source="sms")
    with django_assert_max_num_queries(CUSTOMER_DETAIL_QUERIES):
        large = client.get(f"/api/v1/customers/{customer.pk}/").json()
    assert len(large["relationships"]) == len(small["relationships"]) + 6
    assert len(large["policy_ids"]) == len(small["policy_ids"]) + 6
    assert len(large["consents"]) == 3


def test_policy_detail_query_count_is_fixed(world, django_assert_max_num_queries):
    policy = world.policies["p_a"]
    client = world.client("hq")
    with django_assert_max_num_queries(POLICY_DETAIL_QUERIES):
        client.get(f"/api/v1/policies/{policy.pk}/")
    for year in range(2023, 2029):
        policy_new_version(
            actor=world.staff["hq"].user, policy_id=policy.pk, effective_from=date(year, 3, 31),
            as_of=date(year, 3, 31), changes={"sum_assured": Decimal(500000 + year)}, reason="increase",
            beneficiaries=[BeneficiaryInput(f"受益人{i}", "child", Fraction(1, 4)) for i in range(4)],
        )
    policy_transition(actor=world.staff["branch_a"].user, policy_id=policy.pk, to_status="grace",
                      effective_date=date(2028, 5, 1), as_of=date(2028, 5, 1))
    with django_assert_max_num_queries(POLICY_DETAIL_QUERIES):
        body = client.get(f"/api/v1/policies/{policy.pk}/").json()
    assert len(body["events"]) == 2 + 6 + 1
    assert len(body["current_version"]["beneficiaries"]) == 4

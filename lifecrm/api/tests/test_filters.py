"""List filters of /api/v1/customers/ and /api/v1/policies/, and their 400 answers for bad values."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lifecrm.core.actors import SYSTEM
from lifecrm.parties.services import customer_create
from lifecrm.policies.services import policy_transition
from tests.factories import make_policy, make_product

pytestmark = pytest.mark.django_db


def listed(client, url: str) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def bad(client, url: str) -> dict:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid"
    return body["fields"]


@pytest.fixture
def hq(world):
    return world.client("hq")


def c(world, *names) -> set[int]:
    return {world.customers[n].pk for n in names}


def p(world, *names) -> set[int]:
    return {world.policies[n].pk for n in names}


def test_customer_branch_filter_takes_the_subtree(world, hq):
    assert listed(hq, f"/api/v1/customers/?branch={world.org.branch_a.pk}") == c(world, "c_a", "c_ta")
    assert listed(hq, f"/api/v1/customers/?branch={world.org.team_a.pk}") == c(world, "c_ta")
    assert listed(hq, f"/api/v1/customers/?branch={world.org.hq.pk}") == c(world, "c_a", "c_ta", "c_b", "c_tb")
    assert listed(hq, "/api/v1/customers/?branch=987654") == set()  # like any other unknown id
    assert listed(hq, "/api/v1/customers/?number=&q=") == c(world, "c_a", "c_ta", "c_b", "c_tb")  # blank text


def test_customer_filters_combine_with_the_scope(world):
    """A branch manager asking for another branch gets nothing, not an error and not that branch."""
    client = world.client("branch_a")
    assert listed(client, f"/api/v1/customers/?branch={world.org.branch_b.pk}") == set()


def test_customer_agent_kind_number_filters(world, hq):
    assert listed(hq, f"/api/v1/customers/?agent={world.staff['agent_1'].pk}") == c(world, "c_a", "c_tb")
    assert listed(hq, "/api/v1/customers/?kind=person") == c(world, "c_a", "c_ta", "c_b", "c_tb")
    employer = customer_create(
        actor=SYSTEM, number="C900000001", name="北京某科技有限公司", id_type="uscc", id_number="91110105MA01ABCD26",
        branch=world.org.branch_a, kind="organisation", created_at=datetime(2021, 1, 1, tzinfo=UTC),
    )
    assert listed(hq, "/api/v1/customers/?kind=organisation") == {employer.pk}
    number = world.customers["c_b"].number
    assert listed(hq, f"/api/v1/customers/?number={number.lower()}") == c(world, "c_b")
    assert listed(hq, f"/api/v1/customers/?number={number}&branch={world.org.branch_a.pk}") == set()


def test_customer_q_matches_phone_id_and_names(world, hq):
    c_a = world.customers["c_a"]
    spaced_phone = f"{c_a.mobile_phone[:3]} {c_a.mobile_phone[3:7]} {c_a.mobile_phone[7:]}"
    assert listed(hq, f"/api/v1/customers/?q={spaced_phone}") == c(world, "c_a")
    assert listed(hq, f"/api/v1/customers/?q={c_a.id_number.lower()}") == c(world, "c_a")
    assert listed(hq, "/api/v1/customers/?q=王") == c(world, "c_a")
    assert listed(hq, "/api/v1/customers/?q=wang fa") == c(world, "c_a")
    assert listed(hq, "/api/v1/customers/?q=13000000000") == set()
    assert listed(hq, "/api/v1/customers/?q=x") == set()  # one Latin letter is too short to search
    assert listed(hq, "/api/v1/customers/?q=%20") == c(world, "c_a", "c_ta", "c_b", "c_tb")  # blank: no filter


def test_customer_pagination(world, hq):
    first = hq.get("/api/v1/customers/?page_size=3").json()
    assert first["count"] == 4 and len(first["results"]) == 3 and first["next"]
    second = hq.get("/api/v1/customers/?page_size=3&page=2").json()
    assert len(second["results"]) == 1 and second["next"] is None
    numbers = [row["number"] for row in first["results"] + second["results"]]
    assert numbers == sorted(numbers)
    response = hq.get("/api/v1/customers/?page=9")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("agent=abc", "agent", "invalid"),
        ("agent=0", "agent", "min_value"),
        ("agent=1.5", "agent", "invalid"),
        ("branch=abc", "branch", "invalid"),
        ("branch=", "branch", "blank"),
        ("kind=", "kind", "blank"),
        ("kind=robot", "kind", "invalid_choice"),
        ("bogus=1", "bogus", "unknown_parameter"),
        ("q=zhang%00", "q", "null_characters_not_allowed"),
    ],
)
def test_customer_bad_filter_values_are_400_with_field_and_reason(world, hq, query, field, code):
    fields = bad(hq, f"/api/v1/customers/?{query}")
    assert list(fields) == [field]
    assert fields[field][0]["code"] == code
    assert fields[field][0]["message"]


def test_policy_filters(world, hq):
    other_product = make_product("WL01", name="终身寿险", name_en="Whole life", kind="whole_life", terms="0")
    late = make_policy(owner=world.customers["c_a"], agent=None, branch=world.org.team_b, product=other_product,
                       issue_date=date(2024, 7, 1))
    policy_transition(actor=SYSTEM, policy_id=world.policies["p_b"].pk, to_status="grace",
                      effective_date=date(2024, 5, 1), as_of=date(2024, 5, 1))
    everything = p(world, "p_a", "p_ta", "p_b", "p_tb") | {late.pk}
    assert listed(hq, "/api/v1/policies/") == everything
    assert listed(hq, "/api/v1/policies/?status=grace") == p(world, "p_b")
    assert listed(hq, "/api/v1/policies/?status=in_force") == everything - p(world, "p_b")
    assert listed(hq, f"/api/v1/policies/?product={other_product.pk}") == {late.pk}
    assert listed(hq, f"/api/v1/policies/?owner={world.customers['c_a'].pk}") == p(world, "p_a") | {late.pk}
    assert listed(hq, f"/api/v1/policies/?agent={world.staff['agent_1'].pk}") == p(world, "p_a", "p_tb")
    assert listed(hq, f"/api/v1/policies/?branch={world.org.branch_b.pk}") == p(world, "p_b", "p_tb") | {late.pk}
    assert listed(hq, f"/api/v1/policies/?number={late.number}") == {late.pk}
    assert listed(hq, "/api/v1/policies/?issue_date_after=2024-07-01") == {late.pk}
    assert listed(hq, "/api/v1/policies/?issue_date_before=2024-06-30") == everything - {late.pk}
    assert listed(hq, "/api/v1/policies/?issue_date_after=2022-03-31&issue_date_before=2022-03-31") == (
        everything - {late.pk}
    )
    assert listed(hq, "/api/v1/policies/?issue_date_after=2025-01-01&issue_date_before=2024-01-01") == set()
    assert listed(hq, f"/api/v1/policies/?status=in_force&owner={world.customers['c_a'].pk}"
                      "&issue_date_before=2023-01-01") == p(world, "p_a")


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("status=alive", "status", "invalid_choice"),
        ("product=x", "product", "invalid"),
        ("owner=-3", "owner", "min_value"),
        ("agent=99999999999999999999", "agent", "max_value"),
        ("issue_date_after=2024-13-01", "issue_date", "invalid"),
        ("issue_date_before=yesterday", "issue_date", "invalid"),
        ("issue_date=2024-01-01", "issue_date", "unknown_parameter"),
        ("issue_date_before=", "issue_date_before", "blank"),
        ("page_size=0", "page_size", "invalid"),
        ("page_size=201", "page_size", "max_value"),
        ("page=x", "page", "invalid"),
        ("page=last", "page", "invalid"),
    ],
)
def test_policy_bad_filter_values_are_400_with_field_and_reason(world, hq, query, field, code):
    fields = bad(hq, f"/api/v1/policies/?{query}")
    assert list(fields) == [field]
    assert fields[field][0]["code"] == code


def test_error_messages_follow_the_request_language(world, hq):
    english = bad(hq, "/api/v1/customers/?kind=robot")["kind"][0]["message"]
    hans = hq.get("/api/v1/customers/?kind=robot", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["fields"]["kind"][0]
    assert english.startswith("Select a valid choice")
    assert hans["code"] == "invalid_choice" and hans["message"] != english

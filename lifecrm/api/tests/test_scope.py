"""Each role sees exactly the customers and policies its data scope allows: in lists, details and searches."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from lifecrm.api.tests.conftest import ALL, LOGINS, VISIBLE_CUSTOMERS, VISIBLE_POLICIES
from lifecrm.core.actors import SYSTEM
from lifecrm.org.services import staff_create

pytestmark = pytest.mark.django_db

ALL_POLICIES = {"p" + name[1:] for name in ALL}


def ids(world, kind: str, names) -> set[int]:
    table = world.customers if kind == "customers" else world.policies
    return {table[name].pk for name in names}


def listed(client, url: str) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("login", LOGINS)
def test_customer_list_is_exactly_the_scope(world, login):
    assert listed(world.client(login), "/api/v1/customers/") == ids(world, "customers", VISIBLE_CUSTOMERS[login])


@pytest.mark.parametrize("login", LOGINS)
def test_policy_list_is_exactly_the_scope(world, login):
    assert listed(world.client(login), "/api/v1/policies/") == ids(world, "policies", VISIBLE_POLICIES[login])


@pytest.mark.parametrize("login", LOGINS)
def test_customer_detail_inside_scope_200_outside_404(world, login):
    client = world.client(login)
    for name, customer in world.customers.items():
        response = client.get(f"/api/v1/customers/{customer.pk}/")
        expected = 200 if name in VISIBLE_CUSTOMERS[login] else 404
        assert response.status_code == expected, (login, name)
        if expected == 404:
            assert response.json()["code"] == "not_found"
            assert customer.number not in response.content.decode()


@pytest.mark.parametrize("login", LOGINS)
def test_policy_detail_inside_scope_200_outside_404(world, login):
    client = world.client(login)
    for name, policy in world.policies.items():
        response = client.get(f"/api/v1/policies/{policy.pk}/")
        assert response.status_code == (200 if name in VISIBLE_POLICIES[login] else 404), (login, name)


@pytest.mark.parametrize("login", LOGINS)
def test_search_finds_only_in_scope_customers(world, login):
    """By exact phone, by ID number, by customer number: found iff in scope."""
    client = world.client(login)
    for name, customer in world.customers.items():
        expected = {customer.pk} if name in VISIBLE_CUSTOMERS[login] else set()
        assert listed(client, f"/api/v1/customers/?q={customer.mobile_phone}") == expected, (login, name)
        assert listed(client, f"/api/v1/customers/?q={customer.id_number}") == expected, (login, name)
        assert listed(client, f"/api/v1/customers/?number={customer.number}") == expected, (login, name)


@pytest.mark.parametrize("login", LOGINS)
def test_name_search_stays_in_scope(world, login):
    client = world.client(login)
    for name, customer in world.customers.items():
        found = listed(client, f"/api/v1/customers/?q={customer.name}")
        assert (customer.pk in found) == (name in VISIBLE_CUSTOMERS[login])
        assert found <= ids(world, "customers", VISIBLE_CUSTOMERS[login])


@pytest.mark.parametrize("login", LOGINS)
def test_policy_number_search_stays_in_scope(world, login):
    client = world.client(login)
    for name, policy in world.policies.items():
        expected = {policy.pk} if name in VISIBLE_POLICIES[login] else set()
        assert listed(client, f"/api/v1/policies/?number={policy.number.lower()}") == expected


@pytest.mark.parametrize("login", LOGINS)
def test_customer_policy_ids_are_the_in_scope_ones(world, login):
    client = world.client(login)
    for name in VISIBLE_CUSTOMERS[login]:
        body = client.get(f"/api/v1/customers/{world.customers[name].pk}/").json()
        policy = "p" + name[1:]
        assert body["policy_ids"] == ([world.policies[policy].pk] if policy in VISIBLE_POLICIES[login] else [])


def test_agent_sees_own_book_across_units_not_the_unit(world):
    """agent_1 works in team A but serves c_tb in team B; c_ta in team A is not in the book."""
    client = world.client("agent_1")
    assert client.get(f"/api/v1/customers/{world.customers['c_tb'].pk}/").status_code == 200
    assert client.get(f"/api/v1/customers/{world.customers['c_ta'].pk}/").status_code == 404


def test_user_without_staff_record_is_refused_everywhere(world, django_user_model):
    user = django_user_model.objects.create_user(username="nostaff", password="x-irrelevant-9")
    client = APIClient()
    client.force_login(user)
    urls = ["/api/v1/", "/api/v1/me/", "/api/v1/customers/", "/api/v1/policies/",
            f"/api/v1/customers/{world.customers['c_a'].pk}/", f"/api/v1/policies/{world.policies['p_a'].pk}/",
            "/api/v1/customers/?q=13900000000"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["code"] == "no_staff_record", url


def test_inactive_staff_record_is_refused(world):
    staff = world.staff["hq"]
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    assert world.client("hq").get("/api/v1/customers/").status_code == 403


def test_anonymous_is_refused_with_401(world):
    client = APIClient()
    for url in ["/api/v1/", "/api/v1/me/", "/api/v1/customers/", "/api/v1/policies/",
                f"/api/v1/customers/{world.customers['c_a'].pk}/"]:
        response = client.get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] == "not_authenticated"


def test_token_auth_sees_the_same_scope(world):
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(user=world.staff["branch_a"].user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert listed(client, "/api/v1/customers/") == ids(world, "customers", VISIBLE_CUSTOMERS["branch_a"])
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/customers/").status_code == 401


def test_api_token_command_gives_a_working_token(world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("api-token", "claims_b", stdout=out)
    key = out.getvalue().split()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert listed(client, "/api/v1/policies/") == ids(world, "policies", VISIBLE_POLICIES["claims_b"])


@pytest.mark.parametrize("login", LOGINS)
def test_me_reports_staff_and_scope(world, login):
    body = world.client(login).get("/api/v1/me/").json()
    role, unit = LOGINS[login]
    assert body["username"] == login
    assert body["staff"]["id"] == world.staff[login].pk
    assert body["staff"]["role"] == role
    assert body["staff"]["org_unit"]["id"] == getattr(world.org, unit).pk
    expected_kind = "own_book" if role == "agent" else "all" if unit == "hq" else "subtree"
    assert body["scope"]["kind"] == expected_kind
    assert body["scope"]["may_reveal_id"] == (role in {"hq", "branch", "counter", "claims"})


def test_staff_moved_to_another_unit_sees_the_new_scope(world):
    """The scope is read per request, never cached across requests."""
    staff = world.staff["branch_a"]
    client = world.client("branch_a")
    assert listed(client, "/api/v1/customers/") == ids(world, "customers", {"c_a", "c_ta"})
    staff.org_unit = world.org.branch_b
    staff.save(update_fields=["org_unit"])
    assert listed(client, "/api/v1/customers/") == ids(world, "customers", {"c_b", "c_tb"})


def test_a_second_staff_login_in_the_same_unit_sees_the_same(world):
    user = get_user_model().objects.create_user(username="counter2", password="x-irrelevant-9")
    staff_create(actor=SYSTEM, employee_no="E999999", name="柜员", role="counter", org_unit=world.org.team_a, user=user)
    client = APIClient()
    client.force_login(user)
    assert listed(client, "/api/v1/customers/") == ids(world, "customers", VISIBLE_CUSTOMERS["counter_team_a"])

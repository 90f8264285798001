"""Every page is scoped: per role, a page shows only what that role's data scope allows."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

# role -> (customer_a, customer_a_other, customer_b) visible?
# HQ sees everything; branch A's manager, counter, call centre and claims see branch A's subtree;
# the agent sees only their own book.
VISIBILITY = {
    "hq": (True, True, True),
    "branch": (True, True, False),
    "counter": (True, True, False),
    "callcentre": (True, True, False),
    "claims": (True, True, False),
    "agent": (True, False, False),
    "branch_b": (False, False, True),
}
CUSTOMERS = ("customer_a", "customer_a_other", "customer_b")
POLICIES = ("policy_a", "policy_a_other", "policy_b")


def test_anonymous_users_go_to_login(client, world):
    for url in ("/", "/search/?q=wang", reverse("workbench:customer", args=[world.customer_a.pk]),
                reverse("workbench:policy", args=[world.policy_a.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_a_user_without_staff_record_sees_nothing(client, world):
    user = get_user_model().objects.create_user(username="nobody", password="x-long-password-1")
    client.force_login(user)
    for url in ("/", "/search/?q=wang", reverse("workbench:customer", args=[world.customer_a.pk]),
                reverse("workbench:policy", args=[world.policy_a.pk])):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "no active staff record" in response.content.decode()
        assert world.customer_a.name not in response.content.decode()
        assert 'action="/logout/"' in response.content.decode()  # a way out for the wrong login


@pytest.mark.parametrize("role", sorted(VISIBILITY))
def test_customer_pages_follow_the_scope(login, world, role):
    client = login(world.staff[role])
    for attr, visible in zip(CUSTOMERS, VISIBILITY[role], strict=True):
        customer = getattr(world, attr)
        response = client.get(reverse("workbench:customer", args=[customer.pk]))
        assert response.status_code == (200 if visible else 404), (role, attr)
        if not visible:
            assert customer.name not in response.content.decode()


@pytest.mark.parametrize("role", sorted(VISIBILITY))
def test_policy_pages_follow_the_scope(login, world, role):
    client = login(world.staff[role])
    for attr, visible in zip(POLICIES, VISIBILITY[role], strict=True):
        policy = getattr(world, attr)
        response = client.get(reverse("workbench:policy", args=[policy.pk]))
        assert response.status_code == (200 if visible else 404), (role, attr)


@pytest.mark.parametrize("role", sorted(VISIBILITY))
def test_search_never_returns_out_of_scope_customers(login, world, role):
    client = login(world.staff[role])
    # "wang" matches all three customers by their romanised names.
    response = client.get("/search/", {"q": "wang"})
    visible = [getattr(world, a) for a, v in zip(CUSTOMERS, VISIBILITY[role], strict=True) if v]
    hidden = [getattr(world, a) for a, v in zip(CUSTOMERS, VISIBILITY[role], strict=True) if not v]
    if len(visible) == 1:
        assert response.status_code == 302
        assert response["Location"] == reverse("workbench:customer", args=[visible[0].pk])
        return
    body = response.content.decode()
    for customer in visible:
        assert customer.number in body
    for customer in hidden:
        assert customer.number not in body


@pytest.mark.parametrize("role", sorted(VISIBILITY))
def test_search_by_policy_number_is_scoped(login, world, role):
    client = login(world.staff[role])
    for attr, visible in zip(POLICIES, VISIBILITY[role], strict=True):
        policy = getattr(world, attr)
        body = client.get("/search/", {"q": policy.number}).content.decode()
        assert (reverse("workbench:policy", args=[policy.pk]) in body) is visible, (role, attr)


def test_search_by_phone_of_an_out_of_scope_customer_finds_nothing(login, world):
    client = login(world.staff["callcentre"])
    response = client.get("/search/", {"q": world.customer_b.mobile_phone})
    assert response.status_code == 200
    assert "No customer or policy matches" in response.content.decode()
    assert world.customer_b.name not in response.content.decode()


def test_the_agent_sees_only_their_own_policies_on_a_shared_customer(login, world):
    """A policy of the agent's customer sold by another agent stays hidden from the agent."""
    from tests.factories import make_policy

    foreign = make_policy(owner=world.customer_a, agent=world.staff["agent_other"], branch=world.org.branch_a)
    body = login(world.staff["agent"]).get(reverse("workbench:customer", args=[world.customer_a.pk])).content.decode()
    assert world.policy_a.number in body
    assert foreign.number not in body

"""The search box: phone, name, ID number, policy number; one hit opens the customer, several list them."""
from __future__ import annotations

import pytest
from django.urls import reverse

from lifecrm.core.masking import mask_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_cc(login, world):
    return login(world.staff["hq"])


def test_phone_with_one_hit_opens_the_customer(client_cc, world):
    response = client_cc.get("/search/", {"q": "138 0013 8000"})
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:customer", args=[world.customer_a.pk])


def test_id_number_with_one_hit_opens_the_customer(client_cc, world):
    response = client_cc.get("/search/", {"q": world.customer_b.id_number})
    assert response["Location"] == reverse("workbench:customer", args=[world.customer_b.pk])


def test_chinese_name_prefix_lists_several_with_masked_values(client_cc, world):
    response = client_cc.get("/search/", {"q": "王"})
    body = response.content.decode()
    assert response.status_code == 200
    for customer in (world.customer_a, world.customer_a_other, world.customer_b):
        assert customer.number in body
        assert mask_phone(customer.mobile_phone) in body
        assert customer.mobile_phone not in body
        assert customer.id_number not in body
        assert customer.id_number_last4 in body
    assert "Shanghai branch" in body  # the branch, in English on an English page
    assert world.staff["agent"].name in body  # agent


def test_romanised_name_is_found_case_and_space_insensitively(client_cc, world):
    response = client_cc.get("/search/", {"q": "WANG xiao"})
    assert response["Location"] == reverse("workbench:customer", args=[world.customer_a.pk])


def test_policy_number_shows_the_policy_with_owner_and_insured(client_cc, world):
    response = client_cc.get("/search/", {"q": world.policy_b.number.lower()})
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("workbench:policy", args=[world.policy_b.pk]) in body
    assert reverse("workbench:customer", args=[world.customer_b.pk]) in body
    assert "policy owner · insured" in body.lower()


def test_no_hit_says_so_kindly(client_cc):
    response = client_cc.get("/search/", {"q": "nobody-here"})
    assert response.status_code == 200
    assert "No customer or policy matches" in response.content.decode()


@pytest.mark.parametrize("query, message", [
    ("", "Type a phone number, a name, an ID number or a policy number."),
    ("   ", "Type a phone number, a name, an ID number or a policy number."),
    ("王", None),  # one Han character is a surname: a valid search (tested above)
    ("w", "Type at least 2 characters to search."),
    ("x" * 101, "A search is at most 100 characters long."),
])
def test_empty_or_too_short_queries_get_a_clear_message(client_cc, query, message):
    response = client_cc.get("/search/", {"q": query})
    if message is None:
        return
    assert response.status_code == 200
    assert message in response.content.decode()

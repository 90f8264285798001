"""The search box: phone, name, ID number, policy number; one hit opens the customer, several list them."""
from __future__ import annotations

import html
import re
from urllib.parse import unquote_plus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lifecrm.core.masking import mask_phone
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.parties.selectors import visible_customer_ids
from tests.factories import make_customer

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


# --- as a call-centre agent types (issue 13, section 5) ------------------------------------------

def _queries(client, url: str, params: dict) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    return len(ctx.captured_queries), response


@pytest.fixture
def many_wangs(world):
    """30 more customers named 王… in branch A: 33 with the world's three."""
    return [make_customer(branch=world.org.branch_a, name=f"王{n:02d}", name_romanised=f"Wang {chr(97 + n % 26)}")
            for n in range(30)]


def test_a_list_states_the_true_number_of_matches_and_pages_through_them(client_cc, many_wangs):
    first = client_cc.get("/search/", {"q": "王"}).content.decode()
    assert "33 customers match “王”" in first
    assert "1–25 of 33" in first and "Page 1 of 2" in first
    assert first.count('<a href="/customers/') == 25
    assert 'href="?q=%E7%8E%8B&amp;page=2"' in first and "page=0" not in first

    second = client_cc.get("/search/", {"q": "王", "page": 2}).content.decode()
    assert "33 customers match “王”" in second and "26–33 of 33" in second and "Page 2 of 2" in second
    assert second.count('<a href="/customers/') == 8
    assert 'href="?q=%E7%8E%8B&amp;page=1"' in second and "page=3" not in second
    shown = {c.number for c in many_wangs if c.number in first + second}
    assert shown == {c.number for c in many_wangs}


def test_a_page_beyond_the_last_shows_the_last(client_cc, many_wangs):
    body = client_cc.get("/search/", {"q": "王", "page": 40}).content.decode()
    assert "26–33 of 33" in body


@pytest.mark.parametrize("page", ["0", "-1", "two", "1.5"])
def test_a_page_that_is_no_whole_number_from_1_says_so(client_cc, many_wangs, page):
    response = client_cc.get("/search/", {"q": "王", "page": page})
    assert response.status_code == 200
    assert "A page number is a whole number from 1." in response.content.decode()


def test_the_list_runs_a_fixed_number_of_queries_whatever_the_number_of_matches(client_cc, world):
    few, response = _queries(client_cc, "/search/", {"q": "王"})
    assert response.status_code == 200 and "3 customers match" in response.content.decode()
    for n in range(40):
        make_customer(branch=world.org.branch_a, name=f"王{n:02d}", name_romanised="Wang Ming")
    many, response = _queries(client_cc, "/search/", {"q": "王"})
    assert "43 customers match" in response.content.decode()
    later, response = _queries(client_cc, "/search/", {"q": "王", "page": 2})
    assert "26–43 of 43" in response.content.decode()
    # session, user, staff (once: the scope, whose record the page's header reuses); no policy-number lookup (no
    # policy number is in Chinese); the page, and its count when the page is full or not the first
    assert (few, many, later) == (4, 5, 5)


@pytest.mark.parametrize(("query", "who"), [
    ("王美麗", "customer_b"),  # stored in Simplified: 王美丽
    ("+86 138 0013 8000", "customer_a"),
    ("+86-139-0013-9000", "customer_b"),
])
def test_either_script_and_any_phone_form_open_the_customer(client_cc, world, query, who):
    response = client_cc.get("/search/", {"q": query})
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:customer", args=[getattr(world, who).pk])


def test_a_customer_number_opens_the_customer(client_cc, world):
    response = client_cc.get("/search/", {"q": world.customer_a_other.number.lower()})
    assert response["Location"] == reverse("workbench:customer", args=[world.customer_a_other.pk])


EXAMPLE_LINK = re.compile(r'<a href="/search/\?q=([^"]+)"><code>([^<]+)</code></a>')


@pytest.mark.parametrize("role", ["hq", "branch", "callcentre", "agent", "branch_b"])
def test_the_home_page_examples_are_real_values_of_the_users_own_book(login, world, role):
    staff = world.staff[role]
    client = login(staff)
    _, response = _queries(client, "/", {})
    body = response.content.decode()
    examples = EXAMPLE_LINK.findall(body)
    assert len(examples) == 5, body  # phone, surname, romanised name, customer number, policy number
    scope = data_scope_for_user(staff.user)
    for quoted, shown in examples:
        assert unquote_plus(quoted) == html.unescape(shown)
        answer = client.get("/search/", {"q": html.unescape(shown)})
        if answer.status_code == 302:  # one customer: opened
            customer_id = int(answer["Location"].strip("/").split("/")[-1])
            assert customer_id in visible_customer_ids(scope=scope, customer_ids=[customer_id])
        else:
            page = answer.content.decode()
            assert "No customer or policy matches" not in page, shown
            assert "/customers/" in page or "/policies/" in page
    # the home page's queries (its examples and each role's work) are counted, per role, in test_home_work.py


def test_an_agents_examples_come_from_their_own_book(login, world):
    agent = world.staff["agent"]
    body = login(agent).get("/").content.decode()
    assert world.customer_a.number in body or world.customer_a.mobile_phone[:3] in body
    for other in (world.customer_a_other, world.customer_b):
        assert other.number not in body
    assert world.policy_a.number in body
    assert world.policy_a_other.number not in body and world.policy_b.number not in body


def test_no_examples_when_the_scope_holds_no_customer(login, world):
    from tests.factories import make_staff

    lonely = make_staff("agent", world.org.team_b)
    body = login(lonely).get("/").content.decode()
    assert 'id="search-examples"' not in body and "P0000000012" not in body

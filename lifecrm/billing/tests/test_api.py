"""API v1 of renewal collection: /due-items/ and /payments/ scoped through the policy, filters, counter payments
(201, 400 per field, 409, 403), fixed query counts, and the POST fuzzed against its schema."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient

from lifecrm.billing.models import Allocation, DueItem, Payment
from lifecrm.billing.services import payment_record
from lifecrm.billing.tests.test_views_world import (  # noqa: F401  (the *_fixture names are fixtures)
    AS_OF,
    PREMIUM,
    build_world,
    business_date_fixture,
    outbox_fixture,
    world_fixture,
)
from lifecrm.core.actors import SYSTEM
from lifecrm.policies.models import Policy
from tests.api_schema import wsgi_connection_fixture, wsgi_schema  # noqa: F401  (the *_fixture is a fixture)
from tests.factories import make_customer, make_policy

pytestmark = pytest.mark.django_db
DUE, PAY = "/api/v1/due-items/", "/api/v1/payments/"


def api(world, who) -> APIClient:
    client = APIClient()
    client.force_login(world.staff[who].user)
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["policy"]["id"] for row in response.json()["results"]}


VISIBLE = {
    "hq": {"policy_a", "policy_q", "policy_b"},
    "branch": {"policy_a", "policy_q"},
    "counter": {"policy_a"},
    "callcentre": {"policy_a", "policy_q"},
    "claims": {"policy_a", "policy_q"},
    "agent": {"policy_a"},
    "branch_b": {"policy_b"},
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_due_items_and_payments_follow_the_scope(world, who):
    for name in ("policy_a", "policy_q", "policy_b"):
        payment_record(actor=SYSTEM, policy_id=getattr(world, name).pk, amount=Decimal("10.00"), method="cash",
                       received_on=AS_OF, natural_key=f"counter:X:{name}", as_of=AS_OF)
    expected = {getattr(world, name).pk for name in VISIBLE[who]}
    client = api(world, who)
    assert ids(client.get(DUE)) == expected
    assert ids(client.get(PAY)) == expected
    hidden = Payment.objects.exclude(policy_id__in=expected).first()
    if hidden is not None:
        assert client.get(f"{PAY}{hidden.pk}/").status_code == 404
        item = DueItem.objects.filter(policy_id=hidden.policy_id).first()
        assert client.get(f"{DUE}{item.pk}/").status_code == 404


def test_due_item_filters(world):
    client = api(world, "hq")
    a = world.policy_a.pk
    assert ids(client.get(DUE, {"policy": a})) == {a}
    rows = client.get(DUE, {"policy": a, "status": "open", "due_date_after": "2026-10-01"}).json()["results"]
    assert [(r["due_date"], r["instalment"], r["outstanding"], r["kind"]) for r in rows] == [
        ("2026-10-31", 2, "120.50", "premium")]
    assert client.get(DUE, {"status": "paid"}).json()["count"] == 0
    for query, field in (({"status": "late"}, "status"), ({"due_date_after": "soon"}, "due_date"),
                         ({"policy": "x"}, "policy"), ({"nope": "1"}, "nope")):
        response = client.get(DUE, query)
        assert response.status_code == 400 and field in response.json()["fields"], query


def test_payment_detail_shows_allocations_and_reversal(world):
    from lifecrm.billing.services import payment_reverse

    payment = payment_record(actor=SYSTEM, policy_id=world.policy_a.pk, amount=Decimal("200.00"), method="cheque",
                             received_on=AS_OF, natural_key="counter:T:CHQ1", as_of=AS_OF)
    payment_reverse(actor=SYSTEM, payment_id=payment.pk, reason="cheque bounced", as_of=AS_OF)
    body = api(world, "branch").get(f"{PAY}{payment.pk}/").json()
    assert (body["receipt_no"], body["method"], body["reversed"], body["reference"]) == (
        payment.receipt_no, "cheque", True, "counter:T:CHQ1")
    assert [(a["due_date"], a["amount"]) for a in body["allocations"]] == [("2026-09-30", "120.50"),
                                                                            ("2026-10-31", "79.50")]
    listed = api(world, "branch").get(PAY, {"policy": world.policy_a.pk, "method": "cheque"}).json()["results"]
    assert [(p["amount"], p["reversed"], p["reverses"]) for p in listed] == [
        ("-200.00", False, payment.pk), ("200.00", True, None)]


# -- POST /payments/ ----------------------------------------------------------------------------------------

def body(world, **overrides) -> dict:
    return {"policy": world.policy_a.pk, "amount": "120.50", "method": "cash", "received_on": AS_OF.isoformat(),
            "reference": "API-1"} | overrides


def written() -> tuple:
    return (Payment.objects.count(), Allocation.objects.count(),
            list(Policy.objects.order_by("pk").values_list("status", "paid_instalments")))


def test_a_counter_payment_is_booked_and_puts_the_policy_back_in_force(world):
    response = api(world, "counter").post(PAY, body(world, reference="api-1"), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    payment = Payment.objects.get()
    assert response["Location"] == f"{PAY}{payment.pk}/"
    assert (data["policy_status"], data["suspense"], data["reference"], data["amount"]) == (
        "in_force", "0.00", f"counter:{world.org.branch_a.code}:API-1", "120.50")
    assert [(a["due_date"], a["amount"]) for a in data["allocations"]] == [("2026-09-30", "120.50")]
    assert payment.booked_by == world.staff["counter"]


@pytest.mark.parametrize(("overrides", "field", "code"), [
    ({"amount": "0"}, "amount", "min_value"),
    ({"amount": "-1"}, "amount", "min_value"),
    ({"amount": "1.234"}, "amount", "max_decimal_places"),
    ({"amount": "lots"}, "amount", "invalid"),
    ({"amount": "1e5"}, "amount", "invalid"),
    ({"amount": "1E5"}, "amount", "invalid"),
    ({"amount": ""}, "amount", "invalid"),
    ({"amount": "+5"}, "amount", "invalid"),
    ({"amount": 100000}, "amount", "not_a_string"),
    ({"amount": 1e5}, "amount", "not_a_string"),
    ({"amount": "10000000000.00"}, "amount", "max_value"),
    ({"amount": "5000"}, "amount", "needs_confirmation"),
    ({"received_on": "0032-01-01"}, "received_on", "before_issue"),
    ({"received_on": "2026-08-30"}, "received_on", "before_issue"),
    ({"method": "auto_debit"}, "method", "invalid_choice"),
    ({"received_on": "2026-10-11"}, "received_on", "future"),
    ({"received_on": "10/10/2026"}, "received_on", "invalid"),
    ({"reference": "a b"}, "reference", "invalid"),
    ({"reference": ""}, "reference", "blank"),
    ({"policy": 0}, "policy", "min_value"),
    ({"policy": 987654321}, "policy", "no_such_policy"),
])
def test_bad_payments_are_400_naming_the_field_and_write_nothing(world, overrides, field, code):
    before = written()
    response = api(world, "hq").post(PAY, body(world, **overrides), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["code"] == "invalid" and list(data["fields"]) == [field]
    assert data["fields"][field][0]["code"] == code and data["fields"][field][0]["message"]
    assert written() == before


def test_an_out_of_scope_policy_is_no_such_policy(world):
    before = written()
    response = api(world, "counter").post(PAY, body(world, policy=world.policy_b.pk), format="json")
    assert response.status_code == 400 and response.json()["fields"]["policy"][0]["code"] == "no_such_policy"
    assert written() == before


def test_a_duplicate_reference_is_409_and_a_policy_without_premiums_400(world):
    client = api(world, "branch")
    assert client.post(PAY, body(world), format="json").status_code == 201
    before = written()
    response = client.post(PAY, body(world, amount="5.00"), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert response.json() == {"status": 409, "code": "duplicate", "detail": "This slip is already booked."}
    Policy.objects.filter(pk=world.policy_q.pk).update(status="lapsed")
    response = client.post(PAY, body(world, policy=world.policy_q.pk, reference="API-2"), format="json")
    assert response.status_code == 400 and response.json()["fields"]["policy"][0]["code"] == "not_taking_premiums"
    assert written()[:2] == before[:2]


@pytest.mark.parametrize(("content_type", "payload"), [
    ("text/plain", b"policy=1"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\n\xf3\xaf garbage--xyz--\r\n"),
])
def test_a_body_that_does_not_parse_is_a_documented_415_or_400(world, content_type, payload):
    response = api(world, "counter").generic("POST", PAY, payload, content_type=content_type)
    assert response.status_code in (400, 415), response.content
    assert set(response.json()) >= {"status", "code", "detail"}
    assert not Payment.objects.exists()
    from drf_spectacular.generators import SchemaGenerator

    documented = SchemaGenerator().get_schema(public=True)["paths"][PAY]["post"]["responses"]
    assert {"400", "415"} <= set(documented)


@pytest.mark.parametrize("who", ["agent", "callcentre", "claims"])
def test_roles_that_take_no_money_get_403(world, who):
    response = api(world, who).post(PAY, body(world), format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not Payment.objects.exists()


def test_anonymous_is_401():
    assert APIClient().post(PAY, {}, format="json").status_code == 401
    assert APIClient().get(DUE).status_code == 401


# -- query counts ---------------------------------------------------------------------------------------

def _more_policies(world, n: int) -> None:
    for k in range(n):
        owner = make_customer(branch=world.org.branch_a)
        policy = make_policy(owner=owner, agent=None, branch=world.org.branch_a, issue_date=date(2026, 8, 31),
                             as_of=date(2026, 8, 31))
        DueItem.objects.create(policy=policy, instalment=1, due_date=date(2026, 9, 30), amount=PREMIUM,
                               currency="CNY", raised_on=AS_OF)
        payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("200"), method="cash", received_on=AS_OF,
                       natural_key=f"counter:Q:{policy.pk}-{k}", as_of=AS_OF)


# session + user + staff (the scope), COUNT, the page; payments: + allocations with their due items.
DUE_ITEM_LIST_QUERIES = 3 + 2
PAYMENT_LIST_QUERIES = 3 + 3


def test_list_query_counts_are_fixed(world, django_assert_num_queries):
    client = api(world, "branch")
    _more_policies(world, 2)
    for url, expected in ((DUE, DUE_ITEM_LIST_QUERIES), (PAY, PAYMENT_LIST_QUERIES)):
        with django_assert_num_queries(expected):
            small = client.get(url).json()["count"]
    _more_policies(world, 8)
    for url, expected in ((DUE, DUE_ITEM_LIST_QUERIES), (PAY, PAYMENT_LIST_QUERIES)):
        with django_assert_num_queries(expected):
            assert client.get(url).json()["count"] > small


# -- the POST against its schema (schemathesis) ------------------------------------------------------------

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev extra: pip install schemathesis")


@pytest.fixture
def counter_token(world) -> str:
    from knox.models import AuthToken

    return AuthToken.objects.create(user=world.staff["counter"].user)[1]


schema = wsgi_schema().include(method="POST", path="/api/v1/payments/")


@schema.parametrize()
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_counter_payments_keep_to_the_schema(case, counter_token, wsgi_keeps_the_test_connection):
    """No 5xx, only documented statuses, bodies as documented. Schema-valid data may still be refused with a
    400 (an unknown policy, a date after today): positive_data_acceptance does not apply to this write."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    case.call_and_validate(headers={"Authorization": f"Token {counter_token}"},
                           checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])


def test_the_schema_says_what_an_amount_is():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    amount = schema["components"]["schemas"]["PaymentCreate"]["properties"]["amount"]
    assert amount["type"] == "string" and amount["pattern"] == r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
    assert amount["minLength"] == 1

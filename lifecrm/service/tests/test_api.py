"""The service desk's API: interactions and cases, scoped per role, their writes validated with the house's error
shape, the moves of a case as POST sub-routes, fixed query counts, and the writes fuzzed against the schema."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient

from lifecrm.service import services
from lifecrm.service.models import Case, CaseEvent, Interaction
from tests.api_schema import wsgi_connection_fixture, wsgi_schema  # noqa: F401  (the *_fixture is a fixture)
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
INTERACTIONS, CASES = "/api/v1/interactions/", "/api/v1/cases/"
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api(world, who: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.staff[who].user)
    return client


def a_case(world, customer=None, **fields) -> Case:
    values = dict(customer=customer or world.customer_a, case_type="inquiry", subject="Premium question",
                  channel="call", opened_at=AT)
    return services.case_open(actor=world.staff["hq"].user, **values | fields)


def fields_of(response) -> dict[str, str]:
    data = response.json()
    assert data["status"] == 400 and data["code"] == "invalid", data
    return {name: errors[0]["code"] for name, errors in data["fields"].items()}


# -- interactions --------------------------------------------------------------------------------------------------

def test_a_call_is_logged_and_listed_by_customer(service_world):
    w = service_world
    client = api(w, "callcentre")
    response = client.post(INTERACTIONS, {"customer": w.customer_a.pk, "channel": "call", "direction": "in",
                                          "subject": "Asked about the grace period", "outcome": "answered"},
                           format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Location"] == f"{INTERACTIONS}{created['id']}/"
    assert (created["customer"]["id"], created["staff"]["id"]) == (w.customer_a.pk, w.staff["callcentre"].pk)
    listed = client.get(INTERACTIONS, {"customer": w.customer_a.pk}).json()
    assert [row["id"] for row in listed["results"]] == [created["id"]]
    assert client.get(f"{INTERACTIONS}{created['id']}/").status_code == 200


@pytest.mark.parametrize(("overrides", "field", "code"), [
    ({"channel": "pigeon"}, "channel", "invalid_choice"),
    ({"subject": ""}, "subject", "blank"),
    ({"customer": 0}, "customer", "min_value"),
    ({"customer": 987654321}, "customer", "no_such_customer"),
    ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at", "future"),
    ({"occurred_at": "yesterday"}, "occurred_at", "invalid"),
    ({"case": 987654321}, "case", "no_such_case"),
])
def test_a_bad_interaction_is_400_naming_the_field_and_writes_nothing(service_world, overrides, field, code):
    w = service_world
    body = {"customer": w.customer_a.pk, "channel": "call", "direction": "out", "subject": "x",
            "outcome": "no_answer"} | overrides
    response = api(w, "hq").post(INTERACTIONS, body, format="json")
    assert response.status_code == 400 and fields_of(response) == {field: code}
    assert not Interaction.objects.exists()


def test_another_branchs_customer_and_interactions_do_not_exist(service_world):
    w = service_world
    other = services.interaction_log(actor=w.staff["hq"].user, customer=w.customer_b, channel="sms",
                                     direction="out", subject="Reminder", outcome="sent", occurred_at=AT)
    client = api(w, "branch")
    body = {"customer": w.customer_b.pk, "channel": "call", "direction": "in", "subject": "x", "outcome": "answered"}
    assert fields_of(client.post(INTERACTIONS, body, format="json")) == {"customer": "no_such_customer"}
    assert client.get(f"{INTERACTIONS}{other.pk}/").status_code == 404
    assert client.get(INTERACTIONS).json()["count"] == 0
    assert api(w, "branch_b").get(f"{INTERACTIONS}{other.pk}/").status_code == 200


# -- cases -------------------------------------------------------------------------------------------------------

def test_a_case_is_opened_and_read_with_its_events(service_world):
    w = service_world
    client = api(w, "agent")  # agents take cases in
    response = client.post(CASES, {"customer": w.customer_a.pk, "case_type": "complaint",
                                   "category": "complaint_sales", "subject": "Mis-selling", "channel": "agent_visit",
                                   "about_staff": w.staff["agent_other"].pk}, format="json")
    assert response.status_code == 201, response.content
    case = response.json()
    assert (case["number"][:2], case["priority"], case["status"]) == ("CP", 2, "new")
    assert [e["kind"] for e in case["events"]] == ["opened"]
    assert response["Location"] == f"{CASES}{case['id']}/"
    detail = client.get(f"{CASES}{case['id']}/").json()
    assert detail["events"][0]["by"] == w.staff["agent"].user.username


@pytest.mark.parametrize(("overrides", "field", "code"), [
    ({"case_type": "gossip"}, "non_field_errors", "refused"),
    ({"category": "ambulance"}, "non_field_errors", "refused"),  # an emergency category on an inquiry
    ({"priority": 0}, "priority", "min_value"),
    ({"priority": 5}, "priority", "max_value"),
    ({"channel": "fax"}, "channel", "invalid_choice"),
    ({"customer": "me"}, "customer", "invalid"),
    ({"subject": "x" * 201}, "subject", "max_length"),
    ({"about_staff": 987654321}, "about_staff", "no_such_staff"),
])
def test_a_bad_case_is_400_naming_the_field_and_writes_nothing(service_world, overrides, field, code):
    w = service_world
    body = {"customer": w.customer_a.pk, "case_type": "inquiry", "subject": "Question", "channel": "call"}
    response = api(w, "callcentre").post(CASES, body | overrides, format="json")
    assert response.status_code == 400 and fields_of(response) == {field: code}
    assert not Case.objects.exists()


@pytest.mark.parametrize(("who", "sees_a", "sees_b"), [
    ("hq", True, True), ("branch", True, False), ("callcentre", True, False), ("agent", True, False),
    ("agent_other", False, False), ("branch_b", False, True),
])
def test_cases_follow_the_scope(service_world, who, sees_a, sees_b):
    w = service_world
    case_a, case_b = a_case(w), a_case(w, customer=w.customer_b)
    client = api(w, who)
    listed = {row["id"] for row in client.get(CASES).json()["results"]}
    assert listed == {c.pk for c, seen in ((case_a, sees_a), (case_b, sees_b)) if seen}
    for case, seen in ((case_a, sees_a), (case_b, sees_b)):
        assert client.get(f"{CASES}{case.pk}/").status_code == (200 if seen else 404)


def test_case_filters(service_world):
    w = service_world
    inquiry = a_case(w)
    emergency = a_case(w, case_type="emergency", subject="Fell")
    client = api(w, "hq")

    def ids(**query):
        response = client.get(CASES, query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [emergency.pk, inquiry.pk]  # the urgent first
    assert ids(case_type="emergency") == [emergency.pk]
    assert ids(priority="3") == [inquiry.pk]
    assert ids(status="new", customer=w.customer_a.pk) == [emergency.pk, inquiry.pk]
    assert ids(opened_after="2026-12-02") == []
    assert fields_of(client.get(CASES, {"sort": "x"})) == {"sort": "unknown_parameter"}
    assert fields_of(client.get(CASES, {"status": "lost"})) == {"status": "invalid_choice"}


def test_a_case_moves_through_its_statuses_by_post(service_world):
    w = service_world
    case = a_case(w)
    client = api(w, "callcentre")
    url = f"{CASES}{case.pk}/"
    assert client.post(f"{url}assign/", {"assignee": w.staff["callcentre"].pk}, format="json").status_code == 200
    assert client.post(f"{url}respond/", {"note": "Explained"}, format="json").json()["first_responded_at"]
    assert client.post(f"{url}wait/", {}, format="json").json()["status"] == "waiting"
    assert client.post(f"{url}resume/", {}, format="json").json()["status"] == "open"
    assert client.post(f"{url}note/", {"note": "Customer satisfied"}, format="json").status_code == 200
    assert client.post(f"{url}resolve/", {}, format="json").json()["status"] == "resolved"
    closed = client.post(f"{url}close/", {}, format="json")
    assert closed.json()["status"] == "closed"
    assert [e["kind"] for e in closed.json()["events"]] == [
        "opened", "assigned", "responded", "waiting", "resumed", "note", "resolved", "closed"]
    again = client.post(f"{url}resume/", {}, format="json")
    assert again.status_code == 409
    assert again.json() == {"status": 409, "code": "transition_refused",
                            "detail": "The case's status does not allow this."}


def test_bad_moves_are_refused_clearly(service_world):
    w = service_world
    complaint = a_case(w, case_type="complaint", subject="Rude agent", about_staff=w.staff["agent"])
    url = f"{CASES}{complaint.pk}/"
    before = CaseEvent.objects.count()
    branch = api(w, "branch")
    assert fields_of(branch.post(f"{url}note/", {"note": "  "}, format="json")) == {"note": "refused"}
    refused = branch.post(f"{url}assign/", {"assignee": w.staff["agent"].pk}, format="json")
    assert fields_of(refused) == {"assignee": "refused"}
    assert fields_of(branch.post(f"{url}assign/", {}, format="json")) == {"assignee": "required"}
    assert fields_of(branch.post(f"{url}assign/", {"assignee": 987654321}, format="json")) == {
        "assignee": "no_such_staff"}
    # a handler takes a case themselves; only management gives it to someone else
    forbidden = api(w, "callcentre").post(f"{url}assign/", {"assignee": w.staff["claims"].pk}, format="json")
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "permission_denied"
    # sales agents open cases but do not work them; another branch's case does not exist
    assert api(w, "agent").post(f"{url}respond/", {}, format="json").status_code == 403
    assert api(w, "branch_b").post(f"{url}respond/", {}, format="json").status_code == 404
    assert CaseEvent.objects.count() == before


# -- query counts ----------------------------------------------------------------------------------------------

# session + user + staff (the scope), COUNT, the page (customers and handlers joined)
CASE_LIST_QUERIES = 3 + 2
INTERACTION_LIST_QUERIES = 3 + 2


def test_list_query_counts_are_fixed(service_world, django_assert_num_queries):
    w = service_world
    client = api(w, "branch")

    def more(n):
        for _ in range(n):
            customer = make_customer(branch=w.org.branch_a)
            a_case(w, customer=customer)
            services.interaction_log(actor=w.staff["hq"].user, customer=customer, channel="call", direction="in",
                                     subject="x", outcome="answered", occurred_at=AT)

    more(2)
    for url, expected in ((CASES, CASE_LIST_QUERIES), (INTERACTIONS, INTERACTION_LIST_QUERIES)):
        with django_assert_num_queries(expected):
            client.get(url)
    more(6)
    for url, expected in ((CASES, CASE_LIST_QUERIES), (INTERACTIONS, INTERACTION_LIST_QUERIES)):
        with django_assert_num_queries(expected):
            assert client.get(url).json()["count"] == 8


def test_the_refusals_speak_the_callers_language(service_world):
    w = service_world
    case = a_case(w)
    api(w, "hq").post(f"{CASES}{case.pk}/resolve/", {}, format="json")
    client = api(w, "hq")
    response = client.post(f"{CASES}{case.pk}/wait/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert response.status_code == 409 and response.json()["detail"] != "The case's status does not allow this."
    missing = client.post(INTERACTIONS, {"customer": 987654321, "channel": "call", "direction": "in",
                                         "subject": "x", "outcome": "answered"}, format="json",
                          HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert missing.json()["fields"]["customer"][0]["message"] != "No such customer in your scope."


# -- the writes against their schema (schemathesis) ----------------------------------------------------------------

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev extra: pip install schemathesis")


@pytest.fixture
def handler_token(service_world) -> str:
    from knox.models import AuthToken

    a_case(service_world)
    return AuthToken.objects.create(user=service_world.staff["callcentre"].user)[1]


schema = wsgi_schema().include(method="POST", path_regex=r"^/api/v1/(interactions|cases)/")


@schema.parametrize()
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_the_service_writes_keep_to_the_schema(case, handler_token, wsgi_keeps_the_test_connection):
    """No 5xx, only documented statuses, bodies as documented (schema-valid data may still be refused: an unknown
    customer, a case type that does not exist)."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    case.call_and_validate(headers={"Authorization": f"Token {handler_token}"},
                           checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])

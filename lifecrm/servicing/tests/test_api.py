"""The servicing API: scoped reads, recording a request with the pages' checks, refusals on their field."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from lifecrm.servicing.models import ServiceRequest
from lifecrm.servicing.services import request_create
from lifecrm.servicing.tests.conftest import ACCOUNT, AS_OF

URL = "/api/v1/servicing-requests/"


@pytest.fixture
def pinned(monkeypatch):
    monkeypatch.setattr("lifecrm.servicing.api.timezone.localdate", lambda: AS_OF)


def client_for(staff) -> APIClient:
    client = APIClient(headers={"accept-language": "en"})
    client.force_authenticate(staff.user)
    return client


def test_the_agent_records_a_beneficiary_change(world, pinned):
    body = {"policy": world.policy.pk, "request_type": "beneficiary_change", "channel": "agent",
            "payload": {"beneficiaries": [{"name": "张一", "relation_to_insured": "child", "share": "1/3"},
                                          {"name": "张二", "relation_to_insured": "child", "share": "2/3"}]}}
    response = client_for(world.staff["agent"]).post(URL, body, format="json")
    assert response.status_code == 201, response.data
    data = response.data
    assert data["status"]["code"] if isinstance(data["status"], dict) else data["status"]
    assert data["received_on"] == AS_OF.isoformat() and data["needs_approval"] is True
    assert [d["code"] for d in data["documents"]] == ["application", "owner_id", "beneficiary_id"]
    assert data["events"][0]["kind"] == "received"
    assert response["Location"].endswith(f"/{data['id']}/")


def test_refusals_on_their_field(world, pinned):
    client = client_for(world.staff["counter"])
    response = client.post(URL, {"policy": world.policy.pk, "request_type": "sum_assured_decrease",
                                 "channel": "counter", "payload": {"sum_assured": "900000"}}, format="json")
    assert response.status_code == 400, response.data
    assert "below the current" in response.json()["fields"]["payload"][0]["message"]
    response = client.post(URL, {"policy": world.policy.pk, "request_type": "nope", "channel": "counter"},
                           format="json")
    assert response.status_code == 400 and "request_type" in response.json()["fields"]
    response = client_for(world.staff["branch_b"]).post(URL, {"policy": world.policy.pk, "request_type": "surrender",
                                                              "channel": "counter"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["policy"][0]["code"] == "no_such_policy"
    assert not ServiceRequest.objects.exists()


def test_reads_are_scoped(world, pinned, django_assert_max_num_queries):
    row = request_create(actor=world.staff["counter"], policy=world.policy, request_type="surrender",
                         channel="counter", received_on=AS_OF, as_of=AS_OF, payload=ACCOUNT)
    mine = client_for(world.staff["counter"])
    with django_assert_max_num_queries(12):
        listed = mine.get(URL)
    assert [r["number"] for r in listed.data["results"]] == [row.number]
    assert mine.get(f"{URL}{row.pk}/").data["payment_due"] == "2025-10-26"
    other = client_for(world.staff["branch_b"])
    assert other.get(URL).data["results"] == []
    assert other.get(f"{URL}{row.pk}/").status_code == 404
    assert client_for(world.staff["claims"]).get(URL).status_code == 403

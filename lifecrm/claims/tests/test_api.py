"""Claims' API: report a claim (any service role), read the claims of the scope, nothing outside it."""
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from lifecrm.claims.models import Claim

pytestmark = pytest.mark.django_db


def _client(staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff.user)
    return client


def test_report_and_read_a_claim_scoped(claims_world):
    world = claims_world
    body = {"insured": world.insured.pk, "claim_type": "death", "cause": "accident",
            "event_date": str(timezone.localdate()), "channel": "phone", "claimant_name": "李娜"}
    answer = _client(world.staff["callcentre"]).post("/api/v1/claims/", body, format="json")
    assert answer.status_code == 201, answer.json()
    claim = Claim.objects.get()
    assert answer.json()["number"] == claim.number and len(answer.json()["policies"]) == 2
    assert "accident_report" in {d["code"] for d in answer.json()["documents"]}
    listed = _client(world.staff["claims"]).get("/api/v1/claims/", {"insured": world.insured.pk})
    assert [c["number"] for c in listed.json()["results"]] == [claim.number]
    assert _client(world.staff["claims_b"]).get(f"/api/v1/claims/{claim.pk}/").status_code == 404
    assert _client(world.staff["branch_b"]).post("/api/v1/claims/", body, format="json").status_code == 400
    future = body | {"event_date": "2999-01-01"}
    refused = _client(world.staff["claims"]).post("/api/v1/claims/", future, format="json")
    assert refused.status_code == 400 and "event_date" in refused.json()["fields"]
    assert Claim.objects.count() == 1

"""The OpenAPI schema validates without warnings (as `lifecrm spectacular --validate --fail-on-warn` does) and is served."""
from __future__ import annotations

from io import StringIO

import yaml
from django.core.management import call_command

from lifecrm.core.actors import SYSTEM

ENDPOINTS = {"/api/v1/customers/", "/api/v1/customers/{id}/", "/api/v1/policies/", "/api/v1/policies/{id}/",
             "/api/v1/me/", "/api/v1/due-items/", "/api/v1/due-items/{id}/", "/api/v1/payments/",
             "/api/v1/payments/{id}/", "/api/v1/suspense-accounts/", "/api/v1/suspense-accounts/{id}/",
             "/api/v1/customers/{customer_id}/value/",
             "/api/v1/interactions/", "/api/v1/interactions/{id}/", "/api/v1/cases/", "/api/v1/cases/{id}/",
             "/api/v1/servicing-requests/", "/api/v1/servicing-requests/{id}/", "/api/v1/claims/", "/api/v1/claims/{id}/",
             "/api/v1/claims/{id}/facts/"}
CASE_MOVES = {"assign", "respond", "note", "wait", "resume", "resolve", "close"}
ENDPOINTS |= {f"/api/v1/cases/{{id}}/{move}/" for move in CASE_MOVES}
# The writes: counter payments (fuzzed with their own checks in lifecrm/billing/tests/test_api.py), logging an
# interaction, opening a case and its moves (lifecrm/service/tests/test_api.py), recording a servicing request
# (lifecrm/servicing/tests/test_api.py), reporting a claim and recording its facts (lifecrm/claims/tests); the moves
# answer POST only.
WRITES = {"/api/v1/payments/": {"post"}, "/api/v1/interactions/": {"post"}, "/api/v1/cases/": {"post"},
          "/api/v1/servicing-requests/": {"post"}, "/api/v1/claims/": {"post"}}
METHODS = {f"/api/v1/cases/{{id}}/{move}/": {"post"} for move in CASE_MOVES} | {"/api/v1/claims/{id}/facts/": {"post"}}


def test_schema_validates_without_warnings(tmp_path):
    """The same check as `lifecrm spectacular --validate --fail-on-warn --file schema.yml`."""
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=StringIO())
    schema = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert set(schema["paths"]) == ENDPOINTS
    for path, item in schema["paths"].items():
        methods = METHODS.get(path, {"get"} | WRITES.get(path, set()))
        assert set(item) == methods, path
        for method in methods:
            assert {"401", "403"} <= set(item[method]["responses"]), (path, method)


def test_schema_is_served_to_staff_only(client, db):
    """The schema maps the whole API: it needs a login with a staff record (issue 14 §2)."""
    from django.contrib.auth import get_user_model

    from lifecrm.org.models import OrgUnit
    from lifecrm.org.services import org_unit_create, staff_create

    anonymous = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    user = get_user_model().objects.create_user("schema-reader")
    client.force_login(user)
    assert client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").status_code == 403
    hq = org_unit_create(actor=SYSTEM, code="HQ", name="HQ", kind=OrgUnit.Kind.HQ)
    staff_create(actor=SYSTEM, employee_no="E1", name="hq", role="hq", org_unit=hq, user=user)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert set(response.json()["paths"]) == ENDPOINTS

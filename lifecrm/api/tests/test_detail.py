"""What the detail endpoints show: masked ID, consents in force, relationships, policy contract and journal."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from lifecrm.api.tests.conftest import LOGINS
from lifecrm.core.actors import SYSTEM
from lifecrm.policies.services import BeneficiaryInput, policy_new_version, policy_transition

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("login", LOGINS)
def test_full_id_number_never_leaves_the_api(related_world, login):
    """Whatever the role (even those allowed to reveal it elsewhere), lists, details and searches mask it."""
    world = related_world
    client = world.client(login)
    bodies = [client.get("/api/v1/customers/").content, client.get("/api/v1/policies/").content]
    for customer in world.customers.values():
        bodies.append(client.get(f"/api/v1/customers/{customer.pk}/").content)
        bodies.append(client.get(f"/api/v1/customers/?q={customer.id_number}").content)
    for policy in world.policies.values():
        bodies.append(client.get(f"/api/v1/policies/{policy.pk}/").content)
    text = b"".join(bodies).decode()
    for customer in world.customers.values():
        assert customer.id_number not in text
        assert customer.id_number[:14] not in text
        assert customer.id_number_digest not in text


def test_customer_detail(related_world):
    world = related_world
    c_a = world.customers["c_a"]
    body = world.client("branch_a").get(f"/api/v1/customers/{c_a.pk}/").json()
    assert body["number"] == c_a.number
    assert body["id_number_masked"] == "*" * 14 + c_a.id_number[-4:]
    assert "id_number" not in body
    assert body["branch"]["id"] == world.org.branch_a.pk
    assert body["servicing_agent"]["id"] == world.staff["agent_1"].pk
    # The latest consent per purpose is the one in force: marketing was withdrawn.
    assert [(row["purpose"], row["granted"], row["source"]) for row in body["consents"]] == [
        ("marketing", False, "phone"), ("sensitive_data", True, "application"),
    ]
    # c_ta is c_a's parent (same branch, visible); c_b is the spouse, in branch B: not shown to branch A.
    assert body["relationships"] == [
        {"label": "parent", "since": None, "in_scope": True,
         "customer": {"id": world.customers["c_ta"].pk, "number": world.customers["c_ta"].number, "name": "李强"}},
        {"label": "spouse", "since": None, "in_scope": False, "customer": None},
    ]
    assert body["policy_ids"] == [world.policies["p_a"].pk]


def test_related_customer_is_shown_when_in_scope(related_world):
    world = related_world
    body = world.client("hq").get(f"/api/v1/customers/{world.customers['c_b'].pk}/").json()
    assert body["relationships"] == [
        {"label": "spouse", "since": None, "in_scope": True,
         "customer": {"id": world.customers["c_a"].pk, "number": world.customers["c_a"].number, "name": "王芳"}},
    ]


def test_customer_list_masks_the_phone(world):
    row = world.client("hq").get("/api/v1/customers/").json()["results"][0]
    phone = world.customers["c_a"].mobile_phone
    assert row["mobile_phone_masked"] == phone[:3] + "****" + phone[-4:]
    assert "mobile_phone" not in row


def test_policy_detail_shows_current_version_coverages_beneficiaries_and_events(world):
    policy = world.policies["p_a"]
    policy_new_version(
        actor=SYSTEM, policy_id=policy.pk, effective_from=date(2024, 3, 31), as_of=date(2024, 3, 31),
        changes={"sum_assured": Decimal("800000.00")}, reason="sum assured increase",
        beneficiaries=[BeneficiaryInput("李娜", "spouse", Fraction(3, 5)),
                       BeneficiaryInput("王小明", "child", Fraction(2, 5))],
    )
    policy_transition(actor=world.staff["hq"].user, policy_id=policy.pk, to_status="grace",
                      effective_date=date(2024, 5, 1), as_of=date(2024, 5, 1))
    body = world.client("agent_1").get(f"/api/v1/policies/{policy.pk}/").json()
    assert body["number"] == policy.number
    assert body["status"] == "grace"
    assert body["owner"]["id"] == body["payer"]["id"] == world.customers["c_a"].pk
    version = body["current_version"]
    assert version["version_no"] == 2 and version["effective_to"] is None
    assert version["sum_assured"] == "800000.00"
    assert [(b["name"], b["share"], b["share_text"]) for b in version["beneficiaries"]] == [
        ("李娜", "3/5", "60 %"), ("王小明", "2/5", "40 %")]
    assert [(c["product"]["code"], c["is_base"]) for c in body["coverages"]] == [("TERM20", True)]
    assert [e["kind"] for e in body["events"]] == ["transition", "contract_changed", "issued", "proposed"]
    assert body["events"][0]["actor"] == "hq" and body["events"][0]["to_status"] == "grace"
    # Issued 31 March 2022, monthly, one premium paid at issue: the next one was due 30 April 2022.
    assert body["next_due_date"] == "2022-04-30"


def test_me_for_an_agent(world):
    body = world.client("agent_2").get("/api/v1/me/").json()
    assert body["scope"] == {"kind": "own_book", "unit_path": world.org.team_b.path, "may_reveal_id": False}


def test_the_policy_shows_the_day_the_owner_received_it(world):
    """The cooling-off period counts from delivery: the list and the detail show it, null until it is recorded, and
    the API cannot set it (read-only; the workbench records the signed receipt)."""
    from lifecrm.policies.services import policy_delivery_record

    policy = world.policies["p_a"]
    client = world.client("hq")
    assert client.get(f"/api/v1/policies/{policy.pk}/").json()["delivered_on"] is None
    policy_delivery_record(actor=world.staff["hq"].user, policy_id=policy.pk, delivered_on=date(2022, 4, 6),
                           as_of=date(2022, 4, 30))
    assert client.get(f"/api/v1/policies/{policy.pk}/").json()["delivered_on"] == "2022-04-06"
    listed = {row["id"]: row for row in client.get("/api/v1/policies/?page_size=100").json()["results"]}
    assert listed[policy.pk]["delivered_on"] == "2022-04-06"
    assert client.patch(f"/api/v1/policies/{policy.pk}/", {"delivered_on": "2022-04-01"},
                        format="json").status_code == 405


def test_the_schema_marks_the_delivery_day_read_only(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for name in ("PolicyList", "PolicyDetail"):
        field = schema["components"]["schemas"][name]["properties"]["delivered_on"]
        assert field["readOnly"] is True and field["format"] == "date" and field["nullable"] is True

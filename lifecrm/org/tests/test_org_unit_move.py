"""Moving an org unit: one audited service rewrites the subtree's materialised paths and every copy of them
(customers' and policies' `branch_path`), so who sees what follows the org chart; the admin cannot edit a path
or a parent by hand, and moves through the service."""
from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent
from lifecrm.core.registries import path_copies
from lifecrm.org.access import AccessDenied
from lifecrm.org.models import OrgUnit
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.org.services import OrgUnitMoveRefused, org_unit_create, org_unit_move
from lifecrm.parties.models import Customer
from lifecrm.parties.selectors import customers_in_scope
from lifecrm.policies.models import Policy
from lifecrm.policies.selectors import policies_in_scope
from tests.factories import make_customer, make_org, make_policy, make_staff

AS_OF = date(2026, 10, 10)
pytestmark = pytest.mark.django_db


@pytest.fixture
def chart():
    org = make_org()
    sub = org_unit_create(actor=SYSTEM, code="TA-SUB", name="北京一组一小组", kind="team", parent=org.team_a)
    agent = make_staff("agent", org.team_a)
    customers = [make_customer(branch=org.team_a, agent=agent), make_customer(branch=sub),
                 make_customer(branch=org.branch_a)]
    policies = [make_policy(owner=c, agent=c.servicing_agent, branch=c.branch, as_of=AS_OF) for c in customers]
    return {"org": org, "sub": sub, "customers": customers, "policies": policies,
            "hq": make_staff("hq", org.hq), "branch_a": make_staff("branch", org.branch_a),
            "branch_b": make_staff("branch", org.branch_b)}


def sees(staff) -> tuple[set[int], set[int]]:
    user = get_user_model().objects.get(pk=staff.user_id)  # a fresh login: the scope is read again
    scope = data_scope_for_user(user)
    return set(customers_in_scope(scope).values_list("pk", flat=True)), set(
        policies_in_scope(scope).values_list("pk", flat=True))


def test_after_a_move_the_new_parents_manager_sees_the_units_customers_and_policies_and_the_old_one_does_not(chart):
    org, moved = chart["org"], chart["customers"][:2]  # team A's customer and its sub-team's
    moved_ids, moved_policies = {c.pk for c in moved}, {p.pk for p in chart["policies"][:2]}
    assert sees(chart["branch_a"])[0] >= moved_ids and not sees(chart["branch_b"])[0] & moved_ids

    move = org_unit_move(actor=chart["hq"].user, unit=org.team_a, new_parent=org.branch_b, as_of=AS_OF,
                         chunk_size=1)  # one row per chunk: the chunking is exercised

    customers_b, policies_b = sees(chart["branch_b"])
    customers_a, policies_a = sees(chart["branch_a"])
    assert moved_ids <= customers_b and moved_policies <= policies_b
    assert not customers_a & moved_ids and not policies_a & moved_policies
    assert chart["customers"][2].pk in customers_a  # the branch's own customer stays
    team, sub = OrgUnit.objects.get(pk=org.team_a.pk), OrgUnit.objects.get(pk=chart["sub"].pk)
    assert team.parent_id == org.branch_b.pk and team.path == f"{org.branch_b.path}{team.pk}/"
    assert sub.path == f"{team.path}{sub.pk}/"
    assert set(Customer.objects.filter(pk__in=moved_ids).values_list("branch_path", flat=True)) == {team.path, sub.path}
    assert set(Policy.objects.filter(pk__in=moved_policies).values_list("branch_path", flat=True)) == {team.path,
                                                                                                      sub.path}
    assert move.units == 2 and move.copies == {"parties.customer": 2, "policies.policy": 2} | dict.fromkeys(SERVICE, 0)
    event = AuditEvent.objects.get(object_type="org.orgunit", object_id=str(team.pk), field="parent")
    assert event.actor == chart["hq"].user and event.before["path"] == move.old_path
    assert event.after["path"] == team.path and event.after["copies"] == move.copies


SERVICE = ("service.interaction", "service.case", "service.slaalert", "service.careevent", "service.survey",
           "servicing.servicerequest", "claims.claim")  # the service desk's, servicing's and claims' copies


def test_every_copy_of_a_path_is_registered():
    assert set(path_copies()) == {"parties.customer", "policies.policy", *SERVICE}


def test_only_hq_moves_units_and_a_refused_move_changes_nothing(chart, settings):
    settings.LANGUAGE_CODE = "en"
    org = chart["org"]
    before = (list(OrgUnit.objects.values_list("pk", "parent_id", "path")),
              list(Customer.objects.values_list("pk", "branch_path")), AuditEvent.objects.count())
    with pytest.raises(AccessDenied):
        org_unit_move(actor=chart["branch_a"].user, unit=org.team_a, new_parent=org.branch_b, as_of=AS_OF)
    with pytest.raises(AccessDenied):
        org_unit_move(actor=None, unit=org.team_a, new_parent=org.branch_b, as_of=AS_OF)
    hq = chart["hq"].user
    for unit, parent, why in ((org.branch_a, chart["sub"], "its own subtree"), (org.hq, org.branch_a, "the top"),
                              (org.team_b, org.team_a, "cannot hang under"),
                              (org.branch_a, org.branch_b, "cannot hang under")):
        with pytest.raises(OrgUnitMoveRefused, match=why):
            org_unit_move(actor=hq, unit=unit, new_parent=parent, as_of=AS_OF)
    assert before == (list(OrgUnit.objects.values_list("pk", "parent_id", "path")),
                      list(Customer.objects.values_list("pk", "branch_path")), AuditEvent.objects.count())


def test_the_admin_shows_path_and_parent_read_only_and_moves_through_the_service(chart, admin_client, admin_user,
                                                                                 settings):
    settings.LANGUAGE_CODE = "en"  # the note is read in its English source
    org = chart["org"]
    url = reverse("admin:org_orgunit_change", args=[org.team_a.pk])
    form = admin_client.get(url).content.decode()
    assert 'name="parent"' not in form and 'name="path"' not in form
    assert "Move to another parent unit" in form
    # a hand-made POST with a parent and a path changes neither
    admin_client.post(url, {"code": org.team_a.code, "name": "改名", "name_en": "", "kind": "team",
                            "parent": org.branch_b.pk, "path": "/9/", "jurisdiction": "CN", "city": ""})
    team = OrgUnit.objects.get(pk=org.team_a.pk)
    assert team.name == "改名" and team.parent_id == org.branch_a.pk and team.path == org.team_a.path
    # the action asks for the new parent, then moves through the service
    changelist = reverse("admin:org_orgunit_changelist")
    ask = admin_client.post(changelist, {"action": "move_units", "_selected_action": [org.team_a.pk]})
    assert ask.status_code == 200 and 'name="new_parent"' in ask.content.decode()
    admin_client.post(changelist, {"action": "move_units", "_selected_action": [org.team_a.pk], "apply": "1",
                                   "new_parent": org.branch_b.pk, "as_of": "2026-10-10"})
    team.refresh_from_db()
    assert team.parent_id == org.branch_b.pk and team.path.startswith(org.branch_b.path)
    assert set(Customer.objects.filter(branch_id=org.team_a.pk).values_list("branch_path", flat=True)) == {team.path}
    assert AuditEvent.objects.filter(object_type="org.orgunit", object_id=str(team.pk), field="parent",
                                     actor=admin_user).exists()


def test_a_unit_added_in_the_admin_gets_its_path(admin_client, chart):
    org = chart["org"]
    admin_client.post(reverse("admin:org_orgunit_add"), {"code": "NEW1", "name": "新组", "name_en": "",
                                                          "kind": "team", "parent": org.branch_b.pk,
                                                          "jurisdiction": "CN", "city": ""})
    unit = OrgUnit.objects.get(code="NEW1")
    assert unit.path == f"{org.branch_b.path}{unit.pk}/"

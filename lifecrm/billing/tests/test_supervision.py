"""A manager's renewal work lists: per role, who sees, filters and reassigns which calls; the reassignment's
checks and audit row; the page, its htmx fragment and its query count; links only to records in scope."""
from __future__ import annotations

import pytest
from django.urls import reverse

from lifecrm.billing import supervision, worklists
from lifecrm.billing.models import Reminder
from lifecrm.billing.supervision import QUEUE, ReassignRefused, TaskFilter
from lifecrm.billing.tests.test_views_world import (  # noqa: F401  (the *_fixture names are fixtures)
    AS_OF,
    business_date_fixture,
    outbox_fixture,
    world_fixture,
)
from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent
from lifecrm.org.access import AccessDenied
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.parties.models import Customer
from lifecrm.policies.models import Policy
from tests.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db


def task(policy) -> Reminder:
    return Reminder.objects.get(due_item__policy=policy, status__in=("task_open", "done"))


def scope(world, who):
    return data_scope_for_user(world.staff[who].user)


def numbers(rows) -> set[str]:
    return {r.policy.number for r in rows}


def branch_list(world, who, **filters):
    return supervision.branch_worklist(scope=scope(world, who), flt=TaskFilter(**filters), as_of=AS_OF)


def login(client, world, who):
    client.force_login(world.staff[who].user)
    return client


# -- who sees which calls --------------------------------------------------------------------------------

def test_a_branch_manager_sees_every_call_of_the_branch_and_no_other(world):
    a, q, b = world.policy_a.number, world.policy_q.number, world.policy_b.number
    assert numbers(branch_list(world, "branch").tasks) == {a, q}  # the agent's call and the queue's
    assert numbers(branch_list(world, "branch").in_grace) == {a, q}
    assert numbers(branch_list(world, "branch_b").tasks) == {b}
    assert numbers(branch_list(world, "hq").tasks) == {a, q, b}
    for who in ("counter", "callcentre", "claims", "agent"):
        with pytest.raises(AccessDenied):
            branch_list(world, who)


def test_the_filters_narrow_by_holder_team_and_status(world):
    a, q = world.policy_a.number, world.policy_q.number
    agent = world.staff["agent"].pk
    assert numbers(branch_list(world, "branch", holder=agent).tasks) == {a}
    assert numbers(branch_list(world, "branch", holder=agent).in_grace) == {a}
    assert numbers(branch_list(world, "branch", holder=QUEUE).tasks) == {q}
    assert numbers(branch_list(world, "branch", holder=world.staff["agent_other"].pk).tasks) == set()
    assert numbers(branch_list(world, "branch", team=world.org.team_a).tasks) == {a}
    assert numbers(branch_list(world, "branch", status="done").tasks) == set()
    worklists.reminder_task_log_outcome(actor=world.staff["agent"].user, reminder_id=task(world.policy_a).pk,
                                        outcome="no_answer", as_of=AS_OF)
    assert numbers(branch_list(world, "branch", status="done").tasks) == {a}
    assert numbers(branch_list(world, "branch").tasks) == {q}


# -- reassignment ----------------------------------------------------------------------------------------

def reassign(world, who, policy, holder):
    return supervision.reminder_task_reassign(actor=world.staff[who].user, reminder_id=task(policy).pk,
                                              holder_id=holder.pk if holder else None, as_of=AS_OF)


def test_a_manager_hands_a_call_to_another_agent_of_the_branch_with_an_audit_row(world):
    other = world.staff["agent_other"]
    moved = reassign(world, "branch", world.policy_a, other)
    assert moved.assigned_to_id == other.pk
    audit = AuditEvent.objects.get(object_type="billing.reminder", object_id=str(moved.pk), field="assigned_to")
    assert audit.actor == world.staff["branch"].user
    assert audit.before == {"assigned_to": world.staff["agent"].pk} and audit.after["assigned_to"] == other.pk
    # The call moves from one work list to the other, and the new holder may log its outcome.
    assert worklists.worklist(scope=scope(world, "agent"), as_of=AS_OF).own_tasks == []
    assert numbers(worklists.worklist(scope=scope(world, "agent_other"), as_of=AS_OF).own_tasks) == {
        world.policy_a.number}
    worklists.reminder_task_log_outcome(actor=other.user, reminder_id=moved.pk, outcome="no_answer", as_of=AS_OF)


def test_a_call_goes_to_a_call_centre_agent_or_back_to_the_queue(world):
    callcentre = world.staff["callcentre"]
    reassign(world, "branch", world.policy_q, callcentre)
    assert numbers(worklists.worklist(scope=scope(world, "callcentre"), as_of=AS_OF).own_tasks) == {
        world.policy_q.number}
    assert worklists.worklist(scope=scope(world, "callcentre"), as_of=AS_OF).queue == []
    assert reassign(world, "hq", world.policy_q, None).assigned_to_id is None  # HQ management, any branch
    assert AuditEvent.objects.filter(object_type="billing.reminder", field="assigned_to").count() == 2


@pytest.mark.parametrize(("who", "policy", "holder", "error", "message"), [
    ("branch", "policy_a", "branch_b", ReassignRefused, "of the policy's branch"),  # a manager: no calls
    ("branch", "policy_a", "counter", ReassignRefused, "of the policy's branch"),  # makes no renewal calls
    ("branch", "policy_a", "agent_b", ReassignRefused, "of the policy's branch"),  # another branch's agent
    ("hq", "policy_a", "agent_b", ReassignRefused, "of the policy's branch"),  # even for HQ
    ("branch", "policy_a", "agent", ReassignRefused, "already there"),
    ("branch", "policy_b", "agent_other", ReassignRefused, "no such phone task"),  # outside the scope
    ("branch_b", "policy_a", "agent_b", ReassignRefused, "no such phone task"),
    ("agent", "policy_a", "agent_other", AccessDenied, ""),  # not a manager
    ("callcentre", "policy_q", "callcentre", AccessDenied, ""),
    ("counter", "policy_q", "agent", AccessDenied, ""),
])
def test_refused_reassignments_change_nothing(world, who, policy, holder, error, message):
    world.staff["agent_b"] = make_staff("agent", world.org.team_b)
    target = task(getattr(world, policy))
    with pytest.raises(error, match=message or None):
        reassign(world, who, getattr(world, policy), world.staff[holder])
    assert Reminder.objects.get(pk=target.pk).assigned_to_id == target.assigned_to_id
    assert not AuditEvent.objects.filter(object_type="billing.reminder", field="assigned_to").exists()


def test_an_inactive_agent_and_a_closed_call_are_refused(world):
    other = world.staff["agent_other"]
    other.is_active = False
    other.save(update_fields=["is_active"])
    with pytest.raises(ReassignRefused, match="active"):
        reassign(world, "branch", world.policy_a, other)
    worklists.reminder_task_log_outcome(actor=world.staff["callcentre"].user, reminder_id=task(world.policy_q).pk,
                                        outcome="refused", as_of=AS_OF)
    with pytest.raises(ReassignRefused, match="already closed"):
        reassign(world, "branch", world.policy_q, world.staff["agent"])


# -- the page --------------------------------------------------------------------------------------------

def test_the_branch_manager_opens_the_work_list_of_the_branch(client, world):
    body = login(client, world, "branch").get(reverse("billing:worklist")).content.decode()
    assert 'data-testid="branch-worklist"' in body
    assert world.policy_a.number in body and world.policy_q.number in body and world.policy_b.number not in body
    assert reverse("billing:task-reassign", args=[task(world.policy_a).pk]) in body
    assert world.staff["agent"].name in body  # who holds the call
    filtered = client.get(reverse("billing:worklist"), {"holder": "queue"}).content.decode()
    assert world.policy_q.number in filtered and world.policy_a.number not in filtered
    by_team = client.get(reverse("billing:worklist"), {"team": world.org.team_a.pk}).content.decode()
    assert world.policy_a.number in by_team


@pytest.mark.parametrize("params", [{"holder": "12345678"}, {"team": "x"}, {"status": "lost"}])
def test_a_filter_outside_the_choices_is_a_400_naming_the_field(client, world, params):
    response = login(client, world, "branch").get(reverse("billing:worklist"), params)
    assert response.status_code == 400
    [field] = params
    assert f'id="id_{field}-errors"' in response.content.decode()


def test_the_filter_offers_only_the_branchs_staff_and_teams(client, world):
    world.staff["agent_b"] = make_staff("agent", world.org.team_b, name="上海业务")
    body = login(client, world, "branch").get(reverse("billing:worklist")).content.decode()
    assert world.staff["agent_other"].name in body and world.staff["agent_b"].name not in body
    assert world.org.team_a.name in body and world.org.team_b.name not in body
    # A staff member of branch B is refused as a filter, as any value off the list.
    response = client.get(reverse("billing:worklist"), {"holder": world.staff["agent_b"].pk})
    assert response.status_code == 400


def test_the_filter_and_the_reassignment_name_units_in_the_pages_language(client, world):
    from lifecrm.org.models import OrgUnit

    OrgUnit.objects.filter(pk=world.org.team_a.pk).update(name_en="Beijing team 1")
    OrgUnit.objects.filter(pk=world.staff["agent_other"].org_unit_id).update(name_en="Beijing team 1")
    client = login(client, world, "branch")
    reassign = reverse("billing:task-reassign", args=[task(world.policy_a).pk])
    for language, name in (("en", "Beijing team 1"), ("zh-hant", world.org.team_a.name)):
        body = client.get(reverse("billing:worklist"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f">{name}</option>" in body, language
        form = client.get(reassign, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f"· {name}</option>" in form, language


def test_reassigning_through_htmx_swaps_the_card(client, world):
    target = task(world.policy_a)
    url = reverse("billing:task-reassign", args=[target.pk])
    client = login(client, world, "branch")
    form = client.get(url, HTTP_HX_REQUEST="true")
    assert form.status_code == 200 and "<html" not in form.content.decode()
    assert f'<option value="{world.staff["agent_other"].pk}"' in form.content.decode()
    bad = client.post(url, {"holder": ""}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and "Choose who makes the call" in bad.content.decode()
    done = client.post(url, {"holder": world.staff["agent_other"].pk}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and 'data-testid="task-reassigned"' in done.content.decode()
    assert Reminder.objects.get(pk=target.pk).assigned_to == world.staff["agent_other"]


def test_without_javascript_the_reassignment_redirects_to_the_list(client, world):
    target = task(world.policy_q)
    client = login(client, world, "branch")
    page = client.get(reverse("billing:task-reassign", args=[target.pk]))
    assert page.status_code == 200 and "<html" in page.content.decode()
    response = client.post(reverse("billing:task-reassign", args=[target.pk]), {"holder": "queue"})
    assert response.status_code == 409  # it is in the queue already
    response = client.post(reverse("billing:task-reassign", args=[target.pk]), {"holder": world.staff["agent"].pk})
    assert response.status_code == 302 and response["Location"] == reverse("billing:worklist")


def test_reassignment_pages_per_role(client, world):
    url = reverse("billing:task-reassign", args=[task(world.policy_a).pk])
    assert login(client, world, "branch_b").get(url).status_code == 404  # another branch's call
    for who in ("agent", "callcentre", "counter", "claims"):
        assert login(client, world, who).get(url).status_code == 403, who
    assert login(client, world, "hq").get(url).status_code == 200


def test_the_branch_work_list_runs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    for _ in range(3):  # more calls must not mean more queries
        world.staff[f"extra{_}"] = make_staff("agent", world.org.team_a)
    client = login(client, world, "branch")
    # session, user, staff (scope and layout), holders, teams, the tasks, policies in grace, their arrears.
    with django_assert_max_num_queries(8):
        assert client.get(reverse("billing:worklist")).status_code == 200


# -- links only to what the scope holds -----------------------------------------------------------------

def test_the_agents_list_does_not_link_a_payer_outside_the_book(client, world):
    """The agent's policy is paid by a customer of another agent's book: the name shows, but no link to a 404."""
    payer = make_customer(branch=world.org.team_a, agent=world.staff["agent_other"], name="赵六")
    Policy.objects.filter(pk=world.policy_a.pk).update(payer=payer)
    body = login(client, world, "agent").get(reverse("billing:worklist")).content.decode()
    assert "赵六" in body
    assert reverse("workbench:customer", args=[payer.pk]) not in body
    assert reverse("workbench:policy", args=[world.policy_a.pk]) in body
    assert client.get(reverse("workbench:customer", args=[payer.pk])).status_code == 404  # what the link was


def test_a_call_handed_to_another_agent_links_nothing_outside_their_book(client, world):
    reassign(world, "branch", world.policy_a, world.staff["agent_other"])
    body = login(client, world, "agent_other").get(reverse("billing:worklist")).content.decode()
    assert world.policy_a.number in body
    assert reverse("workbench:policy", args=[world.policy_a.pk]) not in body
    assert reverse("workbench:customer", args=[world.policy_a.payer_id]) not in body


def test_the_queue_and_the_suspense_list_link_only_payers_in_scope(client, world):
    payer = make_customer(branch=world.org.branch_b, name="钱七")
    Policy.objects.filter(pk=world.policy_q.pk).update(payer=payer)
    for who, url in (("callcentre", reverse("billing:worklist")), ("branch", reverse("billing:worklist"))):
        body = login(client, world, who).get(url).content.decode()
        assert "钱七" in body and reverse("workbench:customer", args=[payer.pk]) not in body, who
        assert reverse("workbench:customer", args=[world.policy_a.payer_id]) in body or who == "callcentre"
    from lifecrm.billing.services import payment_record

    payment_record(actor=SYSTEM, policy_id=world.policy_q.pk, amount=500, method="cash", received_on=AS_OF,
                   natural_key="test:suspense-link", as_of=AS_OF)
    body = login(client, world, "branch").get(reverse("billing:suspense")).content.decode()
    assert world.policy_q.number in body and "钱七" in body
    assert reverse("workbench:customer", args=[payer.pk]) not in body
    assert Customer.objects.filter(pk=payer.pk).exists()

"""Renewal work lists per role, the call outcome (service and htmx page), the audit row and the timeline."""
from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from lifecrm.billing import reminders, worklists
from lifecrm.billing.models import Reminder
from lifecrm.billing.tests.test_views_world import (  # noqa: F401  (the *_fixture names are fixtures)
    AS_OF,
    business_date_fixture,
    outbox_fixture,
    world_fixture,
)
from lifecrm.core.models import AuditEvent
from lifecrm.core.registries import timeline_sources
from lifecrm.org.rules import Action, allows
from lifecrm.org.selectors import data_scope_for_user

pytestmark = pytest.mark.django_db


def task(policy) -> Reminder:
    return Reminder.objects.get(due_item__policy=policy, status__in=("task_open", "done"))


def scope(world, who):
    return data_scope_for_user(world.staff[who].user)


def numbers(tasks) -> set[str]:
    return {t.policy.number for t in tasks}


def test_each_role_sees_its_own_list(world):
    a, q, b = world.policy_a.number, world.policy_q.number, world.policy_b.number
    agent = worklists.worklist(scope=scope(world, "agent"), as_of=AS_OF)
    assert numbers(agent.own_tasks) == {a} and agent.queue is None
    assert [(r.policy.number, r.arrears, r.oldest_due) for r in agent.in_grace] == [(a, r.arrears, date(2026, 9, 30))
                                                                                    for r in agent.in_grace]
    other = worklists.worklist(scope=scope(world, "agent_other"), as_of=AS_OF)
    assert other.own_tasks == [] and other.in_grace == []
    branch_callcentre = worklists.worklist(scope=scope(world, "callcentre"), as_of=AS_OF)
    assert numbers(branch_callcentre.queue) == {q}  # branch A's queue
    assert branch_callcentre.own_tasks == [] and branch_callcentre.in_grace is None  # a manager may hand calls over
    for who in ("callcentre_hq", "hq"):
        assert numbers(worklists.worklist(scope=scope(world, who), as_of=AS_OF).queue) == {q, b}
    for who in ("counter", "claims"):
        assert not any(allows(scope(world, who), action) for action in worklists.WORKLIST_ACTIONS)
    assert allows(scope(world, "branch"), Action.SUPERVISE_TASKS)  # the branch's lists: test_supervision


def test_the_outcome_closes_the_task_with_an_audit_row_and_shows_on_the_timeline(world):
    open_task = task(world.policy_a)
    closed = worklists.reminder_task_log_outcome(
        actor=world.staff["agent"].user, reminder_id=open_task.pk, outcome="will_pay", note="pays  on Monday",
        promised_on=date(2026, 10, 12), as_of=AS_OF)
    assert (closed.status, closed.outcome, closed.done_on) == ("done", "will_pay", AS_OF)
    assert "promised to pay by 2026-10-12" in closed.detail and "note: pays on Monday" in closed.detail
    audit = AuditEvent.objects.filter(object_type="billing.reminder", object_id=str(open_task.pk),
                                      field="call_outcome").get()
    assert audit.actor == world.staff["agent"].user
    assert audit.after["outcome"] == "will_pay" and audit.after["promised_on"] == "2026-10-12"
    assert audit.before["status"] == "task_open"
    assert worklists.worklist(scope=scope(world, "agent"), as_of=AS_OF).own_tasks == []
    # The reminders' own timeline source shows the outcome: no second source for it.
    assert "billing.reminders" in timeline_sources()
    with translation.override("en"):
        entries = timeline_sources()["billing.reminders"](scope=scope(world, "agent"),
                                                          customer_id=world.policy_a.owner_id, as_of=AS_OF)
    [entry] = [e for e in entries if "call outcome" in e.detail]
    assert world.policy_a.number in entry.title and "phone task done" in entry.title


@pytest.mark.parametrize(("who", "policy", "message"), [
    ("agent_other", "policy_a", "not on your work list"),  # someone else's task
    ("callcentre", "policy_a", "not on your work list"),  # assigned to an agent: not the queue's
    ("callcentre", "policy_b", "not on your work list"),  # the queue of another branch
    ("branch", "policy_q", "not on your work list"),  # a branch manager has no work list
])
def test_a_task_off_your_list_is_refused(world, who, policy, message):
    target = task(getattr(world, policy))
    with pytest.raises(worklists.TaskRefused, match=message):
        worklists.reminder_task_log_outcome(actor=world.staff[who].user, reminder_id=target.pk, outcome="no_answer",
                                            as_of=AS_OF)
    assert Reminder.objects.get(pk=target.pk).status == "task_open"


@pytest.mark.parametrize(("outcome", "promised_on", "note", "message"), [
    ("maybe", None, "", "Choose what came of the call"),
    ("no_answer", date(2026, 10, 12), "", "goes only with"),
    ("will_pay", date(2026, 10, 9), "", "today or later"),
    ("will_pay", None, "", "needs the date the customer promised"),
    ("will_pay", date(2027, 10, 12), "", "within a year: by 2027-10-11"),
    ("will_pay", date(2999, 1, 1), "", "within a year"),
    ("refused", None, "x" * 201, "at most 200"),
])
def test_bad_outcomes_are_refused_and_change_nothing(world, outcome, promised_on, note, message):
    target = task(world.policy_q)
    with pytest.raises(worklists.TaskRefused, match=message):
        worklists.reminder_task_log_outcome(actor=world.staff["callcentre"].user, reminder_id=target.pk,
                                            outcome=outcome, promised_on=promised_on, note=note, as_of=AS_OF)
    assert Reminder.objects.get(pk=target.pk).status == "task_open"
    assert not AuditEvent.objects.filter(object_type="billing.reminder").exists()


def test_a_closed_task_cannot_be_closed_again(world):
    target = task(world.policy_q)
    actor = world.staff["callcentre"].user
    worklists.reminder_task_log_outcome(actor=actor, reminder_id=target.pk, outcome="no_answer", as_of=AS_OF)
    with pytest.raises(worklists.TaskRefused, match="already closed"):
        worklists.reminder_task_log_outcome(actor=actor, reminder_id=target.pk, outcome="refused", as_of=AS_OF)


def test_the_outcomes_are_the_ladders_codes():
    assert set(worklists.OUTCOMES) <= set(reminders.PHONE_OUTCOMES)


# -- the page --------------------------------------------------------------------------------------------

def login(client, world, who):
    client.force_login(world.staff[who].user)
    return client


def test_the_page_lists_the_tasks_with_a_form_each(client, world):
    body = login(client, world, "agent").get(reverse("billing:worklist")).content.decode()
    target = task(world.policy_a)
    assert f'id="task-{target.pk}"' in body and world.policy_a.number in body
    assert f'hx-post="{reverse("billing:task-outcome", args=[target.pk])}"' in body
    assert "Your customers' policies in grace" in body and "13800138000" in body
    queue = login(client, world, "callcentre").get(reverse("billing:worklist")).content.decode()
    assert "Call-centre queue" in queue and world.policy_q.number in queue and world.policy_a.number not in queue


def test_logging_an_outcome_through_htmx_swaps_the_card(client, world):
    target = task(world.policy_q)
    url = reverse("billing:task-outcome", args=[target.pk])
    client = login(client, world, "callcentre")
    bad = client.post(url, {"outcome": "no_answer", "promised_on": "2026-10-12"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and "goes only with" in bad.content.decode()
    assert "<html" not in bad.content.decode()  # a fragment
    no_date = client.post(url, {"outcome": "will_pay"}, HTTP_HX_REQUEST="true")
    assert no_date.status_code == 400 and "needs the date the customer promised" in no_date.content.decode()
    assert Reminder.objects.get(pk=target.pk).status == "task_open"
    done = client.post(url, {"outcome": "call_back", "note": "after 6 pm"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200
    body = done.content.decode()
    assert 'data-testid="task-done"' in body and "asked to be called back" in body and "<html" not in body
    again = client.post(url, {"outcome": "refused"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and "already closed" in again.content.decode()


def test_without_javascript_the_outcome_redirects_to_the_list(client, world):
    target = task(world.policy_a)
    client = login(client, world, "agent")
    page = client.get(reverse("billing:task-outcome", args=[target.pk]))
    assert page.status_code == 200 and "<html" in page.content.decode()
    response = client.post(reverse("billing:task-outcome", args=[target.pk]), {"outcome": "wrong_number"})
    assert response.status_code == 302 and response["Location"] == reverse("billing:worklist")
    assert Reminder.objects.get(pk=target.pk).outcome == "wrong_number"


def test_tasks_off_the_list_are_404_on_the_page(client, world):
    for who, policy in (("agent_other", "policy_a"), ("callcentre", "policy_b"), ("callcentre", "policy_a")):
        url = reverse("billing:task-outcome", args=[task(getattr(world, policy)).pk])
        assert login(client, world, who).post(url, {"outcome": "no_answer"}).status_code == 404
    assert login(client, world, "claims").get(
        reverse("billing:task-outcome", args=[task(world.policy_q).pk])).status_code == 403


def test_the_worklist_runs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    client = login(client, world, "callcentre_hq")
    # session, user, staff (scope and layout), own tasks (handed over by a manager), the queue.
    with django_assert_max_num_queries(5):
        assert client.get(reverse("billing:worklist")).status_code == 200
    client = login(client, world, "agent")
    # session, user, staff (scope and layout), own tasks, policies in grace, their arrears.
    with django_assert_max_num_queries(6):
        assert client.get(reverse("billing:worklist")).status_code == 200

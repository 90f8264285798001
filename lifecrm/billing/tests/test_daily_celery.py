"""The billing daily steps fanned out to a real Celery worker (Redis) give exactly the in-process result."""
from __future__ import annotations

from datetime import date

import pytest
from celery.signals import task_postrun
from django.core.management import call_command

from lifecrm.billing.models import DueItem, Payment, Reminder
from lifecrm.core.models import JobChunk, JobRun
from lifecrm.core.tests.test_jobs_celery import celery_worker  # noqa: F401  (the worker fixture)
from lifecrm.policies.models import Policy
from tests.factories import make_customer, make_org, make_policy, make_staff

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
ISSUES = [date(2026, 8, 31), date(2026, 7, 15), date(2026, 10, 15)]


def make_world(org, agent) -> list[int]:
    ids = []
    for n, issued in enumerate(ISSUES):
        owner = make_customer(branch=org.branch_a, agent=agent, mobile_phone=None, name=f"客户{n}")
        ids.append(make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=issued,
                               as_of=issued).pk)
    return ids


def snapshot(policy_ids: list[int]) -> list:
    rows = []
    for pk in policy_ids:
        policy = Policy.objects.get(pk=pk)
        rows.append((
            policy.status, policy.status_date, policy.paid_instalments, policy.paid_to_date,
            list(policy.events.order_by("seq").values_list("kind", "to_status", "effective_date", "reason")),
            list(DueItem.objects.filter(policy=policy).order_by("kind", "instalment").values_list(
                "instalment", "due_date", "amount", "status", "grace_end", "demand_arrived")),
            list(Reminder.objects.filter(due_item__policy=policy).order_by("due_item__instalment", "step_id")
                 .values_list("due_item__instalment", "step__code", "channel", "status", "scheduled_for")),
            Payment.objects.filter(policy=policy).count(),
        ))
    return rows


def test_run_daily_on_celery_equals_in_process(celery_worker, settings):  # noqa: F811
    org = make_org()
    agent = make_staff("agent", org.team_a)
    in_process = make_world(org, agent)
    call_command("run-daily", as_of="2026-12-01", from_date="2026-11-28", no_progress=True)
    expected = snapshot(in_process)
    assert any(row[0] == "suspended" for row in expected) and any(row[0] == "grace" for row in expected)

    on_celery = make_world(org, agent)
    JobChunk.objects.all().delete()
    JobRun.objects.all().delete()
    settings.LIFECRM_JOBS = "celery"
    done_on_worker = []
    handler = lambda sender=None, **kwargs: done_on_worker.append(sender.name)  # noqa: E731
    task_postrun.connect(handler, weak=False)
    try:
        call_command("run-daily", as_of="2026-12-01", from_date="2026-11-28", no_progress=True)
    finally:
        task_postrun.disconnect(handler)
    assert done_on_worker and set(done_on_worker) == {"lifecrm.core.run_chunk"}
    assert snapshot(on_celery) == expected
    assert snapshot(in_process) == expected  # the first world, run over again, did not change

"""The reminder ladder's bookmark: the daily step looks only at premiums whose bookmark is due, and the
outcome is exactly that of looking at every open premium every day."""
from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q

from lifecrm.billing import reminders
from lifecrm.billing.models import DueItem, Reminder
from lifecrm.billing.reference_data import load_dunning_plans
from lifecrm.policies.models import Policy
from tests.factories import make_customer, make_org, make_policy, make_staff

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.LIFECRM_SMS_OUTBOX = tmp_path / "sms"
    settings.LIFECRM_LETTER_OUTBOX = tmp_path / "letters"


def run_daily(since: date, until: date) -> None:
    call_command("run-daily", as_of=str(until), from_date=str(since), no_progress=True, stdout=StringIO())


def ladder() -> set[tuple]:
    return set(Reminder.objects.values_list("due_item__policy__number", "due_item__instalment", "step__code",
                                            "channel", "status", "scheduled_for", "done_on", "recipient", "detail"))


class Rollback(Exception):
    pass


def test_the_bookmarked_ladder_does_what_a_daily_look_at_every_premium_does(monkeypatch):
    """Seven weeks of a generated book, day by day: pre-due reminders, demands, grace warnings, suspensions,
    their notices. Once with bookmarks, once looking at every premium every day: the same reminders."""
    call_command("seed", customers="400", seed="11", as_of=AS_OF.isoformat(), no_progress=True, stdout=StringIO())
    start, end = AS_OF + timedelta(days=1), AS_OF + timedelta(days=49)
    try:
        with transaction.atomic():
            run_daily(start, end)
            bookmarked = ladder()
            statuses = dict(Policy.objects.values_list("number", "status"))
            raise Rollback
    except Rollback:
        pass
    assert not Reminder.objects.filter(done_on__gt=AS_OF).exists()
    monkeypatch.setattr(reminders, "_bookmark_due", lambda as_of: Q())  # every premium, every day
    run_daily(start, end)
    assert len(bookmarked) > 500
    assert {r[4] for r in bookmarked} >= {"sent", "task_open", "skipped"}
    assert {r[2] for r in bookmarked} >= {"pre-due-15", "pre-due-3", "demand", "grace-warning", "suspension-notice"}
    assert ladder() == bookmarked
    assert dict(Policy.objects.values_list("number", "status")) == statuses


def test_a_steady_day_looks_only_at_the_premiums_with_a_step_due():
    org = make_org()
    agent = make_staff("agent", org.team_a)
    owner = make_customer(branch=org.branch_a, agent=agent)
    # monthly from 31 Aug 2026: instalment 1 due 30 Sep, its pre-due SMS on 15 and 27 Sep
    policy = make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2026, 8, 31),
                         as_of=date(2026, 8, 31))
    run_daily(date(2026, 9, 14), date(2026, 9, 15))
    item = DueItem.objects.get(policy=policy, instalment=1)
    assert (item.ladder_version, item.ladder_next_on) == (policy.version, date(2026, 9, 27))
    assert list(reminders.ladder_policy_ids(date(2026, 9, 16))) == []
    assert reminders.reminders_run(as_of=date(2026, 9, 16), first_id=policy.pk, last_id=policy.pk) == 0
    assert list(reminders.ladder_policy_ids(date(2026, 9, 27))) == [policy.pk]
    # a change of the policy (a new version number) or of the plans makes the ladder look again
    Policy.objects.filter(pk=policy.pk).update(version=policy.version + 1)
    assert list(reminders.ladder_policy_ids(date(2026, 9, 16))) == [policy.pk]
    run_daily(date(2026, 9, 16), date(2026, 9, 16))
    assert list(reminders.ladder_policy_ids(date(2026, 9, 17))) == []
    DueItem.objects.filter(pk=item.pk).update(ladder_version=policy.version + 1)
    assert load_dunning_plans(update=True) > 0
    assert list(reminders.ladder_policy_ids(date(2026, 9, 17))) == [policy.pk]


def test_the_bookmark_keeps_the_version_the_ladder_read_not_a_later_one(monkeypatch):
    """A policy changed by someone else while its chunk runs is looked at again the next day."""
    org = make_org()
    agent = make_staff("agent", org.team_a)
    policy = make_policy(owner=make_customer(branch=org.branch_a, agent=agent), agent=agent, branch=org.branch_a,
                         issue_date=date(2026, 8, 31), as_of=date(2026, 8, 31))
    run_daily(date(2026, 9, 14), date(2026, 9, 14))
    save = reminders.Batch.save

    def save_while_the_policy_changes(batch):
        Policy.objects.filter(pk=policy.pk).update(version=policy.version + 5)  # a concurrent change
        return save(batch)

    monkeypatch.setattr(reminders.Batch, "save", save_while_the_policy_changes)
    assert reminders.reminders_run(as_of=date(2026, 9, 15), first_id=policy.pk, last_id=policy.pk) == 1
    assert DueItem.objects.get(policy=policy, instalment=1).ladder_version == policy.version
    assert list(reminders.ladder_policy_ids(date(2026, 9, 16))) == [policy.pk]

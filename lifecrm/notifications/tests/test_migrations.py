"""Letters' print files moved from billing.Letter (keyed by the reminder) to notifications.Letter (keyed by the
message key): billing's migrations 0018-0020 keep every print file, both ways."""
from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from lifecrm.billing.models import Reminder
from tests.factories import make_customer, make_org, make_policy, make_staff

FIRST = ("billing", "0018_reminder_letter")  # the first of the move


@pytest.mark.django_db(transaction=True)
def test_print_files_move_to_notifications_and_back_with_their_text(settings, tmp_path):
    settings.LIFECRM_SMS_OUTBOX, settings.LIFECRM_LETTER_OUTBOX = tmp_path / "sms", tmp_path / "letters"
    org = make_org()
    agent = make_staff("agent", org.team_a)
    policies = [make_policy(owner=make_customer(branch=org.branch_a, agent=agent, address=f"北京市东城区{n}号"),
                            agent=agent, branch=org.branch_a, issue_date=date(2026, 8, 31), as_of=date(2026, 8, 31))
                for n in range(3)]
    call_command("run-daily", as_of="2026-10-01", from_date="2026-09-30", no_progress=True)  # the demand letters
    letters = {row.pk: (row.letter.key, row.letter.html) for row in
               Reminder.objects.filter(channel="letter").select_related("letter")}
    assert len(letters) == 3 and all(f"{p.number}-001-cn-standard-demand" in {k for k, _ in letters.values()}
                                     for p in policies)

    executor = MigrationExecutor(connection)
    before = next(key for key in executor.loader.get_migration(*FIRST).dependencies if key[0] == "billing")
    try:
        executor.migrate([before, ("notifications", None)])
        old = executor.loader.project_state(before).apps.get_model("billing", "Letter")
        assert dict(old.objects.values_list("reminder_id", "html")) == {pk: html for pk, (_, html) in letters.items()}
    finally:  # forwards again whatever happened: the next tests need the current schema
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    after = Reminder.objects.filter(channel="letter").select_related("letter")
    assert {row.pk: (row.letter.key, row.letter.html) for row in after} == letters
    assert {row.letter.recorded_on for row in after} == {date(2026, 10, 1)}

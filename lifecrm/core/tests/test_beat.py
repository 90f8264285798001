"""Celery beat starts `run-daily` once a day: the schedule, and the task it sends."""
from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from lifecrm.config.celery import app, daily_schedule
from lifecrm.core.models import JobRun
from lifecrm.core.registries import daily_steps
from lifecrm.core.tasks import DAILY_QUEUE, run_daily_task


def test_beat_sends_run_daily_at_the_configured_time_of_the_business_day():
    entry = app.conf.beat_schedule["run-daily"]
    assert entry["task"] == "lifecrm.core.run_daily" == run_daily_task.name
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({22}, {0})
    assert entry["options"] == {"queue": DAILY_QUEUE, "expires": 3600}
    assert app.conf.timezone == "Asia/Shanghai"  # TIME_ZONE: the schedule is a time of the business day
    assert app.conf.task_routes["lifecrm.core.run_daily"] == {"queue": DAILY_QUEUE}
    assert daily_schedule("05:30")["run-daily"]["schedule"].hour == {5}


@pytest.mark.parametrize("bad", ["25:00", "7", "07:5", "7h30", "", "07:60"])
def test_a_bad_daily_time_is_refused(bad):
    with pytest.raises(ValueError, match="LIFECRM_DAILY_AT must be HH:MM"):
        daily_schedule(bad)


@pytest.mark.django_db
def test_the_task_runs_every_daily_step_for_the_business_date():
    assert run_daily_task("2026-11-25") == "2026-11-25"
    ran = set(JobRun.objects.filter(as_of=date(2026, 11, 25)).values_list("step", flat=True))
    assert {step.name for step in daily_steps.ordered()} <= ran | {"notifications.print_letters"}
    assert "notifications.print_letters" in ran  # and the print run after it

    before = timezone.localdate()
    day = run_daily_task()
    assert day in {before.isoformat(), timezone.localdate().isoformat()}
    assert JobRun.objects.filter(as_of=date.fromisoformat(day)).exists()

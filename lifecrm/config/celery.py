"""The Celery app: batch-job chunks fan out to workers when LIFECRM_JOBS=celery, and beat starts the daily batch.

Start a worker with: celery -A lifecrm.config.celery worker -l info
Beat (one per installation) and the worker of the daily queue that runs what it starts:
    celery -A lifecrm.config.celery beat -l info
    celery -A lifecrm.config.celery worker -Q lifecrm.daily --concurrency 1 -l info
"""
import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifecrm.config.settings")
app = Celery("lifecrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["lifecrm.core", "lifecrm.notifications", "lifecrm.service"])


@setup_logging.connect(weak=False)
def _django_logging(loglevel=None, **kwargs) -> None:
    """Workers and beat log as the web does (JSON in prod, with the request id), not in Celery's own format, at the
    level of their command line (`-l info`: "ready." and every task) rather than the settings' default."""
    import logging
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


# --- Beat: `run-daily` once a day (issue 14 §1) -------------------------------------------------------------
def daily_schedule(at: str) -> dict:
    """The beat schedule for LIFECRM_DAILY_AT ("HH:MM" in TIME_ZONE): the daily batch of that day's date,
    on its own queue; a message not started within the hour expires (run it by hand: it would run a date late)."""
    hour, _, minute = at.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60 and len(minute) == 2):
        raise ValueError(f"LIFECRM_DAILY_AT must be HH:MM, not {at!r}")
    return {
        "run-daily": {
            "task": "lifecrm.core.run_daily",
            "schedule": crontab(hour=int(hour), minute=int(minute)),
            "options": {"queue": "lifecrm.daily", "expires": 3600},
        },
    }


# The outbox between two daily batches: what is due goes out every minute (a run finding nothing costs one query).
OUTBOX_SCHEDULE = {"send-outbox": {"task": "lifecrm.notifications.send_outbox", "schedule": 60.0,
                                   "options": {"expires": 60}}}
# The SLA clocks between two daily batches: warnings and escalations raised (and sent) within five minutes.
SLA_SCHEDULE = {"sla-sweep": {"task": "lifecrm.service.sla_sweep", "schedule": 300.0, "options": {"expires": 300}}}
app.conf.beat_schedule = (daily_schedule(os.environ.get("LIFECRM_DAILY_AT", "22:00")) | OUTBOX_SCHEDULE
                          | SLA_SCHEDULE)
app.conf.task_routes = {"lifecrm.core.run_daily": {"queue": "lifecrm.daily"}}

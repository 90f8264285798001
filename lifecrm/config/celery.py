"""The Celery app: batch-job chunks fan out to workers when LIFECRM_JOBS=celery.

Start a worker with: celery -A lifecrm.config.celery worker -l info
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifecrm.config.settings")
app = Celery("lifecrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["lifecrm.core"])

"""Project configuration. The Celery app is loaded with it, so that every process that loads the settings (the
`lifecrm` command, the web server, a worker) sends and waits for tasks through the configured broker and result
backend: without it `LIFECRM_JOBS=celery lifecrm run-daily` found only Celery's default app, whose results are
disabled."""
from .celery import app as celery_app

__all__ = ["celery_app"]

"""The request id: one id follows a request (or a command) through its logs and into the Celery tasks it queues.

The middleware takes the caller's `X-Request-ID` when it is a plausible id (the proxy's or the load balancer's:
letters, digits, `-_.:@`, at most `MAX_LENGTH`) or makes one, keeps it in a context variable for the request and
answers with it. `RequestIdFilter` writes it on every log record (`record.request_id`, "-" outside a request).
A task queued while an id is current carries it in its message headers (`HEADER`); the worker makes it current
for the task (`task_prerun`), so the chunk tasks of a daily run log the id of the run that queued them.
This module imports no model: the logging configuration loads it before the apps are ready.
"""
from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

HEADER = "lifecrm_request_id"  # Celery message header
HTTP_HEADER = "X-Request-ID"
MAX_LENGTH = 128
_VALID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$")

_current: ContextVar[str | None] = ContextVar("lifecrm_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean(value: str | None) -> str | None:
    """`value` when it can serve as a request id (it is written to logs and headers as is), else None."""
    if not value or len(value) > MAX_LENGTH or not _VALID.match(value):
        return None
    return value


def current() -> str | None:
    return _current.get()


@contextlib.contextmanager
def bound(request_id: str | None) -> Iterator[str | None]:
    """Make `request_id` current inside the block (a command, a test)."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = clean(request.headers.get(HTTP_HEADER)) or new_request_id()
        request.request_id = request_id
        with bound(request_id):
            response = self.get_response(request)
        response[HTTP_HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record that passes the handler it is on (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current.get() or "-"
        return True


# --- Celery: the id travels in the message headers -----------------------------------------------------------
def _publish_with_request_id(sender=None, headers=None, **kwargs) -> None:
    request_id = _current.get()
    if request_id and headers is not None:
        headers.setdefault(HEADER, request_id)


def _run_with_request_id(sender=None, task=None, **kwargs) -> None:
    # Set at each task's start and left for the worker's own "succeeded" line (logged after task_postrun);
    # the next task on this worker sets its own.
    request = getattr(task, "request", None)
    _current.set(clean(getattr(request, HEADER, None) if request is not None else None))


def connect_celery_signals() -> None:
    from celery.signals import before_task_publish, task_prerun

    before_task_publish.connect(_publish_with_request_id, weak=False, dispatch_uid="lifecrm.request_id.publish")
    task_prerun.connect(_run_with_request_id, weak=False, dispatch_uid="lifecrm.request_id.prerun")

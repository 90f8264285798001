"""The request id: taken from X-Request-ID or made, answered, on every log record and carried into Celery tasks."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import date

import pytest
from django.conf import settings

from lifecrm.core import request_id
from lifecrm.core.jobs import chunked_step, run_step
from lifecrm.core.logs import JsonFormatter
from lifecrm.core.request_id import RequestIdFilter, bound
from lifecrm.core.tests.test_jobs_celery import celery_worker  # noqa: F401  the real worker on Redis


@pytest.mark.django_db
def test_a_valid_request_id_is_kept_and_answered(client):
    response = client.get("/readyz", headers={"X-Request-ID": "lb-7f3a:42"})
    assert response["X-Request-ID"] == "lb-7f3a:42"


@pytest.mark.django_db
@pytest.mark.parametrize("given", [None, "", "x" * 129, "has space", "new\nline", "<script>", "-leading-dash"])
def test_a_missing_or_implausible_request_id_is_replaced(client, given):
    headers = {} if given is None else {"X-Request-ID": given}
    answered = client.get("/readyz", headers=headers)["X-Request-ID"]
    assert answered != given and len(answered) == 32 and int(answered, 16) >= 0


@pytest.mark.django_db
def test_a_redirect_carries_it_too(client):
    response = client.get("/", headers={"X-Request-ID": "abc-1"})
    assert response.status_code == 302 and response["X-Request-ID"] == "abc-1"


def _captured(logger_name: str) -> tuple[logging.Handler, list[str]]:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect(level=logging.INFO)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    return handler, lines


def test_every_record_carries_the_request_id_as_json():
    logger = logging.getLogger("lifecrm.test.request_id")
    handler, lines = _captured(logger.name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with bound("req-1"):
            logger.info("booked %s", "R1", extra={"policy_id": 7})
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(line) for line in lines)
    assert inside["request_id"] == "req-1" and inside["message"] == "booked R1" and inside["policy_id"] == 7
    assert inside["level"] == "INFO" and inside["logger"] == "lifecrm.test.request_id" and inside["time"].endswith("+00:00")
    assert "request_id" not in outside


def test_gunicorn_access_atoms_become_fields():
    record = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, '%(h)s "%(r)s" %(s)s',
                               {"h": "10.0.0.1", "r": "GET /healthz HTTP/1.1", "s": "200", "m": "GET",
                                "U": "/healthz", "q": "", "B": "61", "D": "1520", "a": "curl/8",
                                "{x-request-id}o": "abc"}, None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == '10.0.0.1 "GET /healthz HTTP/1.1" 200'
    assert (entry["method"], entry["path"], entry["status"], entry["duration_ms"], entry["request_id"]) == (
        "GET", "/healthz", "200", 1.5, "abc")


_seen_in_chunks: list[str | None] = []


@chunked_step("test.request_id", ids=lambda as_of: range(1, 21), chunk_size=10)
def request_id_step(as_of: date, first_id: int, last_id: int) -> int:
    _seen_in_chunks.append(request_id.current())
    return last_id - first_id + 1


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_chunks_a_command_queues_log_its_request_id(celery_worker):  # noqa: F811
    handler, lines = _captured("lifecrm.core.tasks")
    tasks_logger = logging.getLogger("lifecrm.core.tasks")
    tasks_logger.addHandler(handler)
    level = tasks_logger.level
    tasks_logger.setLevel(logging.INFO)
    _seen_in_chunks.clear()
    try:
        with bound("cmd-run-daily-1"):
            run_step("test.request_id", as_of=date(2025, 10, 20), progress=False, backend="celery")
    finally:
        tasks_logger.removeHandler(handler)
        tasks_logger.setLevel(level)
    assert _seen_in_chunks == ["cmd-run-daily-1", "cmd-run-daily-1"]
    entries = [json.loads(line) for line in lines]
    assert [(entry["chunk_id"] > 0, entry["rows"], entry["request_id"]) for entry in entries] == [
        (True, 10, "cmd-run-daily-1"), (True, 10, "cmd-run-daily-1")]


def test_a_command_has_one_request_id_for_its_run(tmp_path):
    env = {"LIFECRM_ENV": "test", "PATH": "", "LIFECRM_VAR": str(tmp_path)}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    code = "from lifecrm.core import request_id; print(request_id.current())"
    result = subprocess.run([sys.executable, "-m", "lifecrm", "shell", "--no-imports", "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip()) == 32 and int(result.stdout.strip(), 16) >= 0


def test_a_worker_logs_at_the_level_its_command_line_asks_for():
    """`celery worker -l info` logs "ready." and each task, whatever the settings' default level (WARNING in dev):
    Celery leaves its logging to lifecrm's setup_logging handler, which must keep the worker's level."""
    from lifecrm.config.celery import _django_logging

    root = logging.getLogger()
    before = root.level, list(root.handlers)
    try:
        _django_logging(loglevel=logging.INFO, logfile=None, format="", colorize=False)
        assert root.level == logging.INFO
        _django_logging(loglevel=None)
        assert root.level == logging.getLevelName(settings.LOGGING["root"]["level"])
    finally:
        root.setLevel(before[0])
        root.handlers[:] = before[1]

"""The batch runner on Celery: a real worker thread on the real Redis gives what the in-process runner gives.

The worker thread opens its own database connection, so the test commits for real
(`transaction=True`); it runs on SQLite (the in-memory test database is shared between threads)
and on PostgreSQL. Broker and result backend are Redis database 15, on a queue of this test's own
so that no other test run's worker takes its chunks.
"""
from __future__ import annotations

import socket
import uuid
from datetime import date

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections
from django.utils.module_loading import import_string

from lifecrm.core.jobs import run_step
from lifecrm.core.models import JobRun
from lifecrm.core.tests.test_jobs import (
    expected_rows,
    fail_a_chunk_then_rerun,
    run_a_big_and_a_small_step,
    run_side_by_side,
    toy_rows,
)

REDIS_URL = "redis://127.0.0.1:6379/15"

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def redis_is_listening() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def _close_worker_connections(**kwargs) -> None:
    # In the worker thread: its connection must not outlive the test (PostgreSQL drops the test database).
    connections.close_all()


@pytest.fixture
def celery_worker(settings):
    settings.LIFECRM_JOB_CHUNK_SIZE = None
    if not redis_is_listening():
        pytest.skip("Redis is not listening on 127.0.0.1:6379 (the Celery tests need a real broker)")
    # The app the worker command names (`celery -A lifecrm.config.celery worker`), by the same dotted path.
    app = import_string("lifecrm.config.celery.app")
    queue = f"lifecrm-test-{uuid.uuid4().hex[:12]}"
    keys = ("broker_url", "result_backend", "task_default_queue", "task_routes", "task_always_eager")
    saved = {key: app.conf.get(key) for key in keys}
    app.conf.update(broker_url=REDIS_URL, result_backend=REDIS_URL, task_default_queue=queue,
                    task_routes={"lifecrm.core.run_chunk": {"queue": queue}}, task_always_eager=False)
    import lifecrm.core.tasks  # noqa: F401  registers the chunk task on the app

    task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue],
                          shutdown_timeout=30):
            yield app
    finally:
        task_postrun.disconnect(_close_worker_connections)
        app.conf.update(saved)


def test_celery_runs_like_in_process_and_resumes_after_a_worker_failure(celery_worker):
    """One test, one worker: each transactional test costs a database flush and reference data reload."""
    in_process, on_celery, failing = date(2025, 10, 8), date(2025, 10, 9), date(2025, 10, 10)

    run_step("test.toy", as_of=in_process, progress=False, backend="inprocess")
    run = run_step("test.toy", as_of=on_celery, progress=False, backend="celery")
    assert run.status == JobRun.Status.DONE and run.chunk_count == 10
    assert run.chunks.filter(done_at__isnull=True).count() == 0
    assert toy_rows(on_celery) == expected_rows(on_celery)
    assert [k.split(":")[1] for k in toy_rows(on_celery)] == [k.split(":")[1] for k in toy_rows(in_process)]
    again = run_step("test.toy", as_of=on_celery, progress=False, backend="celery")  # a finished run: no-op
    assert again.pk == run.pk and toy_rows(on_celery) == expected_rows(on_celery)

    # chunk 5 fails on the worker; the worker goes on with the others
    assert fail_a_chunk_then_rerun(failing, "celery") == [5]

    run_side_by_side(date(2025, 10, 11), "celery")  # two steps' chunks in one group
    run_a_big_and_a_small_step(date(2025, 10, 12), "celery")  # the small step's chunk first in the group

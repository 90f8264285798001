"""The batch runner's Celery settings and its answers to faults: a step's ids shared out among the workers'
processes, a chunk that lost its database connection tried again after a growing delay, and a wait that ends by
naming the chunks not done."""
from __future__ import annotations

import uuid
from datetime import date

import pytest
from django.conf import settings as django_settings
from django.utils.module_loading import import_string

from lifecrm.core import jobs, tasks
from lifecrm.core.jobs import ChunksStuck, chunk_size_for, get_chunked_step, run_step
from lifecrm.core.models import JobRun
from lifecrm.core.tests.test_jobs import toy_step  # noqa: F401  registers the toy steps
from lifecrm.core.tests.test_jobs_celery import REDIS_URL, redis_is_listening


def test_the_celery_settings_make_a_lost_worker_give_its_chunk_back():
    assert django_settings.CELERY_TASK_ACKS_LATE and django_settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert django_settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert 0 < django_settings.CELERY_TASK_SOFT_TIME_LIMIT < django_settings.CELERY_TASK_TIME_LIMIT
    visibility = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > 2 * django_settings.CELERY_TASK_TIME_LIMIT
    app = import_string("lifecrm.config.celery_app")  # loaded with the settings: `lifecrm run-daily` has it
    assert app.conf.task_acks_late and app.conf.worker_prefetch_multiplier == 1
    assert tasks.run_chunk_task.acks_late and tasks.run_chunk_task.reject_on_worker_lost


def test_a_step_is_shared_out_among_the_celery_workers_processes(settings):
    settings.LIFECRM_JOB_CHUNK_SIZE = None
    settings.LIFECRM_JOB_WORKERS = 1
    settings.LIFECRM_CELERY_WORKERS = 4
    step = jobs.ChunkedStep("test.big", ids=lambda as_of: range(1, 4001), process=lambda *a: 0, chunk_size=5000)
    assert jobs.celery_worker_processes() == 4
    assert chunk_size_for(step, 4000) == 4000  # in-process, one process: one chunk
    assert chunk_size_for(step, 4000, jobs.celery_worker_processes()) == 1000  # a chunk for each worker process
    assert chunk_size_for(step, 1200, 4) == jobs.MIN_SHARED_CHUNK


def test_a_chunk_that_lost_its_connection_is_tried_again_later_and_later(settings):
    settings.LIFECRM_CHUNK_RETRY_MAX_DELAY = 20
    assert [tasks.retry_delay(n) for n in range(6)] == [2, 4, 8, 16, 20, 20]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_chunks_no_worker_takes_make_the_run_fail_naming_them(settings):
    if not redis_is_listening():
        pytest.skip("Redis is not listening on 127.0.0.1:6379")
    app = import_string("lifecrm.config.celery.app")
    queue = f"lifecrm-test-nobody-{uuid.uuid4().hex[:8]}"
    keys = ("broker_url", "result_backend", "task_default_queue", "task_routes", "task_always_eager")
    saved = {key: app.conf.get(key) for key in keys}
    app.conf.update(broker_url=REDIS_URL, result_backend=REDIS_URL, task_default_queue=queue,
                    task_routes={"lifecrm.core.run_chunk": {"queue": queue}}, task_always_eager=False)
    settings.LIFECRM_JOB_WAIT_SECONDS = 1
    settings.LIFECRM_CELERY_WORKERS = 2
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    try:
        with pytest.raises(ChunksStuck) as stuck:
            run_step("test.toy_other", as_of=date(2025, 10, 20), progress=False, backend="celery")
    finally:
        app.conf.update(saved)
        import redis

        redis.Redis.from_url(REDIS_URL).delete(queue)
    message = str(stuck.value)
    assert message.startswith("3 chunk(s) not done after waiting 1 s (LIFECRM_JOB_WAIT_SECONDS): ")
    assert "test.toy_other chunk 0 (ids 1-10); test.toy_other chunk 1 (ids 11-20); " in message
    assert f"queue {queue!r}" in message and "run the same command again to resume" in message
    run = JobRun.objects.get(step="test.toy_other", as_of=date(2025, 10, 20))
    assert run.status == JobRun.Status.FAILED and "chunk 2 (ids 21-30)" in run.error
    assert get_chunked_step("test.toy_other")

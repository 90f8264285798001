"""The in-process runner on forked processes (LIFECRM_JOB_WORKERS > 1, PostgreSQL): the same rows as one process,
and a failed chunk leaves a run that a rerun finishes. The processes commit for real (`transaction=True`)."""
from __future__ import annotations

import asyncio
from datetime import date

import pytest
from django.db import connection, transaction

from lifecrm.core import jobs
from lifecrm.core.jobs import run_step
from lifecrm.core.models import JobRun
from lifecrm.core.tests.test_jobs import expected_rows, fail_a_chunk_then_rerun, run_side_by_side, toy_rows

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def workers(settings):
    if connection.vendor != "postgresql":
        pytest.skip("chunks run on forked processes on PostgreSQL only (SQLite takes one writer at a time)")
    settings.LIFECRM_JOB_CHUNK_SIZE = None
    settings.LIFECRM_JOB_WORKERS = 2


def test_forked_processes_write_what_one_process_writes(workers, monkeypatch):
    one, two = date(2025, 10, 8), date(2025, 10, 9)
    forked = []
    monkeypatch.setattr(jobs, "_run_in_processes", lambda *a, real=jobs._run_in_processes: forked.append(1) or real(*a))
    run_step("test.toy", as_of=one, progress=False, backend="inprocess")
    assert forked  # the 10 chunks went to the processes
    with monkeypatch.context() as m:
        m.setattr(jobs, "_can_fork", lambda: False)
        run_step("test.toy", as_of=two, progress=False, backend="inprocess")
    assert toy_rows(one) == expected_rows(one) and toy_rows(two) == expected_rows(two)
    run = JobRun.objects.get(step="test.toy", as_of=one)
    assert run.status == JobRun.Status.DONE and not run.chunks.filter(done_at__isnull=True).exists()
    assert sum(run.chunks.values_list("rows", flat=True)) == 100
    again = run_step("test.toy", as_of=one, progress=False, backend="inprocess")  # a finished run: no-op
    assert again.pk == run.pk and toy_rows(one) == expected_rows(one)


def test_two_steps_side_by_side_share_the_processes(workers, monkeypatch):
    forked = []
    monkeypatch.setattr(jobs, "_run_in_processes", lambda chunks, *a, real=jobs._run_in_processes:
                        forked.append(len(chunks)) or real(chunks, *a))
    run_side_by_side(date(2025, 10, 13), "inprocess")
    assert forked == [13]  # the chunks of both steps, on one pool


def test_a_failed_chunk_on_a_process_fails_the_run_and_a_rerun_finishes_it(workers):
    fail_a_chunk_then_rerun(date(2025, 10, 10), "inprocess")  # chunks not started when it failed stay undone too


def test_a_chunk_locks_its_own_row_only_so_chunks_of_a_run_run_side_by_side(workers):
    from django.test.utils import CaptureQueriesContext

    run = jobs._open_run(jobs.get_chunked_step("test.toy"), date(2025, 10, 12), "")
    with CaptureQueriesContext(connection) as queries:
        jobs.run_chunk(run.chunks.order_by("index").values_list("pk", flat=True)[0])
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) == 1 and locks[0].endswith('FOR UPDATE OF "core_jobchunk"')


def test_inside_a_transaction_the_chunks_stay_in_this_process(workers):
    with transaction.atomic():
        assert not jobs._can_fork()
        run = run_step("test.toy", as_of=date(2025, 10, 11), progress=False, backend="inprocess")
        assert run.status == JobRun.Status.DONE


def test_the_processes_never_use_a_connection_of_this_process_while_an_event_loop_runs_here(workers):
    """In a thread whose event loop runs (Playwright's synchronous API in a test process), Django keeps the
    thread's connections in context-local storage: the thread-local connection opened before stays open, unseen
    by `connections.close_all()`. Forked processes that used it would share this process's socket."""
    JobRun.objects.exists()  # a connection in the thread-local storage, open
    loop = asyncio.new_event_loop()
    asyncio._set_running_loop(loop)  # as Playwright's synchronous API leaves it between its calls
    try:
        run = run_step("test.toy", as_of=date(2025, 10, 14), progress=False, backend="inprocess")
    finally:
        asyncio._set_running_loop(None)
        loop.close()
    assert run.status == JobRun.Status.DONE and toy_rows(date(2025, 10, 14)) == expected_rows(date(2025, 10, 14))

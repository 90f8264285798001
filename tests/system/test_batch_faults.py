"""The batch on real processes and PostgreSQL, as an operator runs it, and the faults it survives.

- `LIFECRM_JOBS=celery lifecrm run-daily` with a worker started by the README's command writes exactly the rows of
  an in-process run (on a copy of the same generated book);
- a Celery worker process killed (SIGKILL) mid-chunk: its chunk goes back to the queue (acks_late,
  reject_on_worker_lost) and runs again; the run completes, every chunk applied once;
- the PostgreSQL server restarted mid-run (a server of the test's own, `tests/system/private_postgres.py`, so the
  machine's server that the other test runs share stays up): it fails clearly, and the rerun resumes from its
  checkpoints and ends with the rows of a clean run.

The subprocesses use the test database itself (the test commits for real: `transaction=True`) and Redis db 9, on a
queue of the test's own. PostgreSQL only: a worker process cannot reach SQLite's in-memory test database.
"""
from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import psycopg
import pytest
import redis
from django.db import connection, connections

from lifecrm.core.tests.test_jobs_celery import redis_is_listening
from tests.system.private_postgres import PrivatePostgres, server_binaries
from tests.system.test_run_daily_kill import SNAPSHOT_QUERIES

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/9"
CELERY = str(Path(sys.executable).parent / "celery")
SEED_AS_OF, AS_OF = "2026-09-30", "2026-10-01"

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pg(tmp_path):
    """The test database's URL (and an admin URL to copy it), for the subprocesses."""
    if connection.vendor != "postgresql":
        pytest.skip("the batch's processes share the database: PostgreSQL only (SQLite's test database is in memory)")
    if not redis_is_listening():
        pytest.skip("Redis is not listening on 127.0.0.1:6379")
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    base = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return {"url": f"{base}/{s['NAME']}", "name": s["NAME"], "base": base}


def env_for(database_url: str, var: Path, queue: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIFECRM_", "DATABASE_URL", "CELERY_"))}
    env.update(LIFECRM_ENV="dev", DATABASE_URL=database_url, LIFECRM_VAR=str(var), CELERY_BROKER_URL=REDIS_URL,
               CELERY_RESULT_BACKEND=REDIS_URL, LIFECRM_CELERY_QUEUE=queue,
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])), **extra)
    return env


def lifecrm(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lifecrm", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class Workers:
    """Celery workers started with the README's command (plus a queue and a name), stopped by their process group."""

    def __init__(self, env: dict, log_dir: Path):
        self.env, self.log_dir, self.processes = env, log_dir, {}

    def start(self, name: str, *, concurrency: int, include: str = "") -> None:
        log = self.log_dir / f"{name}.log"
        command = [CELERY, "-A", "lifecrm.config.celery", "worker", "-l", "info", "--concurrency", str(concurrency),
                   "-Q", self.env["LIFECRM_CELERY_QUEUE"], "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h",
                   "--without-gossip", "--without-mingle"] + (["-I", include] if include else [])
        with open(log, "w") as out:
            self.processes[name] = subprocess.Popen(command, env=self.env, cwd=REPO, stdout=out,
                                                    stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180  # a worker's start-up (imports, broker) on a busy machine
        while " ready." not in log.read_text():
            assert self.processes[name].poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"worker {name} did not start:\n{log.read_text()}"
            time.sleep(0.2)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)


@pytest.fixture
def queue():
    name = f"lifecrm-test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(name, f"lifecrm-test:{name}:starts")


def snapshot(database_url: str, *, chunks: bool = True) -> dict[str, list[tuple]]:
    with psycopg.connect(database_url) as db:
        return {name: sorted(map(tuple, db.execute(sql).fetchall()), key=repr)
                for name, sql in SNAPSHOT_QUERIES.items() if chunks or name != "job_chunks"}


def _end_leftover_sessions(admin, database: str) -> None:
    """Sessions on the test database that this test did not open (this process's own are closed): an earlier
    test of this worker left them idle. Named in a warning (so the leak shows in the run's summary) and ended,
    as the copy needs the database to itself."""
    leftovers = admin.execute(
        "SELECT pid, application_name, state, backend_start, left(query, 200) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchall()
    for pid, application, state, started, query in leftovers:
        warnings.warn(f"an earlier test left a session on {database}: pid {pid} {application!r} {state} since "
                      f"{started:%H:%M:%S}, last query {query!r}", stacklevel=2)
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


class Copy:
    """A copy of the test database (CREATE DATABASE … TEMPLATE: no one may be connected to the test database)."""

    def __init__(self, pg: dict, suffix: str):
        self.pg, self.name = pg, f"{pg['name']}_{suffix}"
        connections.close_all()
        gc.collect()  # a connection an earlier test's thread left unreachable closes when it is collected
        with psycopg.connect(f"{pg['base']}/postgres", autocommit=True) as admin:
            _end_leftover_sessions(admin, pg["name"])
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            admin.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{pg["name"]}"')
        self.url = f"{pg['base']}/{self.name}"

    def drop(self) -> None:
        with psycopg.connect(f"{self.pg['base']}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def seed(env: dict) -> None:
    ok(lifecrm(env, "seed", "--customers", "300", "--seed", "7", "--as-of", SEED_AS_OF, timeout=300))


def test_run_daily_on_celery_workers_started_as_the_readme_says_writes_what_in_process_writes(pg, queue, tmp_path):
    env = env_for(pg["url"], tmp_path / "var", queue)
    seed(env)
    copy = Copy(pg, "inprocess")
    workers = Workers(env | {"LIFECRM_JOBS": "celery"}, tmp_path)
    try:
        ok(lifecrm(env_for(copy.url, tmp_path / "var-copy", queue, LIFECRM_JOBS="inprocess"),
                   "run-daily", "--as-of", AS_OF, "--no-progress"))
        workers.start("readme", concurrency=2)
        out = ok(lifecrm(env | {"LIFECRM_JOBS": "celery"}, "run-daily", "--as-of", AS_OF, "--no-progress"))
        assert f"{AS_OF}: " in out
        assert "lifecrm.core.run_chunk" in workers.log("readme") and " succeeded in " in workers.log("readme")
        on_celery, in_process = snapshot(pg["url"], chunks=False), snapshot(copy.url, chunks=False)
        assert on_celery["payments"] and on_celery["reminders"]  # the day did something to compare
        assert on_celery == in_process
    finally:
        workers.stop()
        copy.drop()
    with psycopg.connect(pg["url"]) as db:
        assert db.execute("SELECT count(*) FROM core_jobrun WHERE status <> 'done'").fetchone()[0] == 0


def test_a_worker_process_killed_mid_chunk_gives_its_chunk_back_and_the_run_completes(pg, queue, tmp_path):
    env = env_for(pg["url"], tmp_path / "var", queue, LIFECRM_JOBS="celery")
    workers = Workers(env, tmp_path)
    starts = redis.Redis.from_url(REDIS_URL)
    key = f"lifecrm-test:{queue}:starts"
    try:
        workers.start("one", concurrency=1, include="tests.system.slow_steps")
        workers.start("two", concurrency=1, include="tests.system.slow_steps")
        driver = subprocess.Popen(
            [sys.executable, "-c", "import django; django.setup(); import tests.system.slow_steps; "
             "from datetime import date; from lifecrm.core.jobs import run_step; "
             "run = run_step('test.slow', as_of=date(2025, 10, 8), progress=False); print(run.status, run.chunk_count)"],
            env=env | {"DJANGO_SETTINGS_MODULE": "lifecrm.config.settings"}, cwd=REPO, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 180  # a worker's start-up (imports, broker) on a busy machine
        while starts.llen(key) < 2:  # the second chunk has just started: its process is mid-chunk
            assert driver.poll() is None and time.monotonic() < deadline, driver.stdout.read()
            time.sleep(0.02)
        killed_chunk, killed_pid = starts.lindex(key, 1).decode().split(":")
        os.kill(int(killed_pid), signal.SIGKILL)
        out, _ = driver.communicate(timeout=60)
        assert driver.returncode == 0 and out.strip().endswith("done 8"), out
    finally:
        workers.stop()
    attempts = [entry.decode().split(":")[0] for entry in starts.lrange(key, 0, -1)]
    assert attempts.count(killed_chunk) == 2  # the killed chunk ran again, on a new process
    logs = workers.log("one") + workers.log("two")
    assert "WorkerLostError" in logs or "exited prematurely" in logs  # the pool noticed the loss
    with psycopg.connect(pg["url"]) as db:
        keys = [row[0] for row in db.execute("SELECT object_id FROM core_auditevent WHERE object_type = 'test.slow'")]
        chunks = db.execute("SELECT count(*), count(done_at), sum(rows) FROM core_jobchunk c JOIN core_jobrun r "
                            "ON r.id = c.run_id WHERE r.step = 'test.slow'").fetchone()
    assert sorted(keys) == sorted(f"slow:2025-10-08:{n}" for n in range(1, 41))  # each row once
    assert chunks == (8, 8, 40)  # every chunk done, its rows counted once


@pytest.fixture
def private_postgres():
    binaries = server_binaries()
    assert binaries is not None, "no PostgreSQL server binaries under /usr/lib/postgresql (README: Debian postgresql)"
    server = PrivatePostgres(binaries)
    yield server
    server.destroy()


def test_run_daily_through_a_postgresql_restart_fails_clearly_and_the_rerun_resumes(pg, queue, tmp_path,
                                                                                      private_postgres):
    """The database server restarted while `run-daily` works (on a server of the test's own, so the machine's server
    that the other test runs share stays up): the chunk in flight rolls back, the command stops with a clear
    message, and the same command run again, once the server is back, finishes from the checkpoints with the rows
    of a run that was never interrupted."""
    seed(env_for(pg["url"], tmp_path / "var-seed", queue))
    url = private_postgres.create_database_from(pg["url"], "lifecrm")
    clean = private_postgres.copy_database("lifecrm", "lifecrm_clean")
    env = env_for(url, tmp_path / "var", queue, LIFECRM_JOB_CHUNK_SIZE="10")
    ok(lifecrm(env_for(clean, tmp_path / "var-clean", queue, LIFECRM_JOB_CHUNK_SIZE="10"),
           "run-daily", "--as-of", AS_OF, "--no-progress"))
    total = snapshot(clean)["job_chunks"]

    process = subprocess.Popen([sys.executable, "-m", "lifecrm", "run-daily", "--as-of", AS_OF, "--no-progress"],
                               env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with psycopg.connect(url, autocommit=True) as db:
        deadline = time.monotonic() + 120
        while db.execute("SELECT count(*) FROM core_jobchunk WHERE done_at IS NOT NULL").fetchone()[0] < len(total) // 3:
            assert process.poll() is None, "run-daily finished before the server could be restarted"
            assert time.monotonic() < deadline
            time.sleep(0.02)
    private_postgres.restart()
    out, _ = process.communicate(timeout=120)
    with psycopg.connect(url) as db:
        done_before = db.execute("SELECT id, done_at FROM core_jobchunk WHERE done_at IS NOT NULL").fetchall()
    assert process.returncode == 1, out
    assert "the database connection was lost" in out and "run the same command again to resume" in out, out
    assert "Traceback" not in out
    assert 0 < len(done_before) < len(total)

    ok(lifecrm(env, "run-daily", "--as-of", AS_OF, "--no-progress"))
    with psycopg.connect(url) as db:
        done_after = dict(db.execute("SELECT id, done_at FROM core_jobchunk").fetchall())
    assert all(done_after[pk] == done_at for pk, done_at in done_before)  # resumed: finished chunks not redone
    assert snapshot(url) == snapshot(clean)  # the rows of a run that was never interrupted

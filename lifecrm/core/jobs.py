"""The batch-job runner: a step over id ranges, run as a resumable JobRun with per-chunk checkpoints.

A chunk's work and its checkpoint commit in one transaction, so a run killed at any point and
started again does every chunk exactly once; a finished run for the same as-of date is a no-op. A step declared
`atomic=False` (work that reaches outside the database, e-mail) commits its own work as it goes and its checkpoint
after it: a run killed in a chunk does that chunk again, and the step must make that safe itself.
In-process by default (on LIFECRM_JOB_WORKERS forked processes on PostgreSQL); with LIFECRM_JOBS=celery the
pending chunks fan out to Celery workers, and the runner waits for them at most LIFECRM_JOB_WAIT_SECONDS.
"""
from __future__ import annotations

import multiprocessing
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date

from asgiref.local import Local
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, transaction
from django.utils import timezone
from tqdm import tqdm

from lifecrm.core.models import JobChunk, JobRun
from lifecrm.core.registries import daily_steps

ChunkFunc = Callable[[date, int, int], int]


@dataclass(frozen=True)
class ChunkedStep:
    """`ids(as_of)` yields the ids to cover (ascending); `process(as_of, first_id, last_id)` does one chunk."""

    name: str
    ids: Callable[[date], Iterable[int]]
    process: ChunkFunc
    chunk_size: int = 5000
    keep_ids: bool = False  # record each chunk's planned ids (JobChunk.ids), for `planned_ids`
    atomic: bool = True  # the chunk's work in its checkpoint's transaction; else it commits its own as it goes


_chunked_steps: dict[str, ChunkedStep] = {}


def chunked_step(name: str, *, ids: Callable[[date], Iterable[int]], chunk_size: int = 5000, keep_ids: bool = False,
                 atomic: bool = True):
    """Declare `process` as the chunk function of step `name` (so Celery workers can find it by name).

    `keep_ids`: each chunk records the ids it was planned from, and `process` reads them with `planned_ids()`
    (for a step whose `ids` is a costly query a chunk would otherwise repeat over its range).

    `atomic=False`: `process` runs outside a transaction and commits its own work (a chunk that sends e-mail
    cannot take back what a server accepted, so it must not sit in a transaction that a crash rolls back); the
    checkpoint is written after it. A chunk killed part way is done again by the next run, and may run twice at
    once (two runners of the same run): `process` must make both safe (the outbox: its claims)."""

    def decorator(process: ChunkFunc) -> ChunkedStep:
        step = ChunkedStep(name, ids, process, chunk_size, keep_ids, atomic)
        _chunked_steps[name] = step
        return step

    return decorator


def register_daily_step(step: ChunkedStep, *, after: Sequence[str] = (), before: Sequence[str] = (),
                        description: str = "") -> Callable[..., None]:
    """Make chunked `step` the daily step of its name: `run-daily` runs it after the steps `after` and before the
    steps `before`, side by side with the other steps of its wave (`run_steps`)."""

    def run(*, as_of: date, progress: bool = True) -> None:
        run_step(step, as_of=as_of, progress=progress)

    run.chunked_step = step  # type: ignore[attr-defined]
    return daily_steps.register(step.name, after=after, before=before,
                                description=description or step.process.__doc__ or "")(run)


def get_chunked_step(name: str) -> ChunkedStep:
    try:
        return _chunked_steps[name]
    except KeyError:
        raise LookupError(f"no chunked step named {name!r}") from None


def plan_chunks(ids: Iterable[int], chunk_size: int) -> list[tuple[int, int]]:
    """Cut strictly ascending ids into [first, last] ranges of at most `chunk_size` ids each.

    Ids out of order would give ranges that overlap or skip rows (a queryset sorted by its Meta
    ordering rather than by pk, say), so they are refused rather than trusted.
    """
    return [(first, last) for first, last, _ in _cut(ids, chunk_size, keep=False)]


def _cut(ids: Iterable[int], chunk_size: int, *, keep: bool) -> list[tuple[int, int, list[int] | None]]:
    """`plan_chunks`'s ranges, each with its ids when `keep` (else None: the ids are not held in memory)."""
    if chunk_size < 1:
        raise ValueError(f"the chunk size must be at least 1, not {chunk_size}")
    chunks: list[tuple[int, int, list[int] | None]] = []
    first = last = None
    count, kept = 0, []
    for current in ids:
        if last is not None and current <= last:
            raise ValueError(f"chunk ids must be strictly ascending: {current} came after {last}")
        if first is None:
            first = current
        last = current
        count += 1
        if keep:
            kept.append(current)
        if count == chunk_size:
            chunks.append((first, last, kept if keep else None))
            first, count, kept = None, 0, []
    if first is not None:
        chunks.append((first, last, kept if keep else None))
    return chunks


# A step's ids are shared out so that each worker process (LIFECRM_JOB_WORKERS, or the Celery workers' processes)
# gets a chunk, down to this size.
MIN_SHARED_CHUNK = 500


def chunk_size_for(step: ChunkedStep, count: int, workers: int | None = None) -> int:
    """The chunk size of a run of `step` over `count` ids: LIFECRM_JOB_CHUNK_SIZE if set; else the step's, or
    less where that gives every one of `workers` processes (default LIFECRM_JOB_WORKERS) a chunk (a step of one big
    chunk would leave the others idle), but not below MIN_SHARED_CHUNK ids."""
    if settings.LIFECRM_JOB_CHUNK_SIZE:
        return settings.LIFECRM_JOB_CHUNK_SIZE
    share = -(-count // (workers or settings.LIFECRM_JOB_WORKERS))
    return min(step.chunk_size, max(share, MIN_SHARED_CHUNK))


# The Celery workers' process count, as last asked (monotonic time, count): asking waits a second for the answers,
# so a run-daily of many waves asks once a minute, not once a wave.
_asked_workers: tuple[float, int] | None = None
WORKERS_ASKED_FOR = 60.0


def celery_worker_processes(timeout: float = 1.0) -> int:
    """The processes the Celery workers run chunks on: LIFECRM_CELERY_WORKERS if set, else the pool sizes the
    workers that answer within `timeout` seconds report (`inspect().stats()`), else LIFECRM_JOB_WORKERS."""
    global _asked_workers
    if settings.LIFECRM_CELERY_WORKERS:
        return settings.LIFECRM_CELERY_WORKERS
    if _asked_workers is not None and time.monotonic() - _asked_workers[0] < WORKERS_ASKED_FOR:
        return _asked_workers[1]
    from celery import current_app  # the project's app (lifecrm.config loads it): core does not import config

    try:
        stats = current_app.control.inspect(timeout=timeout).stats() or {}
    except Exception:  # noqa: BLE001  (a broker that does not answer: plan as for the in-process runner)
        stats = {}
    processes = sum(int(s.get("pool", {}).get("max-concurrency") or 1) for s in stats.values())
    if processes:
        _asked_workers = (time.monotonic(), processes)
    return processes or settings.LIFECRM_JOB_WORKERS


def _open_run(step: ChunkedStep, as_of: date, params_key: str, workers: int | None = None) -> JobRun:
    with transaction.atomic():
        run, created = JobRun.objects.get_or_create(
            step=step.name, as_of=as_of, params_key=params_key, defaults={"started_at": timezone.now()}
        )
        if created or (run.status != JobRun.Status.DONE and run.chunk_count == 0 and not run.chunks.exists()):
            planned = list(step.ids(as_of))  # (a queryset's rows are all fetched when iterated anyway)
            chunks = _cut(planned, chunk_size_for(step, len(planned), workers), keep=step.keep_ids)
            JobChunk.objects.bulk_create(JobChunk(run=run, index=i, first_id=first, last_id=last, ids=ids)
                                         for i, (first, last, ids) in enumerate(chunks))
            run.chunk_count = len(chunks)
            run.save(update_fields=["chunk_count"])
    return run


_planned: ContextVar[list[int] | None] = ContextVar("planned_ids", default=None)


def planned_ids() -> list[int] | None:
    """Inside a chunk of a step declared with `keep_ids`: the ids it was planned from; otherwise None."""
    return _planned.get()


def _process(step: ChunkedStep, chunk: JobChunk) -> int:
    token = _planned.set(chunk.ids)
    try:
        return step.process(chunk.run.as_of, chunk.first_id, chunk.last_id) or 0
    finally:
        _planned.reset(token)


def run_chunk(chunk_id: int) -> int:
    """Do one chunk and checkpoint it in the same transaction (a step declared `atomic=False`: after it); a chunk
    already done is skipped."""
    with transaction.atomic():
        # Only the chunk's row: locking its run's row too would queue a run's concurrent chunks behind each other.
        chunk = JobChunk.objects.select_related("run").select_for_update(of=("self",)).get(pk=chunk_id)
        if chunk.done_at is not None:
            return 0
        step = get_chunked_step(chunk.run.step)
        if step.atomic:
            rows = _process(step, chunk)
            updated = JobChunk.objects.filter(pk=chunk.pk, done_at__isnull=True).update(
                done_at=timezone.now(), rows=rows
            )
            if updated != 1:  # another worker finished it first: undo ours
                raise RuntimeError(f"chunk {chunk_id} was finished concurrently")
            return rows
    # not atomic: the work commits as it goes, the checkpoint after it (a concurrent finish: its count stays)
    rows = _process(step, chunk)
    JobChunk.objects.filter(pk=chunk.pk, done_at__isnull=True).update(done_at=timezone.now(), rows=rows)
    return rows


def run_step(
    step: ChunkedStep | str, *, as_of: date, params_key: str = "", progress: bool = True, backend: str | None = None
) -> JobRun:
    """Run (or resume) `step` for `as_of`. Returns the finished JobRun."""
    return run_steps([step], as_of=as_of, params_key=params_key, progress=progress, backend=backend)[0]


def run_steps(
    steps: Sequence[ChunkedStep | str], *, as_of: date, params_key: str = "", progress: bool = True,
    backend: str | None = None,
) -> list[JobRun]:
    """Run (or resume) several steps for `as_of` side by side: their pending chunks share the processes (or the
    Celery workers), the steps with the fewest chunks left first (`queue_chunks`), so that a small step finishes
    at its own pace, not at the wave's. Each run is marked done when its last chunk is. The steps must not read
    what the others write (a wave of the daily steps, `daily_steps.waves`). Returns the finished JobRuns."""
    steps = [get_chunked_step(step) if isinstance(step, str) else step for step in steps]
    backend = backend or settings.LIFECRM_JOBS
    workers = celery_worker_processes() if backend == "celery" and not settings.LIFECRM_JOB_CHUNK_SIZE else None
    runs = [_open_run(step, as_of, params_key, workers) for step in steps]
    chunks = queue_chunks({run.pk: list(run.chunks.filter(done_at__isnull=True).order_by("index")
                                        .values_list("id", flat=True))
                           for run in runs if run.status != JobRun.Status.DONE})
    left = Counter(run_pk for run_pk, _ in chunks)
    for run in runs:  # a run with no chunk left (none planned, or killed after its last) is done now
        if run.status != JobRun.Status.DONE and not left[run.pk]:
            _finish(run.pk)

    def chunk_done(run_pk: int) -> None:
        left[run_pk] -= 1
        if not left[run_pk]:
            _finish(run_pk)

    label = " + ".join(step.name for step in steps)
    try:
        if backend == "celery" and chunks:
            _run_on_celery(chunks, label, progress)
        else:
            with tqdm(total=len(chunks), desc=f"{label} {as_of}", unit="chunk", disable=not progress,
                      file=sys.stderr) as bar:
                workers = min(settings.LIFECRM_JOB_WORKERS, len(chunks))
                if workers > 1 and _can_fork():
                    _run_in_processes(chunks, workers, bar, chunk_done)
                else:
                    for run_pk, chunk_id in chunks:
                        run_chunk(chunk_id)
                        bar.update(1)
                        chunk_done(run_pk)
    except Exception as exc:
        _record_failure([run.pk for run in runs], exc)
        raise
    for run in runs:
        if run.status != JobRun.Status.DONE:
            run.refresh_from_db()
    return runs


def queue_chunks(pending: dict[int, list[int]]) -> list[tuple[int, int]]:
    """The (run, chunk) ids to run, from each run's pending chunk ids (in index order): the runs with the fewest
    chunks left first, runs with as many in the order given (a step of one chunk would otherwise wait behind the
    chunks of the big steps given before it, and finish when the whole wave does)."""
    order = sorted(pending, key=lambda run_pk: len(pending[run_pk]))  # stable: ties keep the order of `steps`
    return [(run_pk, chunk_id) for run_pk in order for chunk_id in pending[run_pk]]


def _record_failure(run_pks: list[int], exc: Exception) -> None:
    """Mark the runs not done as failed, with the error. When the database itself is what failed (a lost connection),
    try once on a fresh connection; failing that the runs stay `running`, which a rerun resumes just the same."""
    for attempt in (1, 2):
        try:
            JobRun.objects.filter(pk__in=run_pks).exclude(status=JobRun.Status.DONE).update(
                status=JobRun.Status.FAILED, error=repr(exc)[:2000])
            return
        except (OperationalError, InterfaceError):
            connections[DEFAULT_DB_ALIAS].close()  # the next attempt (or the caller) connects afresh
            if attempt == 2:
                return


def _finish(*run_pks: int) -> None:
    JobRun.objects.filter(pk__in=run_pks).update(status=JobRun.Status.DONE, finished_at=timezone.now(), error="")


def _can_fork() -> bool:
    """Chunks on forked processes need a database that takes concurrent writers, a platform that forks, and
    no transaction open here (the processes could not see its rows)."""
    connection = connections[DEFAULT_DB_ALIAS]
    return connection.vendor == "postgresql" and sys.platform == "linux" and not connection.in_atomic_block


def _run_in_processes(chunks: list[tuple[int, int]], workers: int, bar: tqdm, done: Callable[[int], None]) -> None:
    """Run the (run, chunk) ids on `workers` forked processes, each with its own database connection, calling
    `done(run)` here as each chunk finishes; the first failure cancels the chunks not started (the finished
    ones stay done, as with Celery)."""
    connections.close_all()  # the children must not share this process's connections
    _close_broker_connections()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=forget_inherited_connections) as pool:
        # every process forks at the first submit, before this process opens a connection again (in `done`)
        futures = {pool.submit(_run_chunk_in_child, chunk_id): run_pk for run_pk, chunk_id in chunks}
        try:
            for future in as_completed(futures):
                future.result()
                bar.update(1)
                done(futures[future])
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _close_broker_connections() -> None:
    """Close this process's pooled Celery broker connections before a fork (they reopen on demand).

    kombu closes every pooled connection in a forked child (an after-fork hook); a connection of this process
    with a command still waiting for its reply (a consumer's blocking pop) then makes the child wait for ever
    for a reply that this process reads."""
    from celery import current_app

    pool = getattr(current_app._get_current_object(), "_pool", None)  # never created: nothing to close
    if pool is not None:
        pool.force_close_all(close_pool=False)
        pool.setup()  # refilled with unopened connections: usable here by whoever holds the pool


def forget_inherited_connections() -> None:
    """In a forked child: drop every database connection object inherited from the parent, unclosed, so that
    the child opens its own.

    `connections.close_all()` in the parent before the fork is not enough: Django keeps a thread's connections
    in thread-local storage, but in a thread where an event loop runs (Playwright's synchronous API in a test
    process, an ASGI server) in context-local storage instead, and closing one store leaves the other's
    connections open. A child using such a connection talks on the parent's socket (mixed replies, another
    transaction's view of the data). psycopg closes a connection only in the process that opened it, so
    dropping the objects leaves the parent's sessions untouched.
    """
    connections._connections = Local(connections.thread_critical)


def _run_chunk_in_child(chunk_id: int) -> int:
    try:
        return run_chunk(chunk_id)
    finally:
        connections.close_all()


class ChunksStuck(RuntimeError):
    """Chunks sent to the Celery workers were not done within LIFECRM_JOB_WAIT_SECONDS; the message names them."""


def stuck_chunks_message(chunk_ids: Iterable[int], waited: float) -> str:
    """Which chunks are not done (step, chunk index of its run, id range), for an operator."""
    stuck = (JobChunk.objects.filter(pk__in=list(chunk_ids), done_at__isnull=True).select_related("run")
             .order_by("run__step", "index"))
    names = [f"{chunk.run.step} chunk {chunk.index} (ids {chunk.first_id}-{chunk.last_id})" for chunk in stuck]
    return (f"{len(names)} chunk(s) not done after waiting {waited:.0f} s (LIFECRM_JOB_WAIT_SECONDS): "
            + "; ".join(names) + f". Are Celery workers running on queue {settings.CELERY_TASK_DEFAULT_QUEUE!r} "
            "(celery -A lifecrm.config.celery worker)? Done chunks are kept: run the same command again to resume.")


def _finish_runs_done(run_pks: set[int]) -> set[int]:
    """Mark done those of the runs `run_pks` whose every chunk is done; the ones still running."""
    running = set(JobChunk.objects.filter(run_id__in=run_pks, done_at__isnull=True)
                  .values_list("run_id", flat=True).distinct())
    if finished := run_pks - running:
        _finish(*finished)
    return running


def _run_on_celery(chunks: list[tuple[int, int]], name: str, progress: bool) -> None:
    """Fan the pending (run, chunk) ids out as a Celery group, in their order, and wait, showing progress and
    marking each run done as its chunks finish, at most LIFECRM_JOB_WAIT_SECONDS (then `ChunksStuck` names the
    chunks not done)."""
    from celery import group

    from lifecrm.core.tasks import run_chunk_task

    chunk_ids = [chunk_id for _, chunk_id in chunks]
    running = {run_pk for run_pk, _ in chunks}
    # SQLite takes one writer at a time: marking a run done here would fail against a worker's open chunk, so
    # there the runs are marked done at the end
    finish_early = connections[DEFAULT_DB_ALIAS].vendor != "sqlite"
    result = group(run_chunk_task.s(chunk_id) for chunk_id in chunk_ids).apply_async()
    started = time.monotonic()
    with tqdm(total=len(chunk_ids), desc=f"{name} (celery)", unit="chunk", disable=not progress, file=sys.stderr) as bar:
        while not result.ready():
            if time.monotonic() - started > settings.LIFECRM_JOB_WAIT_SECONDS:
                raise ChunksStuck(stuck_chunks_message(chunk_ids, time.monotonic() - started))
            completed = result.completed_count()
            if finish_early and completed != bar.n:  # some chunks finished: their runs may be done
                running = _finish_runs_done(running)
            bar.n = completed
            bar.refresh()
            time.sleep(0.2)
        bar.n = len(chunk_ids)
        bar.refresh()
    result.get(propagate=True, disable_sync_subtasks=False)
    if running:  # the last chunks' runs (a failed chunk raised above: its run is not done)
        _finish(*running)

"""The batch runner lifecrm.core.jobs: chunk planning, idempotent and resumable runs, and `lifecrm run-daily`."""
from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lifecrm.core import jobs
from lifecrm.core.jobs import (
    ChunkedStep,
    chunk_size_for,
    chunked_step,
    get_chunked_step,
    plan_chunks,
    planned_ids,
    register_daily_step,
    run_step,
    run_steps,
)
from lifecrm.core.models import AuditEvent, JobChunk, JobRun
from lifecrm.core.registries import daily_steps

TOY_IDS = range(1, 101)  # 100 ids in chunks of 10
TOY_TYPE = "test.toy"
_faults: dict[str, int] = {}  # as_of ISO date -> first id of the chunk that raises (after writing half)


def toy_ids(as_of: date):
    return TOY_IDS


@chunked_step("test.toy", ids=toy_ids, chunk_size=10)
def toy_step(as_of: date, first_id: int, last_id: int) -> int:
    """One audit row per id and date, keyed `<as_of>:<id>`; rows already there are not written again."""
    keys = [f"{as_of}:{n}" for n in range(first_id, last_id + 1)]
    present = set(AuditEvent.objects.filter(object_type=TOY_TYPE, object_id__in=keys).values_list("object_id", flat=True))
    missing = [k for k in keys if k not in present]
    at = datetime(2025, 1, 1, tzinfo=UTC)
    if _faults.get(as_of.isoformat()) == first_id:
        AuditEvent.objects.bulk_create(AuditEvent(at=at, action="create", object_type=TOY_TYPE, object_id=k)
                                       for k in missing[:5])
        raise RuntimeError(f"toy failure in chunk starting at {first_id}")
    AuditEvent.objects.bulk_create(AuditEvent(at=at, action="create", object_type=TOY_TYPE, object_id=k)
                                   for k in missing)
    return len(missing)


@chunked_step("test.toy_other", ids=lambda as_of: range(1, 31), chunk_size=10)
def toy_other_step(as_of: date, first_id: int, last_id: int) -> int:
    """A second toy step (writes `other:<as_of>:<id>`): independent of the first, it may run beside it."""
    at = datetime(2025, 1, 1, tzinfo=UTC)
    AuditEvent.objects.bulk_create(AuditEvent(at=at, action="create", object_type=TOY_TYPE, object_id=f"other:{as_of}:{n}")
                                   for n in range(first_id, last_id + 1))
    return last_id - first_id + 1


_seen_plans: list[tuple[int, int, list[int] | None]] = []


@chunked_step("test.toy_kept", ids=lambda as_of: range(2, 41, 2), chunk_size=8, keep_ids=True)
def toy_kept_step(as_of: date, first_id: int, last_id: int) -> int:
    """Records the ids it was planned from."""
    _seen_plans.append((first_id, last_id, planned_ids()))
    return 0


_wave_log: list[tuple[str, int, bool]] = []  # (step, first id, the small step's run was done when it started)


def small_run_done(as_of: date) -> bool:
    return JobRun.objects.filter(step="test.wave_small", as_of=as_of, status=JobRun.Status.DONE).exists()


@chunked_step("test.wave_big", ids=lambda as_of: range(1, 41), chunk_size=10)
def wave_big_step(as_of: date, first_id: int, last_id: int) -> int:
    """A step of four chunks that notes when each starts."""
    _wave_log.append(("big", first_id, small_run_done(as_of)))
    return 0


@chunked_step("test.wave_small", ids=lambda as_of: [7], chunk_size=10)
def wave_small_step(as_of: date, first_id: int, last_id: int) -> int:
    """A step of one chunk (service.care_events beside billing's reminders, say)."""
    _wave_log.append(("small", first_id, small_run_done(as_of)))
    return 1


def run_a_big_and_a_small_step(as_of: date, backend: str) -> list[tuple[str, int, bool]]:
    """The wave [big, small]: the small step's chunk runs before the big step's although given after it; the
    order in which the chunks started."""
    _wave_log.clear()
    big, small = run_steps(["test.wave_big", "test.wave_small"], as_of=as_of, progress=False, backend=backend)
    assert (big.step, big.status, big.chunk_count, small.step, small.status, small.chunk_count) == (
        "test.wave_big", "done", 4, "test.wave_small", "done", 1)
    started = [(step, first) for step, first, _ in _wave_log]
    assert started == [("small", 7), ("big", 1), ("big", 11), ("big", 21), ("big", 31)]
    return list(_wave_log)


def other_rows(as_of: date) -> list[str]:
    return sorted(AuditEvent.objects.filter(object_type=TOY_TYPE, object_id__startswith=f"other:{as_of}:")
                  .values_list("object_id", flat=True))


def run_side_by_side(as_of: date, backend: str) -> list[JobRun]:
    """Both toy steps side by side; each run done with its own chunks, every row once."""
    runs = run_steps(["test.toy", "test.toy_other"], as_of=as_of, progress=False, backend=backend)
    assert [(r.step, r.status, r.chunk_count) for r in runs] == [("test.toy", "done", 10), ("test.toy_other", "done", 3)]
    assert all(r.finished_at and not r.chunks.filter(done_at__isnull=True).exists() for r in runs)
    assert toy_rows(as_of) == expected_rows(as_of)
    assert other_rows(as_of) == sorted(f"other:{as_of}:{n}" for n in range(1, 31))
    return runs


real_run_steps = run_steps


def toy_rows(as_of: date) -> list[str]:
    return sorted(AuditEvent.objects.filter(object_type=TOY_TYPE, object_id__startswith=f"{as_of}:")
                  .values_list("object_id", flat=True))


def expected_rows(as_of: date) -> list[str]:
    return sorted(f"{as_of}:{n}" for n in TOY_IDS)


def fail_a_chunk_then_rerun(as_of: date, backend: str) -> list[int]:
    """Run the toy step with chunk 5 failing (after writing half its rows), check the failed run kept no half
    chunk, rerun it to the end; the indexes of the chunks the failed run left undone."""
    _faults[as_of.isoformat()] = 51
    try:
        with pytest.raises(RuntimeError, match="chunk starting at 51"):
            run_step("test.toy", as_of=as_of, progress=False, backend=backend)
    finally:
        _faults.clear()
    failed = JobRun.objects.get(step="test.toy", as_of=as_of)
    assert failed.status == JobRun.Status.FAILED
    undone = list(failed.chunks.filter(done_at__isnull=True).order_by("index").values_list("index", flat=True))
    assert 5 in undone
    assert len(toy_rows(as_of)) == 10 * (10 - len(undone))  # the failed chunk's half was rolled back with it
    rerun = run_step("test.toy", as_of=as_of, progress=False, backend=backend)
    assert rerun.pk == failed.pk and rerun.status == JobRun.Status.DONE
    assert toy_rows(as_of) == expected_rows(as_of)
    return undone


@pytest.fixture(autouse=True)
def _no_faults(settings):
    settings.LIFECRM_JOB_CHUNK_SIZE = None  # the toy step's own chunks of 10, whatever the environment says
    _faults.clear()
    yield
    _faults.clear()


class TestPlanChunks:
    @pytest.mark.parametrize(
        ("ids", "size", "ranges"),
        [
            ([], 3, []),
            ([7], 3, [(7, 7)]),
            (range(1, 11), 3, [(1, 3), (4, 6), (7, 9), (10, 10)]),
            (range(1, 10), 3, [(1, 3), (4, 6), (7, 9)]),
            ([1, 5, 9, 100, 101], 2, [(1, 5), (9, 100), (101, 101)]),
            (iter([2, 4, 6]), 10, [(2, 6)]),
            (range(1, 4), 1, [(1, 1), (2, 2), (3, 3)]),
        ],
    )
    def test_ranges(self, ids, size, ranges):
        assert plan_chunks(ids, size) == ranges

    @pytest.mark.parametrize("size", [0, -5])
    def test_chunk_size_must_be_positive(self, size):
        with pytest.raises(ValueError, match="chunk size"):
            plan_chunks([1, 2, 3], size)

    @pytest.mark.parametrize("ids", [[3, 2, 1], [1, 2, 2, 3], [1, 5, 4]])
    def test_ids_must_be_strictly_ascending(self, ids):
        """Unordered ids (a queryset ordered by its Meta ordering, not pk) would make ranges miss rows."""
        with pytest.raises(ValueError, match="ascending"):
            plan_chunks(ids, 2)


@pytest.mark.django_db
class TestRunStep:
    def test_a_run_writes_every_row_once_and_checkpoints_every_chunk(self):
        as_of = date(2025, 10, 9)
        run = run_step("test.toy", as_of=as_of, progress=False)
        assert run.status == JobRun.Status.DONE and run.finished_at and run.chunk_count == 10
        assert toy_rows(as_of) == expected_rows(as_of)
        chunks = list(run.chunks.order_by("index"))
        assert [(c.first_id, c.last_id) for c in chunks] == [(n, n + 9) for n in range(1, 101, 10)]
        assert all(c.done_at and c.rows == 10 for c in chunks)

    def test_a_second_run_for_the_same_date_is_a_no_op(self, django_assert_max_num_queries):
        as_of = date(2025, 10, 9)
        first = run_step(get_chunked_step("test.toy"), as_of=as_of, progress=False)
        with django_assert_max_num_queries(3):  # find the run, see it is done
            second = run_step("test.toy", as_of=as_of, progress=False)
        assert second.pk == first.pk and second.status == JobRun.Status.DONE
        assert toy_rows(as_of) == expected_rows(as_of)
        assert JobRun.objects.filter(step="test.toy").count() == 1

    def test_each_date_and_parameter_set_is_its_own_run(self):
        run_step("test.toy", as_of=date(2025, 10, 9), progress=False)
        run_step("test.toy", as_of=date(2025, 10, 10), progress=False)
        run_step("test.toy", as_of=date(2025, 10, 10), params_key="again", progress=False)
        assert JobRun.objects.filter(step="test.toy").count() == 3
        assert toy_rows(date(2025, 10, 10)) == expected_rows(date(2025, 10, 10))

    def test_the_chunk_size_setting_overrides_the_steps_own(self, settings):
        settings.LIFECRM_JOB_CHUNK_SIZE = 25
        run = run_step("test.toy", as_of=date(2025, 10, 9), progress=False)
        assert run.chunk_count == 4 and toy_rows(date(2025, 10, 9)) == expected_rows(date(2025, 10, 9))

    @pytest.mark.parametrize(("count", "workers", "size"), [
        (100_000, 2, 5000),  # the step's own size: enough chunks for every process
        (6_000, 2, 3000),  # one chunk a process instead of one of 5,000 and one of 1,000
        (6_001, 2, 3001),
        (6_000, 4, 1500),
        (800, 2, 500),  # not below MIN_SHARED_CHUNK
        (300, 2, 500),
        (6_000, 1, 5000),
    ])
    def test_a_step_s_ids_are_shared_out_so_that_every_worker_gets_a_chunk(self, settings, count, workers, size):
        settings.LIFECRM_JOB_WORKERS = workers
        assert chunk_size_for(ChunkedStep("x", ids=lambda as_of: (), process=lambda *a: 0, chunk_size=5000),
                              count) == size
        settings.LIFECRM_JOB_CHUNK_SIZE = 700
        assert chunk_size_for(ChunkedStep("x", ids=lambda as_of: (), process=lambda *a: 0), count) == 700

    def test_steps_side_by_side_each_finish_their_own_run_and_a_rerun_is_a_no_op(self):
        as_of = date(2025, 10, 13)
        first = run_side_by_side(as_of, "inprocess")
        again = run_steps(["test.toy", "test.toy_other"], as_of=as_of, progress=False)
        assert [r.pk for r in again] == [r.pk for r in first] and len(other_rows(as_of)) == 30

    def test_a_failure_beside_another_step_fails_the_runs_left_unfinished(self):
        as_of = date(2025, 10, 14)
        _faults[as_of.isoformat()] = 51
        with pytest.raises(RuntimeError, match="chunk starting at 51"):
            run_steps(["test.toy_other", "test.toy"], as_of=as_of, progress=False)
        _faults.clear()
        runs = {r.step: r for r in JobRun.objects.filter(as_of=as_of)}
        assert runs["test.toy_other"].status == "done"  # its chunks came first and all finished
        assert runs["test.toy"].status == "failed" and "chunk starting at 51" in runs["test.toy"].error
        run_side_by_side(as_of, "inprocess")

    def test_a_small_step_beside_a_big_one_runs_first_and_is_done_before_the_big_one_s_chunks(self):
        as_of = date(2025, 10, 17)
        log = run_a_big_and_a_small_step(as_of, "inprocess")
        assert [done for _, _, done in log] == [False, True, True, True, True]
        runs = {run.step: run for run in JobRun.objects.filter(as_of=as_of)}
        assert runs["test.wave_small"].finished_at <= runs["test.wave_big"].chunks.order_by("done_at")[0].done_at
        _wave_log.clear()
        assert run_steps(["test.wave_big", "test.wave_small"], as_of=as_of, progress=False)  # done: a no-op
        assert _wave_log == []

    def test_a_resumed_wave_puts_the_step_with_the_fewest_chunks_left_first(self):
        assert jobs.queue_chunks({5: [50, 51, 52], 3: [30, 31], 4: [40], 6: [60, 61]}) == [
            (4, 40), (3, 30), (3, 31), (6, 60), (6, 61), (5, 50), (5, 51), (5, 52)]
        assert jobs.queue_chunks({}) == []

    def test_a_step_that_keeps_its_ids_reads_each_chunks_planned_ids(self):
        _seen_plans.clear()
        run = run_step("test.toy_kept", as_of=date(2025, 10, 16), progress=False)
        assert _seen_plans == [(2, 16, [2, 4, 6, 8, 10, 12, 14, 16]), (18, 32, [18, 20, 22, 24, 26, 28, 30, 32]),
                               (34, 40, [34, 36, 38, 40])]
        assert list(run.chunks.order_by("index").values_list("ids", flat=True))[2] == [34, 36, 38, 40]
        assert planned_ids() is None  # outside a chunk
        _seen_plans.clear()
        run_step("test.toy_other", as_of=date(2025, 10, 16), progress=False)
        assert JobChunk.objects.filter(run__step="test.toy_other", ids__isnull=False).count() == 0

    def test_an_unknown_step_is_refused(self):
        with pytest.raises(LookupError, match="no chunked step named 'nope'"):
            run_step("nope", as_of=date(2025, 1, 1), progress=False)


@pytest.mark.django_db(transaction=True)
def test_a_failed_run_keeps_its_checkpoints_and_a_rerun_completes_it_exactly():
    """Real commits (no test transaction around it): chunks 0–2 commit, chunk 3 fails and leaves nothing."""
    clean, faulty = date(2025, 10, 8), date(2025, 10, 9)
    run_step("test.toy", as_of=clean, progress=False)

    _faults[faulty.isoformat()] = 31  # chunk 3 covers ids 31–40
    with pytest.raises(RuntimeError, match="chunk starting at 31"):
        run_step("test.toy", as_of=faulty, progress=False)
    run = JobRun.objects.get(step="test.toy", as_of=faulty)
    assert run.status == JobRun.Status.FAILED and "chunk starting at 31" in run.error
    done = list(run.chunks.filter(done_at__isnull=False).order_by("index").values_list("index", flat=True))
    assert done == [0, 1, 2]
    assert toy_rows(faulty) == sorted(f"{faulty}:{n}" for n in range(1, 31))  # chunk 3's half rolled back

    _faults.clear()
    rerun = run_step("test.toy", as_of=faulty, progress=False)
    assert rerun.pk == run.pk and rerun.status == JobRun.Status.DONE and rerun.error == ""
    assert JobChunk.objects.filter(run=run, done_at__isnull=True).count() == 0
    # exactly the rows of a clean run: nothing lost, nothing twice
    assert [key.split(":")[1] for key in toy_rows(faulty)] == [key.split(":")[1] for key in toy_rows(clean)]
    assert len(toy_rows(faulty)) == len(set(toy_rows(faulty))) == 100
    # the chunks done before the failure were not done again
    assert list(run.chunks.order_by("index").values_list("rows", flat=True)) == [10] * 10


@pytest.fixture
def only_the_toy_daily_step(monkeypatch):
    """run-daily with one registered step (the real apps' steps are set aside for the test)."""
    monkeypatch.setattr(daily_steps, "_steps", {})

    @daily_steps.register("toy", description="the toy chunked step")
    def toy_daily(*, as_of: date, progress: bool = True):
        run_step("test.toy", as_of=as_of, progress=progress)

    return toy_daily


@pytest.mark.django_db
class TestRunDailyCommand:
    def test_runs_the_registered_steps_for_the_date(self, only_the_toy_daily_step):
        out = StringIO()
        call_command("run-daily", "--as-of", "2025-10-09", "--no-progress", stdout=out)
        assert "2025-10-09: 1 steps run (1 job runs done)" in out.getvalue()
        assert toy_rows(date(2025, 10, 9)) == expected_rows(date(2025, 10, 9))
        call_command("run-daily", "--as-of", "2025-10-09", "--no-progress", stdout=StringIO())
        assert toy_rows(date(2025, 10, 9)) == expected_rows(date(2025, 10, 9))  # second run: nothing new

    def test_catches_up_from_a_date(self, only_the_toy_daily_step):
        out = StringIO()
        call_command("run-daily", "--from", "2025-10-07", "--as-of", "2025-10-09", "--no-progress", stdout=out)
        assert out.getvalue().count("steps run") == 3
        assert sorted(JobRun.objects.filter(step="test.toy").values_list("as_of", flat=True)) == [
            date(2025, 10, 7), date(2025, 10, 8), date(2025, 10, 9),
        ]

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--as-of", "2025-02-30"], "--as-of must be a date as YYYY-MM-DD, not '2025-02-30'"),
            (["--as-of", "09/10/2025"], "--as-of must be a date as YYYY-MM-DD"),
            (["--as-of", "2025-10-09", "--from", "yesterday"], "--from must be a date as YYYY-MM-DD"),
            (["--as-of", "2025-10-09", "--from", "2025-10-10"], "--from must not be after --as-of"),
        ],
    )
    def test_bad_dates_are_clear_errors(self, only_the_toy_daily_step, args, message):
        with pytest.raises(CommandError, match=message.replace("(", r"\(")):
            call_command("run-daily", *args, "--no-progress", stdout=StringIO())
        assert not JobRun.objects.exists()

    def test_as_of_is_required(self):
        with pytest.raises(CommandError, match="--as-of"):
            call_command("run-daily", stdout=StringIO())

    def test_the_steps_of_a_wave_run_side_by_side(self, monkeypatch):
        monkeypatch.setattr(daily_steps, "_steps", {})
        register_daily_step(get_chunked_step("test.toy"))
        register_daily_step(get_chunked_step("test.toy_other"))
        together = []
        monkeypatch.setattr(jobs, "run_steps", lambda steps, **kw: together.append([s.name for s in steps])
                            or real_run_steps(steps, **kw))
        call_command("run-daily", "--as-of", "2025-10-15", "--no-progress", stdout=StringIO())
        assert together == [["test.toy", "test.toy_other"]]
        assert toy_rows(date(2025, 10, 15)) == expected_rows(date(2025, 10, 15)) and len(other_rows(date(2025, 10, 15))) == 30

    def test_no_steps_registered(self, monkeypatch):
        monkeypatch.setattr(daily_steps, "_steps", {})
        out = StringIO()
        call_command("run-daily", "--as-of", "2025-10-09", stdout=out)
        assert "no daily steps are registered" in out.getvalue()


def test_console_script_reports_a_bad_date_without_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "lifecrm", "run-daily", "--as-of", "2025-13-01"],
        capture_output=True, text=True, timeout=60, env={"LIFECRM_ENV": "test", "PATH": ""},
    )
    assert result.returncode == 1
    assert "--as-of must be a date as YYYY-MM-DD, not '2025-13-01'" in result.stderr
    assert "Traceback" not in result.stderr

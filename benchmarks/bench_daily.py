"""Benchmark `daily`: `lifecrm run-daily` for one business date on a 1,000,000-policy book on PostgreSQL.

The book (customers ≈ policies / POLICIES_PER_CUSTOMER, seed, as-of date D0) is generated once into
the database `lifecrm_bench_daily` and reused while its key (size, seed, as-of, jurisdiction and the
generator and migration sources) is unchanged. Each repeat works on a fresh copy
(`CREATE DATABASE … TEMPLATE lifecrm_bench_daily`, then a checkpoint and a sync so that writing the copy
back to disk does not spill into the timed runs), so every repeat starts from the same state:

1. the reference, in the same run and on the same copy: one hand-written SQL statement that raises
   the due items run-daily's `billing.raise_due_items` must raise for D = D0 + 1 (a single
   `INSERT INTO billing_dueitem … SELECT … CROSS JOIN LATERAL generate_series(…)`, dates month-end
   clamped by PostgreSQL's `date + interval`), run twice in transactions that are rolled back; the
   second (warm) time is the bound;
2. `lifecrm run-daily --as-of D` in a subprocess (wall-clock, Django start-up included; a step's chunks on
   `--workers` processes, LIFECRM_JOB_WORKERS, by default one per CPU as a deployment on this machine runs), then the
   rows and seconds of each daily step from its JobRun/JobChunk records, and a check that the due
   items it raised are exactly the (policy, instalment, due date, amount) set of the SQL statement.

The first day after a seed is a catch-up day: the book has no reminder or collection history, so the
reminder ladder records every past step (skipped as stale, or sent) and the debit export presents
every open auto-debit premium. `--warm-up` runs run-daily for D0 once when the book is generated
(untimed, kept in lifecrm_bench_daily_warm), so that the timed day D is a steady-state day.

Targets: run-daily ≤ TARGET_SECONDS and ≤ TARGET_RATIO × the SQL bound. E-mail goes to Django's
dummy backend (no SMTP server is timed); letters, SMS and bank files to a temporary VAR directory.
3. with `--celery-workers N` (default 2; 0: skipped), the same day again on a fresh copy with
   `LIFECRM_JOBS=celery`: the benchmark starts a Celery worker itself (`celery -A lifecrm.config.celery worker
   --concurrency N`, on a queue of its own, Redis BENCH_REDIS_URL), and prints each step's rows, chunks and seconds
   in-process and on Celery side by side, and checks that both raised the same due items;
4. with `--print-run`, the print run, `lifecrm print-letters --as-of D`, after run-daily: the day's
   letters to PDF. It is not part of the daily batch (docs/operations.md) and is timed and reported apart.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

NAME = "daily"
HELP = "lifecrm run-daily on a 1,000,000-policy book: ≤ 60 s and ≤ 3x a hand-written SQL bound"
TARGET_SECONDS = 60.0
TARGET_RATIO = 3.0
# Policies per customer of a generated CN book (seed 1, 100,000 customers: 165,471 policies).
POLICIES_PER_CUSTOMER = 1.6547
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
# BENCH_DAILY_DB: another name for the book's databases (two checkouts benchmarking on one server side by side).
BOOK_DATABASE = os.environ.get("BENCH_DAILY_DB", "lifecrm_bench_daily")
RUN_DATABASE = f"{BOOK_DATABASE}_run"
WARM_SUFFIX = "_warm"
REPO = Path(__file__).resolve().parent.parent
LEAD_DAYS = 45  # lifecrm.billing.services.DUE_ITEM_LEAD_DAYS (checked against it in the worker)
# Job runs of the print run (`lifecrm print-letters`, after the batch): reported apart, not in the batch's time.
PRINT_RUN = {"notifications.print_letters"}

# The due items `billing.raise_due_items` raises for %(as_of)s: premiums from the first not yet raised
# (max(paid_instalments, highest raised + 1)) up to as_of + lead days, never at or after the premium
# term's end; `date + interval 'n months'` clamps to the month end as lifecrm.core.rules.add_months.
RAISE_SQL = """
INSERT INTO billing_dueitem (policy_id, kind, instalment, due_date, amount, paid_amount, currency, status, raised_on)
SELECT p.id, 'premium', s.n, d.due, v.modal_premium, 0, p.currency, 'open', %(as_of)s
FROM policies_policy p
JOIN policies_policyversion v ON v.policy_id = p.id AND v.effective_to IS NULL
CROSS JOIN LATERAL (SELECT CASE v.premium_mode WHEN 'annual' THEN 12 WHEN 'semiannual' THEN 6
                                                WHEN 'quarterly' THEN 3 ELSE 1 END AS months) m
CROSS JOIN LATERAL generate_series(
    GREATEST(p.paid_instalments,
             COALESCE((SELECT max(h.instalment) FROM billing_dueitem h
                       WHERE h.policy_id = p.id AND h.kind = 'premium'), -1) + 1),
    LEAST(p.premium_term_years * 12 / m.months - 1,
          ((EXTRACT(YEAR FROM %(horizon)s::date) - EXTRACT(YEAR FROM p.issue_date)) * 12
           + EXTRACT(MONTH FROM %(horizon)s::date) - EXTRACT(MONTH FROM p.issue_date))::int / m.months)
) AS s(n)
CROSS JOIN LATERAL (SELECT (p.issue_date + make_interval(months => s.n * m.months))::date AS due) d
WHERE p.status IN ('in_force', 'grace', 'reinstated') AND d.due <= %(horizon)s::date
RETURNING policy_id, instalment, due_date, amount
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policies", type=int, default=1_000_000, help="about this many policies")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", default="2026-11-25", help="the book's as-of date; run-daily runs the day after")
    parser.add_argument("--jurisdiction", default="CN")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="LIFECRM_JOB_WORKERS for run-daily: processes for a step's chunks (default: the CPUs)")
    parser.add_argument("--celery-workers", type=int, default=2,
                        help="worker processes of the Celery run (LIFECRM_JOBS=celery), side by side with the "
                             "in-process one; 0: no Celery run")
    parser.add_argument("--rebuild", action="store_true", help="generate the book even if a matching one exists")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before run-daily is stopped (FAIL)")
    parser.add_argument("--keep-copy", action="store_true", help=f"leave {RUN_DATABASE} after the last repeat")
    parser.add_argument("--print-run", action="store_true",
                        help="after run-daily, time the print run (`lifecrm print-letters`: the day's letters to "
                             "PDF, ~0.1 s a letter — minutes for a 1M-policy day); reported apart")
    parser.add_argument("--warm-up", action="store_true",
                        help=f"run-daily for the book's as-of date once when generating it (untimed, kept in "
                             f"{BOOK_DATABASE}{WARM_SUFFIX}): the timed day is a steady-state day, not the "
                             f"first after the seed (which catches up the reminder ladder and debit export)")


def _url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"


def _admin():
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


def _book_key(customers: int, args: argparse.Namespace) -> str:
    """Size, seed, date, jurisdiction and a hash of what shapes the book (generators, migrations, reference data)."""
    digest = hashlib.sha256()
    sources = sorted([*REPO.glob("lifecrm/*/generator.py"), *REPO.glob("lifecrm/*/migrations/*.py"),
                      *REPO.glob("lifecrm/*/reference_data.py"), *REPO.glob("lifecrm/*/data/**/*")])
    for path in sources:
        if path.is_file():
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return f"customers={customers} seed={args.seed} as_of={args.as_of} jurisdiction={args.jurisdiction} " \
           f"sources={digest.hexdigest()[:16]}"


def _existing_key(book: str) -> str | None:
    with _admin() as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (book,)
        ).fetchone()
    return None if row is None else (row[0] or "")


def _env(database: str, var_dir: str, workers: int = 1, jobs: str = "inprocess") -> dict[str, str]:
    return os.environ | {"CELERY_BROKER_URL": REDIS_URL, "CELERY_RESULT_BACKEND": REDIS_URL,
                         "LIFECRM_CELERY_QUEUE": f"lifecrm-bench-{os.getpid()}"} | {
        "LIFECRM_JOB_WORKERS": str(workers), "LIFECRM_ENV": "dev", "DEBUG": "false", "DATABASE_URL": _url(database), "LIFECRM_VAR": var_dir,
        "DJANGO_SETTINGS_MODULE": "lifecrm.config.settings", "PYTHONPATH": str(REPO),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend", "LIFECRM_JOBS": jobs,
    }


def _build_book(book: str, customers: int, key: str, args: argparse.Namespace, var_dir: str) -> dict:
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{book}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{book}"')
    print(f"generating the book: {customers:,} customers (≈{args.policies:,} policies) into {book}"
          + (f", then run-daily --as-of {args.as_of} (warm-up)" if args.warm_up else "") + "…",
          file=sys.stderr, flush=True)
    command = [sys.executable, str(Path(__file__).with_name("run.py")), "_daily-build", "--customers", str(customers),
               "--seed", str(args.seed), "--as-of", args.as_of, "--jurisdiction", args.jurisdiction] + (["--warm-up"] if args.warm_up else [])
    done = subprocess.run(command, env=_env(book, var_dir, args.workers), cwd=REPO, capture_output=True, text=True,
                          check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            with _admin() as admin:
                admin.execute(f"COMMENT ON DATABASE \"{book}\" IS '{key}'")
            return result
    raise RuntimeError(f"building the book failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


def _copy_book(book: str) -> float:
    started = time.perf_counter()
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{RUN_DATABASE}" WITH (FORCE)')
        # no session may be connected to the template while it is copied
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (book,))
        admin.execute(f'CREATE DATABASE "{RUN_DATABASE}" TEMPLATE "{book}"')
        # The copy leaves gigabytes of dirty pages; written back during the timed runs they would slow every
        # file and database write of both the bound and run-daily. A steady-state server has no such backlog.
        admin.execute("CHECKPOINT")
    os.sync()
    return time.perf_counter() - started


def _sql_bound(as_of: date) -> tuple[list[float], set[tuple]]:
    """Seconds of each (rolled-back) run of RAISE_SQL, and the rows it raised."""
    import psycopg

    params = {"as_of": as_of, "horizon": as_of + timedelta(days=LEAD_DAYS)}
    seconds, rows = [], set()
    with psycopg.connect(_url(RUN_DATABASE)) as conn:
        for _ in range(2):
            started = time.perf_counter()
            with conn.cursor() as cursor:
                cursor.execute(RAISE_SQL, params)
                rows = set(cursor.fetchall())
            seconds.append(time.perf_counter() - started)
            conn.rollback()
    return seconds, rows


def _run_daily(as_of: date, var_dir: str, timeout: float, log: Path, workers: int,
               command_name: str = "run-daily", jobs: str = "inprocess") -> tuple[float, int | None]:
    lifecrm = Path(sys.executable).with_name("lifecrm")
    command = [str(lifecrm)] if lifecrm.exists() else [sys.executable, "-m", "lifecrm"]
    command += [command_name, "--as-of", as_of.isoformat(), "--no-progress"]
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, env=_env(RUN_DATABASE, var_dir, workers, jobs), cwd=REPO, stdout=out,
                                   stderr=subprocess.STDOUT)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code = None
    return time.perf_counter() - started, code


def _start_celery_worker(var_dir: str, concurrency: int, log: Path) -> subprocess.Popen:
    """A Celery worker on the run's copy, started as the README says (plus its own queue), once it is ready."""
    env = _env(RUN_DATABASE, var_dir, 1, "celery")
    command = [str(Path(sys.executable).with_name("celery")), "-A", "lifecrm.config.celery", "worker", "-l", "info",
               "--concurrency", str(concurrency), "-Q", env["LIFECRM_CELERY_QUEUE"], "--without-gossip",
               "--without-mingle", "-n", f"bench-{os.getpid()}@%h"]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    deadline = time.monotonic() + 120
    while " ready." not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop_celery_worker(process)
            raise RuntimeError(f"the Celery worker did not start:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)
    return process


def _stop_celery_worker(process: subprocess.Popen) -> None:
    import signal

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _celery_day(as_of: date, book: str, var_dir: str, args: argparse.Namespace, repeat: int) -> dict:
    """The same day on a fresh copy with LIFECRM_JOBS=celery and a worker of `--celery-workers` processes."""
    copy_seconds = _copy_book(book)
    print(f"repeat {repeat}: copied the book in {copy_seconds:.1f} s; run-daily --as-of {as_of} on Celery "
          f"({args.celery_workers} worker processes)…", file=sys.stderr, flush=True)
    repeat_var = Path(var_dir) / f"var-celery-{repeat}"
    repeat_var.mkdir()
    worker = _start_celery_worker(str(repeat_var), args.celery_workers, Path(var_dir) / f"worker-{repeat}.log")
    try:
        log = Path(var_dir) / f"run-daily-celery-{repeat}.log"
        seconds, code = _run_daily(as_of, str(repeat_var), args.timeout, log, 1, jobs="celery")
    finally:
        _stop_celery_worker(worker)
    steps, raised = _steps_and_raised(as_of)
    return {"seconds": seconds, "code": code, "steps": steps, "raised": raised,
            "log_tail": log.read_text(errors="replace").strip().splitlines()[-5:]}


def _steps_and_raised(as_of: date) -> tuple[list[tuple[str, int, int, float | None]], set[tuple]]:
    """(step, chunks, rows, seconds) per daily step run for as_of, and the due items raised on as_of."""
    import psycopg

    with psycopg.connect(_url(RUN_DATABASE)) as conn:
        steps = conn.execute(
            """
            SELECT r.step, r.chunk_count, COALESCE(SUM(c.rows), 0),
                   EXTRACT(EPOCH FROM COALESCE(r.finished_at, MAX(c.done_at)) - r.started_at)
            FROM core_jobrun r LEFT JOIN core_jobchunk c ON c.run_id = r.id
            WHERE r.as_of = %s GROUP BY r.id ORDER BY r.started_at, r.id
            """,
            (as_of,),
        ).fetchall()
        raised = set(conn.execute(
            "SELECT policy_id, instalment, due_date, amount FROM billing_dueitem "
            "WHERE raised_on = %s AND kind = 'premium'",
            (as_of,),
        ).fetchall())
    return [(s, int(n), int(r), None if t is None else float(t)) for s, n, r, t in steps], raised


def run(args: argparse.Namespace) -> bool:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        print("the daily benchmark needs psycopg and a PostgreSQL server", file=sys.stderr)
        return False
    customers = max(1, round(args.policies / POLICIES_PER_CUSTOMER))
    key = _book_key(customers, args) + (" warm-up" if args.warm_up else "")
    book = BOOK_DATABASE + (WARM_SUFFIX if args.warm_up else "")
    book_as_of = date.fromisoformat(args.as_of)
    as_of = book_as_of + timedelta(days=1)
    results = []
    with tempfile.TemporaryDirectory(prefix="lifecrm-bench-daily-") as var_dir:
        build = None
        if args.rebuild or _existing_key(book) != key:
            build = _build_book(book, customers, key, args, var_dir)
        else:
            print(f"reusing {book} ({key})", file=sys.stderr, flush=True)
        for repeat in range(args.repeats):
            copy_seconds = _copy_book(book)
            print(f"repeat {repeat + 1}: copied the book in {copy_seconds:.1f} s; SQL bound…", file=sys.stderr,
                  flush=True)
            bound_seconds, bound_rows = _sql_bound(as_of)
            print(f"repeat {repeat + 1}: run-daily --as-of {as_of}…", file=sys.stderr, flush=True)
            log = Path(var_dir) / f"run-daily-{repeat + 1}.log"
            repeat_var = Path(var_dir) / f"var-{repeat + 1}"  # outboxes and bank files of this repeat only
            repeat_var.mkdir()
            seconds, code = _run_daily(as_of, str(repeat_var), args.timeout, log, args.workers)
            print_seconds = print_code = None
            if args.print_run:
                print(f"repeat {repeat + 1}: print-letters --as-of {as_of} (after the batch, timed apart)…",
                      file=sys.stderr, flush=True)
                print_seconds, print_code = _run_daily(as_of, str(repeat_var), args.timeout,
                                                       Path(var_dir) / f"print-letters-{repeat + 1}.log",
                                                       args.workers, "print-letters")
            steps, raised = _steps_and_raised(as_of)
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            celery = _celery_day(as_of, book, var_dir, args, repeat + 1) if args.celery_workers else None
            results.append({"print_seconds": print_seconds, "print_code": print_code,
                            "seconds": seconds, "code": code, "bound": bound_seconds, "bound_rows": bound_rows,
                            "steps": steps, "raised": raised, "copy_seconds": copy_seconds, "log_tail": tail,
                            "celery": celery})
        if not args.keep_copy:
            with _admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{RUN_DATABASE}" WITH (FORCE)')
    policies = _count_policies(book)
    return _report(args, customers, policies, as_of, build, results)


def _count_policies(book: str) -> int:
    import psycopg

    with psycopg.connect(_url(book)) as conn:
        return conn.execute("SELECT count(*) FROM policies_policy").fetchone()[0]


def _report(args, customers: int, policies: int, as_of: date, build: dict | None, results: list[dict]) -> bool:
    ok_all = True
    print()
    print(f"book: {customers:,} customers, {policies:,} policies (seed {args.seed}, as of {args.as_of}, "
          f"{args.jurisdiction}); run-daily --as-of {as_of}")
    if build:
        print(f"book generated in {build['seconds']:.1f} s (+ migrate {build['migrate_seconds']:.1f} s, "
              f"analyze {build['analyze_seconds']:.1f} s"
              + (f", warm-up run-daily --as-of {args.as_of} {build['warm_up_seconds']:.1f} s"
                 if build.get("warm_up_seconds") is not None else "") + "; not timed): " +
              ", ".join(f"{k.split('.')[1]} {v:,}" for k, v in build["counts"].items()))
    for i, r in enumerate(results, 1):
        rows = [("step", "rows", "chunks", "seconds")]
        for step, chunks, count, seconds in r["steps"]:
            if step in PRINT_RUN:
                continue
            rows.append((step, f"{count:,}", f"{chunks:,}", "-" if seconds is None else f"{seconds:.2f}"))
        widths = [max(len(row[c]) for row in rows) for c in range(4)]
        print()
        print(f"repeat {i} (fresh copy of the book, made in {r['copy_seconds']:.1f} s, not timed)")
        for j, row in enumerate(rows):
            print(" | ".join(cell.ljust(w) if c == 0 else cell.rjust(w) for c, (cell, w) in
                             enumerate(zip(row, widths, strict=True))))
            if j == 0:
                print("-+-".join("-" * w for w in widths))
        bound = r["bound"][-1]
        same = r["bound_rows"] == r["raised"]
        finished = r["code"] == 0
        ratio = r["seconds"] / bound if bound > 0 else float("inf")
        ok = finished and same and r["seconds"] <= TARGET_SECONDS and ratio <= TARGET_RATIO
        ok_all &= ok
        print()
        print(f"run-daily total          {r['seconds']:8.2f} s wall (subprocess, Django start-up included, "
              f"LIFECRM_JOB_WORKERS={args.workers})"
              + ("" if finished else f"  -- {'stopped at the timeout' if r['code'] is None else 'FAILED'}"))
        if r["print_seconds"] is not None:
            letters = sum(count for step, _, count, _ in r["steps"] if step in PRINT_RUN)
            print(f"print run (after it)     {r['print_seconds']:8.2f} s wall: `lifecrm print-letters`, {letters:,} "
                  f"letters to PDF ({r['print_seconds'] / letters if letters else 0:.2f} s a letter; fans out to "
                  f"Celery workers)" + ("" if r["print_code"] == 0 else "  -- FAILED"))
        print(f"SQL bound (raise only)   {bound:8.2f} s (warm; cold {r['bound'][0]:.2f} s), "
              f"{len(r['bound_rows']):,} due items")
        print(f"ratio run-daily / bound  {ratio:8.1f}x")
        raise_seconds = next((t for step, _, _, t in r["steps"] if step == "billing.raise_due_items"), None)
        if raise_seconds is not None and bound > 0:
            print(f"  billing.raise_due_items alone: {raise_seconds:.2f} s = {raise_seconds / bound:.1f}x the bound")
        print(f"targets                  ≤ {TARGET_SECONDS:.0f} s: {'PASS' if r['seconds'] <= TARGET_SECONDS else 'FAIL'}"
              f"; ≤ {TARGET_RATIO:.0f}x the bound: {'PASS' if ratio <= TARGET_RATIO else 'FAIL'}")
        only_sql, only_daily = r["bound_rows"] - r["raised"], r["raised"] - r["bound_rows"]
        print(f"same due items           {'yes' if same else 'NO'}: {len(r['raised']):,} raised by run-daily, "
              f"{len(only_sql):,} only in SQL, {len(only_daily):,} only in run-daily")
        for label, sample in (("only in SQL", only_sql), ("only in run-daily", only_daily)):
            for row in sorted(sample)[:3]:
                print(f"  e.g. {label}: {row}")
        if not finished:
            print("run-daily output, last lines:\n  " + "\n  ".join(r["log_tail"]))
        if r.get("celery"):
            ok &= _report_celery(args, r)
            ok_all &= ok
        print(f"result                   {'PASS' if ok else 'FAIL'}")
    print(f"\nmachine: {os.cpu_count()} CPUs, load average now {os.getloadavg()[0]:.2f}")
    return ok_all


def _report_celery(args, r: dict) -> bool:
    """In-process and Celery, step by step, side by side; True when the Celery run finished with the same due items."""
    celery = r["celery"]
    by_step = {step: (count, chunks, t) for step, chunks, count, t in celery["steps"]}
    rows = [("step", "rows", "chunks", "in-process s", "chunks", "Celery s")]
    for step, chunks, count, seconds in r["steps"]:
        if step in PRINT_RUN:
            continue
        c_count, c_chunks, c_seconds = by_step.get(step, (0, 0, None))
        rows.append((step, f"{count:,}" + ("" if c_count == count else f" / {c_count:,}"), f"{chunks:,}",
                     "-" if seconds is None else f"{seconds:.2f}", f"{c_chunks:,}",
                     "-" if c_seconds is None else f"{c_seconds:.2f}"))
    widths = [max(len(row[c]) for row in rows) for c in range(6)]
    print()
    print(f"in-process (LIFECRM_JOB_WORKERS={args.workers}) and Celery ({args.celery_workers} worker processes), "
          "side by side (rows: in-process / Celery where they differ)")
    for j, row in enumerate(rows):
        print(" | ".join(cell.ljust(w) if c == 0 else cell.rjust(w) for c, (cell, w) in
                         enumerate(zip(row, widths, strict=True))))
        if j == 0:
            print("-+-".join("-" * w for w in widths))
    finished, same = celery["code"] == 0, celery["raised"] == r["raised"]
    print(f"run-daily total          {r['seconds']:8.2f} s in-process, {celery['seconds']:8.2f} s on Celery "
          f"({celery['seconds'] / r['seconds'] if r['seconds'] else 0:.2f}x)"
          + ("" if finished else f"  -- Celery {'stopped at the timeout' if celery['code'] is None else 'FAILED'}"))
    print(f"same due items on Celery {'yes' if same else 'NO'}: {len(celery['raised']):,} raised")
    if not finished:
        print("run-daily on Celery, last lines:\n  " + "\n  ".join(celery["log_tail"]))
    return finished and same


# --------------------------------------------------------------------------- worker: generate the book


def _build_worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="_daily-build")
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--jurisdiction", required=True)
    parser.add_argument("--warm-up", action="store_true")
    args = parser.parse_args(argv)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from lifecrm.billing.services import DUE_ITEM_LEAD_DAYS
    from lifecrm.core.generator import build_book

    if DUE_ITEM_LEAD_DAYS != LEAD_DAYS:
        raise SystemExit(f"bench_daily.LEAD_DAYS is {LEAD_DAYS}, billing's DUE_ITEM_LEAD_DAYS {DUE_ITEM_LEAD_DAYS}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_seconds = time.perf_counter() - started
    connection.close()
    result = build_book(customers=args.customers, seed=args.seed, as_of=date.fromisoformat(args.as_of),
                        jurisdiction=args.jurisdiction, progress=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    output = {"seconds": result.seconds, "counts": result.counts, "migrate_seconds": migrate_seconds,
              "analyze_seconds": time.perf_counter() - started, "warm_up_seconds": None}
    if args.warm_up:
        started = time.perf_counter()
        call_command("run-daily", as_of=args.as_of, no_progress=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        output["warm_up_seconds"] = time.perf_counter() - started
    print("RESULT " + json.dumps(output))
    return 0


WORKERS = {"_daily-build": _build_worker}

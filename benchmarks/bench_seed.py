"""Benchmark `seed`: generate a 100,000-customer book on fresh SQLite and PostgreSQL databases.

Reference, in the same run and on the same database: the same book's Customer rows written through
Django's `bulk_create` (a subset, extrapolated to rows per second). The seed writes every table of
the book (policies, versions, coverages, beneficiaries, journals, consents, relationships); the
reference writes only the customers, and still must be slower.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

NAME = "seed"
HELP = "lifecrm seed: customers per second with their policies and histories (target 20,000/s)"
TARGET = 20_000
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "lifecrm_bench_seed"
REPO = Path(__file__).resolve().parent.parent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", default="2026-11-25")
    parser.add_argument("--jurisdiction", default="CN")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--reference-rows", type=int, default=5_000, help="customers written by bulk_create")
    parser.add_argument("--no-digest", action="store_true", help="skip the book digests")


def _postgres_url() -> str | None:
    """A fresh database on the local PostgreSQL, or None when none is reachable."""
    try:
        import psycopg
    except ImportError:
        return None
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    except psycopg.Error as exc:
        print(f"PostgreSQL not used: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}"


def _drop_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def _run_worker(database_url: str, args: argparse.Namespace) -> dict:
    env = os.environ | {"LIFECRM_ENV": "dev", "DEBUG": "false", "DATABASE_URL": database_url,
                        "DJANGO_SETTINGS_MODULE": "lifecrm.config.settings", "PYTHONPATH": str(REPO)}
    command = [sys.executable, str(Path(__file__).with_name("run.py")), "_seed-worker", "--customers",
               str(args.customers), "--seed", str(args.seed), "--as-of", args.as_of, "--jurisdiction",
               args.jurisdiction, "--reference-rows", str(args.reference_rows)]
    if args.no_digest:
        command.append("--no-digest")
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"the seed worker failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


def run(args: argparse.Namespace) -> bool:
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    results = []
    with tempfile.TemporaryDirectory(prefix="lifecrm-bench-") as tmp:
        for backend in backends:
            if backend == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'seed.sqlite3'}"
            elif backend == "postgresql":
                url = _postgres_url()
                if url is None:
                    continue
            else:
                print(f"unknown backend {backend!r}", file=sys.stderr)
                continue
            print(f"seeding {args.customers:,} customers on {backend}…", file=sys.stderr, flush=True)
            try:
                results.append(_run_worker(url, args))
            finally:
                if backend == "postgresql":
                    _drop_postgres()
    _print_table(args, results)
    return bool(results) and all(r["customers_per_second"] >= TARGET for r in results)


def _print_table(args: argparse.Namespace, results: list[dict]) -> None:
    header = ("backend", "customers", "policies", "rows", "seconds", "customers/s", "rows/s",
              f"target {TARGET:,}/s", "pass/fail")
    lines = []
    for r in results:
        lines.append((r["backend"], f"{r['customers']:,}", f"{r['policies']:,}", f"{r['rows']:,}",
                      f"{r['seconds']:.1f}", f"{r['customers_per_second']:,.0f}", f"{r['rows'] / r['seconds']:,.0f}",
                      f"{TARGET:,}", "PASS" if r["customers_per_second"] >= TARGET else "FAIL"))
    for r in results:
        ref = r["reference"]
        lines.append((
            f"{r['backend']} reference: Django bulk_create of the same book's Customer rows only",
            f"{ref['rows']:,}", "-", f"{ref['rows']:,}", f"{ref['seconds']:.2f}",
            f"{ref['rows_per_second']:,.0f} (extrapolated)", f"{ref['rows_per_second']:,.0f}", "-",
            f"seed {r['customers_per_second'] / ref['rows_per_second']:.1f}x customers/s, "
            f"{r['rows'] / r['seconds'] / ref['rows_per_second']:.0f}x rows/s",
        ))
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    print()
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in lines:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    print()
    print(f"machine: {os.cpu_count()} CPUs; wall-clock figures depend on what else runs (see the load averages)")
    for r in results:
        print(f"{r['backend']}: seed {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU in the seeding process and its children, "
              f"load average before {r['load_before']:.2f}; migrate {r['migrate_seconds']:.1f} s (not counted)")
        if r.get("machine_cpu_seconds"):
            cpus = os.cpu_count() or 1
            busy = r["machine_cpu_seconds"]
            budget = cpus * r["customers"] / TARGET
            print(f"{r['backend']}: the machine was busy {busy:.1f} CPU-s over the seed (server included): with all "
                  f"{cpus} CPUs busy throughout it would take {busy / cpus:.1f} s, {r['customers'] * cpus / busy:,.0f} "
                  f"customers/s at most; {TARGET:,}/s allows {budget:.1f} CPU-s on {cpus} CPUs")
        print(f"{r['backend']}: rows per table " + ", ".join(f"{k.split('.')[1]} {v:,}" for k, v in r["counts"].items()))
        if r.get("digest"):
            print(f"{r['backend']}: book sha256 {r['digest']} ({r['digest_seconds']:.1f} s)")
    digests = {r.get("digest") for r in results if r.get("digest")}
    if len(results) > 1 and len(digests) == 1:
        print("the same book on every backend: the digests are equal")
    elif len(digests) > 1:
        print("WARNING: the backends' books differ")


# --------------------------------------------------------------------------- worker (a fresh process per backend)


def _worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="_seed-worker")
    add_arguments(parser)
    args = parser.parse_args(argv)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from lifecrm.core.digest import book_digest
    from lifecrm.core.generator import build_book

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_seconds = time.perf_counter() - started
    connection.close()
    load_before = os.getloadavg()[0]
    cpu, before, busy = time.process_time(), os.times(), _machine_busy_seconds()
    result = build_book(customers=args.customers, seed=args.seed, as_of=date.fromisoformat(args.as_of),
                        jurisdiction=args.jurisdiction, progress=False)
    busy_after = _machine_busy_seconds()
    after = os.times()  # with the CPU of a process generating the chunks (SQLite), once it has ended
    cpu_seconds = (time.process_time() - cpu + after.children_user - before.children_user
                   + after.children_system - before.children_system)
    output = {
        "backend": connection.vendor, "customers": args.customers, "seconds": result.seconds,
        "cpu_seconds": cpu_seconds, "customers_per_second": args.customers / result.seconds,
        "policies": result.counts.get("policies.Policy", 0), "rows": sum(result.counts.values()),
        "counts": result.counts, "migrate_seconds": migrate_seconds, "load_before": load_before,
        "machine_cpu_seconds": None if busy is None else busy_after - busy,
    }
    if not args.no_digest:
        started = time.perf_counter()
        output["digest"] = book_digest().sha256
        output["digest_seconds"] = time.perf_counter() - started
    output["reference"] = _bulk_create_reference(args, min(args.reference_rows, args.customers))
    print("RESULT " + json.dumps(output))
    return 0


def _machine_busy_seconds() -> float | None:
    """CPU-seconds every CPU of the machine has spent busy since boot (/proc/stat; None elsewhere).

    The seed's work is shared between this process, its children and, on PostgreSQL, the server's
    backend and parallel workers: the machine's busy time over the seed counts them all (and
    whatever else runs, which the load average shows).
    """
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _bulk_create_reference(args: argparse.Namespace, rows: int) -> dict:
    """The Customer rows of a `rows`-customer book with the same seed, through the ORM's bulk_create.

    Written in a transaction that is rolled back, under shifted ids and numbers; the org chart's ids
    exist already (the big book's org chart is larger).
    """
    import numpy as np
    from django.db import transaction

    from lifecrm.core import generator as g
    from lifecrm.core.fields import decrypt_text
    from lifecrm.parties.models import Customer

    captured: list[dict] = []

    class Capture(g.BulkWriter):
        def insert(self, model, columns):
            if model is Customer:
                captured.append(columns)
            return 0

    from django.db import connection

    ctx = g.GeneratorContext(seed=args.seed, customers=rows, as_of=date.fromisoformat(args.as_of),
                             jurisdiction=args.jurisdiction, writer=Capture(connection))
    steps = [s for s in g.ordered_steps() if s.name in ("org.units", "parties.customers")]
    g.run_steps(ctx, steps, progress=False)
    shift = 10**9
    objects = []
    for columns in captured:
        count = len(columns["id"])
        values = {}
        for name, column in columns.items():
            values[name] = column.tolist() if isinstance(column, np.ndarray) else [column] * count
        for i in range(count):
            row = {name: values[name][i] for name in values}
            objects.append(Customer(
                id=row["id"] + shift, number="R" + row["number"][1:], kind=row["kind"], name=row["name"],
                name_romanised=row["name_romanised"], name_search=row["name_search"], sex=row["sex"],
                birth_date=None if row["birth_date"] == g.NO_DATE else g.date_of(row["birth_date"]),
                date_of_death=None, id_type=row["id_type"], id_number=decrypt_text(row["id_number"]),
                id_number_digest=row["id_number_digest"], id_number_last4=row["id_number_last4"],
                mobile_phone=row["mobile_phone"], home_phone=row["home_phone"], email=row["email"],
                address=row["address"], postcode=row["postcode"], jurisdiction_id=row["jurisdiction_id"],
                preferred_language=row["preferred_language"], preferred_channel=row["preferred_channel"],
                occupation_class=row["occupation_class"] or None, occupation=row["occupation"],
                employer_id=row["employer_id"] + shift if row["employer_id"] else None, branch_id=row["branch_id"],
                servicing_agent_id=row["servicing_agent_id"], branch_path=row["branch_path"],
                created_at=g.aware(row["created_at"]),
            ))
    with transaction.atomic():
        started = time.perf_counter()
        Customer.objects.bulk_create(objects, batch_size=1000)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {"rows": len(objects), "seconds": seconds, "rows_per_second": len(objects) / seconds}


WORKERS = {"_seed-worker": _worker}

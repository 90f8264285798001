"""What one customer 360, one search and one floor request cost in CPU, in-process, with production settings.

Not a benchmark of the runner (it has no target; `benchmarks/run.py serve` measures the load): a profile to run
before and after a change to the 360 or the search. It serves requests through Django's test Client (the whole
middleware stack, the WSGI handler, the cached template loader) against a PostgreSQL book, as the head-office
call-centre agent the serve benchmark uses, and prints per view: CPU milliseconds per request (time.process_time,
the client's own share included, a few tenths of a millisecond), wall milliseconds, and queries per request;
`--profile` adds cProfile's top functions for the 360 and the search.

    createdb -h 127.0.0.1 -U postgres perf360
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perf360 LIFECRM_ENV=dev lifecrm migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perf360 LIFECRM_ENV=dev lifecrm seed --customers 20000
    python benchmarks/profile_360.py --database perf360 [--requests 300] [--profile]

The book's field keys default to the dev key `seed` writes with (`--field-keys` for another book); the settings
are production's (LIFECRM_ENV=prod, DEBUG off, benchmarks/serve_settings.py, static files collected into a
temporary directory), so the run sees what a gunicorn worker sees.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEV_FIELD_KEY = "ZGV2LWluc2VjdXJlLWZpZWxkLWtleS0zMi1ieXRlcyE="  # lifecrm.config.settings' dev/test default
DEV_HASH_KEY = "dev-insecure-hash-key"
USER = "bench-callcentre"


def _environment(args: argparse.Namespace, var_dir: str) -> None:
    for name in [n for n in os.environ if n.startswith(("DJANGO_", "LIFECRM_"))]:
        del os.environ[name]
    os.environ.update({
        "LIFECRM_ENV": "prod", "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
        "LIFECRM_FIELD_KEYS": args.field_keys,
        # prod wants a strong first hash key; the book's own key second, so its ID digests still match
        "LIFECRM_HASH_KEYS": f"{secrets.token_urlsafe(32)},{args.hash_key}",
        "ALLOWED_HOSTS": "testserver", "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}",
        "LIFECRM_VAR": var_dir, "LIFECRM_JOBS": "inprocess", "DJANGO_SETTINGS_MODULE": "serve_settings",
        "LOG_LEVEL": "WARNING",
    })
    for path in (str(REPO), str(HERE)):
        if path not in sys.path:
            sys.path.insert(0, path)


def _login():
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.test import Client

    from lifecrm.core.actors import system
    from lifecrm.org.models import OrgUnit, Staff
    from lifecrm.org.services import staff_create

    with transaction.atomic():
        user, _ = get_user_model().objects.get_or_create(username=USER)
        if not Staff.objects.filter(user=user).exists():
            hq = OrgUnit.objects.filter(kind=OrgUnit.Kind.HQ).order_by("path").first()
            staff_create(actor=system("profile-360"), employee_no=USER.upper(), name=USER,
                         role=Staff.Role.CALLCENTRE, org_unit=hq, user=user)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hant")
    client.force_login(user)
    return client


def _sample(count: int, seed: int) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [1 / (1 + seed)])
        cursor.execute("SELECT id, number, name, mobile_phone FROM parties_customer ORDER BY random() LIMIT %s",
                       [count])
        return cursor.fetchall()


def _paths(sample: list[tuple], kind: str) -> list[tuple[str, str]]:
    """(path, what the answer must hold) per request."""
    out = []
    for i, (pk, number, name, phone) in enumerate(sample):
        if kind == "360":
            out.append((f"/customers/{pk}/", number))
        elif kind == "floor":
            out.append((f"/bench/floor/{pk}/", number))
        else:
            out.append((f"/search/?q={quote(phone if i % 2 == 0 and phone else name)}", ""))
    return out


def _run(client, paths, *, profiler: cProfile.Profile | None = None) -> dict:
    from django.db import connection

    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    cpu, wall, counts = [], [], []
    with connection.execute_wrapper(count):
        for path, expect in paths:
            queries[0] = 0
            c0, w0 = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            response = client.get(path)
            if profiler:
                profiler.disable()
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
            counts.append(queries[0])
            if response.status_code not in (200, 302) or expect.encode() not in response.content:
                raise RuntimeError(f"{path}: HTTP {response.status_code}, not the page")
    return {"cpu": cpu, "wall": wall, "queries": counts}


def _line(label: str, figures: dict) -> str:
    cpu, wall, q = figures["cpu"], figures["wall"], figures["queries"]
    return (f"{label:<7} n={len(cpu):<4} CPU ms/request mean {statistics.fmean(cpu):6.2f}  median "
            f"{statistics.median(cpu):6.2f}  p95 {sorted(cpu)[int(0.95 * (len(cpu) - 1))]:6.2f} | wall ms mean "
            f"{statistics.fmean(wall):6.2f} | queries/request mean {statistics.fmean(q):5.2f} "
            f"(min {min(q)}, max {max(q)})")


def _show_queries(client, paths) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for path, _expect in paths:
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        print(f"--- {path}: {len(captured)} queries, {sum(float(q['time']) for q in captured) * 1000:.1f} ms ---")
        for query in captured:
            print(f"{float(query['time']) * 1000:7.2f} ms  {query['sql'][:400]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="perf360", help="the PostgreSQL database holding the book")
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind (360, search, floor)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--field-keys", default=DEV_FIELD_KEY, help="the book's LIFECRM_FIELD_KEYS")
    parser.add_argument("--hash-key", default=DEV_HASH_KEY, help="the book's hash key (the ID searches need it)")
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions of the 360 and the search")
    parser.add_argument("--top", type=int, default=30, help="functions shown per profile")
    parser.add_argument("--queries", action="store_true", help="the SQL of one 360 and one search, with its times")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lifecrm-profile-360-") as var_dir:
        _environment(args, var_dir)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
        client = _login()
        sample = _sample(3 * args.requests + 20, args.seed)
        warm, sample = sample[:20], sample[20:]
        for kind in ("360", "search", "floor"):  # templates, catalogues, reference data, connection
            _run(client, _paths(warm, kind))
        chunks = {kind: sample[i * args.requests:(i + 1) * args.requests]
                  for i, kind in enumerate(("360", "search", "floor"))}
        results = {kind: _run(client, _paths(rows, kind)) for kind, rows in chunks.items()}
        for kind, figures in results.items():
            print(_line(kind, figures))
        print(f"360 ÷ floor CPU: {statistics.fmean(results['360']['cpu']) / statistics.fmean(results['floor']['cpu']):.1f}x")
        if args.queries:
            _show_queries(client, _paths(chunks["360"][:1], "360") + _paths(chunks["search"][:2], "search"))
        if args.profile:
            rng = random.Random(args.seed)
            for kind in ("360", "search"):
                profiler = cProfile.Profile(time.process_time)  # CPU, not the wait for the database
                _run(client, _paths(rng.sample(chunks[kind], min(100, len(chunks[kind]))), kind), profiler=profiler)
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out).strip_dirs()
                stats.sort_stats("tottime").print_stats(args.top)
                stats.sort_stats("cumulative").print_stats(args.top)
                print(f"--- cProfile of 100 {kind} requests ---")
                print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())

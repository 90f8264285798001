"""Benchmark `serve`: the customer 360 and the search under load, served by gunicorn with production settings.

The book (customers ≈ 1,000,000 policies / POLICIES_PER_CUSTOMER by default, `--customers` to choose) is generated
once into the PostgreSQL database `bench_serve` and reused while its key (size, seed, as-of, jurisdiction and the
generator and migration sources, as the daily benchmark's) is unchanged. The book's field-encryption and hash keys
are generated with it and kept in its own table `bench_serve_secrets`; SECRET_KEY is generated per run.

Each run:
1. collects the static files into a temporary directory and serves the book with gunicorn (sync workers,
   `--workers`, by default 2 × CPUs + 1) under LIFECRM_ENV=prod, DEBUG off, ALLOWED_HOSTS=127.0.0.1, with the
   benchmark's settings module (benchmarks/serve_settings.py: no SSL redirect and no secure-only cookies over
   plain HTTP; its URLconf adds the floor view, benchmarks/serve_urls.py);
2. logs a call-centre agent at head office (`bench-callcentre`, whose scope is the whole book) in through the
   login form and uses its session cookie for every request;
3. at each rate (25, 50, 100 requests/s by default) drives the server open-loop: request i starts at
   t0 + i / rate whatever the latency of the others (asyncio, one connection per request as gunicorn's sync
   workers close them), for `--seconds`:
   - the product: customer 360 pages (`/customers/<id>/`) and, every third request, a search
     (`/search/?q=` a customer's mobile phone or full name; a single match answers with a redirect to the 360,
     which counts as served and is not followed), customers picked at random from the book;
   - then the floor, at the same rate: a bare view that reads one customer row by key for the same logged-in
     user (`/bench/floor/<id>/`, the benchmark's URLconf only).
   Latency is measured from the request's scheduled start (a late start counts against the server, never
   hides it); an error is a timeout, a refused connection, or an answer other than the page (the 360 and the
   floor must hold the customer's number; a search answers 200 or a redirect to a customer).

Targets at 50 requests/s: customer 360 p99 ≤ TARGET_P99_MS and ≤ TARGET_RATIO × the floor's p99, no error.
The client runs on the same machine as the server and the database; the achieved send rate and the client's CPU
are printed beside the figures, so a sender that could not keep up shows.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from bench_daily import _admin, _existing_key, _url
from bench_daily import _book_key as daily_key
from bench_seed import _machine_busy_seconds

NAME = "serve"
HELP = "customer 360 and search under open-loop load on gunicorn (at 50 req/s: 360 p99 ≤ 250 ms and ≤ 3x the floor)"
TARGET_RATE = 50
TARGET_P99_MS = 250.0
TARGET_RATIO = 3.0
POLICIES_PER_CUSTOMER = 1.6547  # as the daily benchmark: a CN book of seed 1
BOOK_DATABASE = "bench_serve"
SECRETS_TABLE = "bench_serve_secrets"
BENCH_USER = "bench-callcentre"
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GUNICORN_CONFIG = REPO / "lifecrm" / "config" / "gunicorn.py"  # the product's, when it has one


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--customers", type=int, default=round(1_000_000 / POLICIES_PER_CUSTOMER),
                        help="customers of the book (default: a 1,000,000-policy book)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", default="2026-11-25")
    parser.add_argument("--jurisdiction", default="CN")
    parser.add_argument("--rates", default="25,50,100", help="requests per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds of load per rate and per view set")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a request counts as an error")
    parser.add_argument("--sample", type=int, default=5000, help="customers picked at random from the book")
    parser.add_argument("--database", default=BOOK_DATABASE, help="PostgreSQL database of the book")
    parser.add_argument("--rebuild", action="store_true", help="generate the book even if a matching one exists")
    parser.add_argument("--build-only", action="store_true", help="build (or check) the book and stop")
    parser.add_argument("--keep-server", action="store_true", help="print the server's address and wait (profiling)")


# --------------------------------------------------------------------------- the book


def _book_key(args: argparse.Namespace) -> str:
    return daily_key(args.customers, args)


def _build_env(field_keys: str, hash_key: str) -> dict[str, str]:
    return os.environ | {
        "LIFECRM_ENV": "dev", "DEBUG": "false", "DATABASE_URL": _url(BOOK_DATABASE), "LIFECRM_JOBS": "inprocess",
        "DJANGO_SETTINGS_MODULE": "lifecrm.config.settings", "PYTHONPATH": str(REPO),
        "LIFECRM_FIELD_KEYS": field_keys, "LIFECRM_HASH_KEY": hash_key,
    }


def _build_book(args: argparse.Namespace, key: str) -> dict:
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BOOK_DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{BOOK_DATABASE}"')
    field_keys = base64.urlsafe_b64encode(os.urandom(32)).decode()
    hash_key = secrets.token_urlsafe(32)
    print(f"generating the book: {args.customers:,} customers into {BOOK_DATABASE}…", file=sys.stderr, flush=True)
    command = [sys.executable, str(HERE / "run.py"), "_serve-build", "--customers", str(args.customers),
               "--seed", str(args.seed), "--as-of", args.as_of, "--jurisdiction", args.jurisdiction]
    done = subprocess.run(command, env=_build_env(field_keys, hash_key), cwd=REPO, stdout=subprocess.PIPE,
                          text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            with _admin() as admin:
                admin.execute(f"COMMENT ON DATABASE \"{BOOK_DATABASE}\" IS '{key}'")
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"building the book failed (exit {done.returncode}):\n{done.stdout[-2000:]}")


def _book_secrets() -> tuple[str, str]:
    import psycopg

    with psycopg.connect(_url(BOOK_DATABASE)) as conn:
        return conn.execute(f"SELECT field_keys, hash_key FROM {SECRETS_TABLE}").fetchone()


def _book_counts() -> tuple[int, int]:
    import psycopg

    with psycopg.connect(_url(BOOK_DATABASE)) as conn:
        customers = conn.execute("SELECT count(*) FROM parties_customer").fetchone()[0]
        policies = conn.execute("SELECT count(*) FROM policies_policy").fetchone()[0]
    return customers, policies


# --------------------------------------------------------------------------- the server


def _serve_env(var_dir: str, field_keys: str, hash_key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LIFECRM_"))}
    return env | {
        "LIFECRM_ENV": "prod", "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
        "LIFECRM_FIELD_KEYS": field_keys, "LIFECRM_HASH_KEY": hash_key, "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": _url(BOOK_DATABASE), "LIFECRM_VAR": var_dir, "LIFECRM_JOBS": "inprocess",
        "DJANGO_SETTINGS_MODULE": "serve_settings", "PYTHONPATH": os.pathsep.join([str(REPO), str(HERE)]),
        "LOG_LEVEL": "WARNING",
    }


def _prepare(env: dict[str, str], args: argparse.Namespace) -> dict:
    """collectstatic, the benchmark's login with a fresh password, and the customers to ask for."""
    command = [sys.executable, str(HERE / "run.py"), "_serve-prepare", "--sample", str(args.sample),
               "--seed", str(args.seed)]
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"preparing the server failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
    if GUNICORN_CONFIG.exists():
        command += ["--config", str(GUNICORN_CONFIG)]
    # The command line wins over the config file: the address, the workers and no access log (its writes
    # would be timed too).
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
                "--backlog", "2048", "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning",
                "--access-logfile", "/dev/null", "--error-logfile", "-", "lifecrm.config.wsgi:application"]
    out = log.open("w")
    process = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start:\n{log.read_text()[-4000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        time.sleep(0.3)
    _stop_server(process)
    raise RuntimeError(f"gunicorn did not answer /healthz within 60 s:\n{log.read_text()[-4000:]}")


def _stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def _login(port: int, password: str) -> str:
    """The session cookie of BENCH_USER, logged in through the login form as a browser does."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login/")
    response = conn.getresponse()
    page = response.read().decode()
    jar = _cookies(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None or "csrftoken" not in jar:
        raise RuntimeError(f"the login page has no CSRF token (status {response.status})")
    body = f"csrfmiddlewaretoken={quote(token.group(1))}&username={BENCH_USER}&password={quote(password)}&next=/"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/login/", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={jar['csrftoken']}",
        "Referer": f"http://127.0.0.1:{port}/login/", "Origin": f"http://127.0.0.1:{port}"})
    response = conn.getresponse()
    response.read()
    session = _cookies(response).get("sessionid")
    if response.status != 302 or not session:
        raise RuntimeError(f"the benchmark's login failed: status {response.status}")
    return f"sessionid={session}; csrftoken={jar['csrftoken']}"


# --------------------------------------------------------------------------- the open-loop client


@dataclass
class Request:
    kind: str  # "360", "search", "floor"
    path: str
    expect: str  # what a good answer holds: the customer's number, or "" for a search


@dataclass
class Outcome:
    kind: str
    scheduled: float
    started: float
    latency: float  # seconds from the scheduled start to the end of the answer
    ok: bool
    error: str = ""


@dataclass
class Phase:
    rate: float
    label: str
    outcomes: list[Outcome] = field(default_factory=list)
    client_cpu: float = 0.0
    wall: float = 0.0
    server_cpu: float = 0.0  # CPU-seconds of the gunicorn workers over the phase
    restarts: int = 0  # workers gunicorn replaced during the phase (max_requests, a timeout, a crash)
    machine_busy: float = 0.0  # CPU-seconds every CPU of the machine was busy over the phase (everything)

    def send_rate(self) -> float:
        starts = sorted(o.started for o in self.outcomes)
        return (len(starts) - 1) / (starts[-1] - starts[0]) if len(starts) > 1 else 0.0

    def max_lag_ms(self) -> float:
        return max((o.started - o.scheduled for o in self.outcomes), default=0.0) * 1000


async def _fetch(port: int, request: Request, cookie: str, timeout: float) -> tuple[bool, str]:
    head = (f"GET {request.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
            f"Accept-Language: zh-hant\r\nConnection: close\r\n\r\n").encode()

    async def exchange() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(head)
            await writer.drain()
            return await reader.read()
        finally:
            writer.close()

    try:
        answer = await asyncio.wait_for(exchange(), timeout)
    except TimeoutError:
        return False, "timeout"
    except OSError as exc:
        return False, type(exc).__name__
    status_line, _, rest = answer.partition(b"\r\n")
    parts = status_line.split()
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    if request.kind == "search":
        if status == 200 or (status == 302 and b"\r\nLocation: /customers/" in rest):
            return True, ""
        return False, f"HTTP {status}"
    if status != 200:
        return False, f"HTTP {status}"
    if request.expect.encode() not in rest:
        return False, "not the customer's page"
    return True, ""


async def _drive(port: int, cookie: str, requests: list[Request], rate: float, timeout: float) -> list[Outcome]:
    loop = asyncio.get_running_loop()
    outcomes: list[Outcome] = []

    async def one(request: Request, scheduled: float) -> None:
        started = loop.time()
        ok, error = await _fetch(port, request, cookie, timeout)
        outcomes.append(Outcome(request.kind, scheduled, started, loop.time() - scheduled, ok, error))

    tasks = []
    t0 = loop.time() + 0.1
    for i, request in enumerate(requests):
        scheduled = t0 + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request, scheduled)))
    await asyncio.gather(*tasks)
    return outcomes


def _process_cpu(pids: list[int]) -> dict[int, float]:
    """CPU-seconds (user + system) each process has used so far (Linux /proc; none elsewhere)."""
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def _workers(server: subprocess.Popen) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
    return []


def _machine_busy() -> float:
    return _machine_busy_seconds() or 0.0


def _wait_idle(port: int, limit: float = 120.0) -> None:
    """Until the server answers /healthz at once: requests a previous phase left queued (their client gave up
    at the timeout, the server still works them off) must not weigh on the next phase."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        started = time.monotonic()
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=limit)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            if time.monotonic() - started < 0.1:
                return
        time.sleep(0.2)


def _run_phase(port: int, cookie: str, requests: list[Request], rate: float, label: str, timeout: float,
               server: subprocess.Popen) -> Phase:
    _wait_idle(port)
    phase = Phase(rate, label)
    server_cpu, busy = _process_cpu(_workers(server)), _machine_busy()
    cpu, wall = time.process_time(), time.perf_counter()
    phase.outcomes = asyncio.run(_drive(port, cookie, requests, rate, timeout))
    phase.client_cpu, phase.wall = time.process_time() - cpu, time.perf_counter() - wall
    # the workers at the end: one that replaced another during the phase counts from its start (the CPU of a
    # replaced one after the first reading is lost: the figure is then a little low, and the restart shows)
    now = _process_cpu(_workers(server))
    phase.server_cpu = sum(used - server_cpu.get(pid, 0.0) for pid, used in now.items())
    phase.restarts, phase.machine_busy = len(now.keys() - server_cpu.keys()), _machine_busy() - busy
    return phase


def _requests(customers: list[list], count: int, rng: random.Random, *, floor: bool) -> list[Request]:
    out = []
    for i in range(count):
        pk, number, name, phone = rng.choice(customers)
        if floor:
            out.append(Request("floor", f"/bench/floor/{pk}/", number))
        elif i % 3 == 2:
            query = phone if (i // 3) % 2 == 0 and phone else name
            out.append(Request("search", f"/search/?q={quote(query)}", ""))
        else:
            out.append(Request("360", f"/customers/{pk}/", number))
    return out


# --------------------------------------------------------------------------- the run and the table


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[index]


def _figures(outcomes: list[Outcome], kind: str) -> dict:
    mine = [o for o in outcomes if o.kind == kind]
    good = [o.latency * 1000 for o in mine if o.ok]
    errors = [o.error for o in mine if not o.ok]
    return {"n": len(mine), "p50": _percentile(good, 50), "p95": _percentile(good, 95), "p99": _percentile(good, 99),
            "max": max(good, default=float("nan")), "errors": len(errors),
            "error_kinds": sorted({e for e in errors})}


def run(args: argparse.Namespace) -> bool:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        print("the serve benchmark needs psycopg and a PostgreSQL server", file=sys.stderr)
        return False
    global BOOK_DATABASE
    BOOK_DATABASE = args.database
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    key = _book_key(args)
    build = None
    if args.rebuild or _existing_key(BOOK_DATABASE) != key:
        build = _build_book(args, key)
    else:
        print(f"reusing {BOOK_DATABASE} ({key})", file=sys.stderr, flush=True)
    customers, policies = _book_counts()
    if args.build_only:
        print(f"book {BOOK_DATABASE}: {customers:,} customers, {policies:,} policies"
              + (f"; generated in {build['seconds']:.0f} s" if build else ""))
        return True
    field_keys, hash_key = _book_secrets()
    with tempfile.TemporaryDirectory(prefix="lifecrm-bench-serve-") as var_dir:
        env = _serve_env(var_dir, field_keys, hash_key)
        prepared = _prepare(env, args)
        port = _free_port()
        log = Path(var_dir) / "gunicorn.log"
        print(f"serving on 127.0.0.1:{port} with {args.workers} gunicorn workers…", file=sys.stderr, flush=True)
        server = _start_server(env, port, args.workers, log)
        try:
            cookie = _login(port, prepared["password"])
            if args.keep_server:
                print(f"server at http://127.0.0.1:{port}/ (cookie {cookie}); Ctrl-C stops it", flush=True)
                with contextlib.suppress(KeyboardInterrupt):
                    server.wait()
                return True
            rng = random.Random(args.seed)
            sample = prepared["customers"]
            # Warm-up, not counted: every worker loads its templates, catalogues and cached reference data.
            _run_phase(port, cookie, _requests(sample, 20 * args.workers, rng, floor=False), 10, "warm-up",
                       args.timeout, server)
            _run_phase(port, cookie, _requests(sample, 5 * args.workers, rng, floor=True), 10, "warm-up",
                       args.timeout, server)
            phases = []
            for rate in rates:
                count = max(1, round(rate * args.seconds))
                for label, floor in (("product", False), ("floor", True)):
                    print(f"{rate:g} req/s: {count:,} {label} requests…", file=sys.stderr, flush=True)
                    phases.append(_run_phase(port, cookie, _requests(sample, count, rng, floor=floor), rate, label,
                                             args.timeout, server))
        finally:
            _stop_server(server)
        server_log = log.read_text(errors="replace").strip().splitlines()
    return _report(args, customers, policies, build, phases, server_log)


def _report(args, customers: int, policies: int, build: dict | None, phases: list[Phase],
            server_log: list[str]) -> bool:
    print()
    print(f"book: {BOOK_DATABASE}, {customers:,} customers, {policies:,} policies (seed {args.seed}, as of "
          f"{args.as_of}, {args.jurisdiction})" + (f"; generated in {build['seconds']:.0f} s (not timed)" if build else ""))
    print(f"server: gunicorn, {args.workers} sync workers, LIFECRM_ENV=prod, DEBUG off; "
          f"client: open-loop asyncio, one connection per request, {args.seconds:g} s per rate and view set")
    header = ("rate/s", "view", "requests", "sent/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "target")
    rows = []
    held = {}
    by_rate: dict[float, dict[str, Phase]] = {}
    for phase in phases:
        by_rate.setdefault(phase.rate, {})[phase.label] = phase
    for rate, pair in by_rate.items():
        product, floor = pair["product"], pair["floor"]
        f360, fsearch, ffloor = (_figures(product.outcomes, "360"), _figures(product.outcomes, "search"),
                                 _figures(floor.outcomes, "floor"))
        ratio = f360["p99"] / ffloor["p99"] if ffloor["p99"] > 0 else float("inf")
        ok = f360["p99"] <= TARGET_P99_MS and ratio <= TARGET_RATIO and f360["errors"] == 0 and ffloor["errors"] == 0
        held[rate] = (ok, ratio)
        target = (f"p99 ≤ {TARGET_P99_MS:.0f} ms and ≤ {TARGET_RATIO:.0f}x floor ({ratio:.1f}x): "
                  f"{'PASS' if ok else 'FAIL'}")
        for label, figures, phase, note in (("customer 360", f360, product, target), ("search", fsearch, product, ""),
                                            ("floor (one row by key)", ffloor, floor, "")):
            rows.append((f"{rate:g}", label, f"{figures['n']:,}", f"{phase.send_rate():.1f}", f"{figures['p50']:.0f}",
                         f"{figures['p95']:.0f}", f"{figures['p99']:.0f}", f"{figures['max']:.0f}",
                         str(figures["errors"]) + (f" ({', '.join(figures['error_kinds'])})" if figures["errors"] else ""),
                         note))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print()
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.rjust(w) if 1 < i < 9 or i == 0 else c.ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    print()
    for phase in phases:
        lag = phase.max_lag_ms()
        print(f"{phase.rate:g} req/s {phase.label}: sent {len(phase.outcomes):,} at {phase.send_rate():.2f}/s "
              f"(asked {phase.rate:g}/s), latest start {lag:.1f} ms behind schedule; over its {phase.wall:.1f} s: "
              f"client CPU {phase.client_cpu:.1f} s, gunicorn workers {phase.server_cpu:.1f} s "
              f"({phase.server_cpu / len(phase.outcomes) * 1000:.0f} ms per request sent; less than a request costs when "
              f"the workers could not keep up), {phase.restarts} worker(s) replaced, machine busy "
              f"{phase.machine_busy / phase.wall:.2f} of {os.cpu_count()} CPUs")
    passing = [rate for rate, (ok, _) in held.items() if ok]
    highest = max(passing) if passing else None
    target_ok = held.get(float(TARGET_RATE), (False, 0))[0]
    print(f"highest rate held within target (360 p99 ≤ {TARGET_P99_MS:.0f} ms, ≤ {TARGET_RATIO:.0f}x floor, no error): "
          + (f"{highest:g} req/s" if highest is not None else "none"))
    print(f"target at {TARGET_RATE} req/s: {'PASS' if target_ok else 'FAIL' if float(TARGET_RATE) in held else 'not run'}")
    problems = [line for line in server_log if "Traceback" in line or "ERROR" in line or "CRITICAL" in line]
    if problems:
        print(f"server log: {len(problems)} error lines, e.g.: " + " / ".join(problems[:3]))
    print(f"machine: {os.cpu_count()} CPUs, load average now {os.getloadavg()[0]:.2f} (server, database and client "
          f"share them)")
    return target_ok


# --------------------------------------------------------------------------- workers


def _build_worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="_serve-build")
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--jurisdiction", required=True)
    args = parser.parse_args(argv)
    import django

    django.setup()
    from datetime import date

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from lifecrm.core.generator import build_book

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_seconds = time.perf_counter() - started
    connection.close()
    result = build_book(customers=args.customers, seed=args.seed, as_of=date.fromisoformat(args.as_of),
                        jurisdiction=args.jurisdiction, progress=True)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {SECRETS_TABLE} (field_keys text NOT NULL, hash_key text NOT NULL)")
        cursor.execute(f"INSERT INTO {SECRETS_TABLE} VALUES (%s, %s)",
                       [",".join(settings.FIELD_ENCRYPTION_KEYS), settings.FIELD_HASH_KEY])
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
    print("RESULT " + json.dumps({"seconds": result.seconds, "counts": result.counts,
                                  "migrate_seconds": migrate_seconds,
                                  "analyze_seconds": time.perf_counter() - started}))
    return 0


def _prepare_worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="_serve-prepare")
    parser.add_argument("--sample", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    args = parser.parse_args(argv)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from lifecrm.core.actors import system
    from lifecrm.org.models import OrgUnit, Staff
    from lifecrm.org.services import staff_create

    call_command("collectstatic", interactive=False, verbosity=0)
    password = secrets.token_urlsafe(18)
    with transaction.atomic():
        user, _ = get_user_model().objects.get_or_create(username=BENCH_USER)
        user.set_password(password)
        user.save()
        if not Staff.objects.filter(user=user).exists():
            hq = OrgUnit.objects.filter(kind=OrgUnit.Kind.HQ).order_by("path").first()
            staff_create(actor=system("bench-serve"), employee_no=BENCH_USER.upper(), name=BENCH_USER, role=Staff.Role.CALLCENTRE,
                         org_unit=hq, user=user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [1 / (1 + args.seed)])
        cursor.execute("SELECT id, number, name, mobile_phone FROM parties_customer ORDER BY random() LIMIT %s",
                       [args.sample])
        sample = [list(row) for row in cursor.fetchall()]
    print("RESULT " + json.dumps({"password": password, "customers": sample}))
    return 0


WORKERS = {"_serve-build": _build_worker, "_serve-prepare": _prepare_worker}

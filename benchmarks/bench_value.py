"""Benchmark `value`: lifecrm's basiclife projection against lifelib itself, in the same run.

On lifelib's 10,000 model points (lifecrm/value/tests/data/basiclife/):
1. lifelib BasicTerm_ME (modelx, whole-book pandas formulas) and BasicTerm_S (modelx, one point at
   a time; `--s-points` of them, 10,000 takes about ten minutes) in their own virtualenv, run as
   subprocesses (`benchmarks/value/lifelib_run.py`); lifelib and modelx are never lifecrm
   dependencies. The benchmark makes that virtualenv when it is missing (this Python's venv, PyPI's
   lifelib 0.17.2 and modelx 0.33.0); if it cannot, it prints lifecrm's figures alone and no verdict of met.
2. lifecrm's projection on the same points: the numba kernel (lifecrm's default) and the numpy
   whole-array formulas, each warm (compiled code loaded, tables read), best of `--repeat`.
3. the largest differences from lifelib: per point (absolute) and on the totals (relative), and
   whether every premium is equal to the cent.
4. `--scale N` (default 1,000,000): lifecrm alone on N points (lifelib's points repeated), in a
   worker process whose peak memory is measured.
Targets (issue 15): ≥ 30× lifelib ME, ≥ 1,000× lifelib S (per point), N = 1,000,000 in ≤ 20 s and ≤ 2 GB.
"""
from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NAME = "value"
HELP = "basiclife projection (BasicTerm_ME / _S) vs lifelib itself: time, policies/s, differences"
REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "lifecrm" / "value" / "tests" / "data" / "basiclife"
LIFELIB_RUN = REPO / "benchmarks" / "value" / "lifelib_run.py"
TARGET_ME, TARGET_S, TARGET_SCALE_SECONDS, TARGET_SCALE_BYTES = 30.0, 1000.0, 20.0, 2 * 1024**3
COLUMNS = ("premium_pp", "pv_premiums", "pv_claims", "pv_expenses", "pv_commissions", "pv_net_cf")


def add_arguments(parser) -> None:
    parser.add_argument("--venv", type=Path, default=Path(os.environ.get("LIFELIB_VENV", "/work/lifelib-venv")),
                        help="lifelib's own virtualenv (default /work/lifelib-venv)")
    parser.add_argument("--library", type=Path, default=Path("/work/basiclife"),
                        help="where lifelib.create('basiclife', …) puts its library (made if missing)")
    parser.add_argument("--s-points", type=int, default=500, help="model points lifelib S runs (default 500)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=int, default=1_000_000, help="lifecrm alone on this many points (0: skip)")


def _setup_django() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifecrm.config.settings")
    os.environ.setdefault("LIFECRM_ENV", "dev")  # a benchmark on this machine, like the demo (no production secrets)


def _inputs():
    _setup_django()
    from lifecrm.value import tables

    return (tables.read_model_points(DATA / "model_point_table.csv", "ME"),
            tables.read_mortality(DATA / "mort_table.csv"), tables.read_discount(DATA / "disc_rate_ann.csv"),
            tables.read_premium_table(DATA / "premium_table.csv"))


def _lifecrm(model: str, engine: str, repeat: int, points=None):
    from lifecrm.value.projection import project

    book, mort, disc, premiums = _inputs()
    if points is not None:
        book = book.take(slice(0, points))
    project(model, book.take(slice(0, 10)), mort, disc, premiums, engine=engine)  # compile / load
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = project(model, book, mort, disc, premiums, engine=engine)
        best = min(best, time.perf_counter() - started)
    return result, best, book


def _lifelib(args, model: str, points: int | None) -> tuple[dict | None, dict | None]:
    python = args.venv / "bin" / "python"
    if not python.exists():
        return None, None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.csv"
        command = [str(python), str(LIFELIB_RUN), "--model", model, "--library", str(args.library), "--out", str(out)]
        if points is not None:
            command += ["--points", str(points)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"  lifelib {model} failed: {done.stderr.strip().splitlines()[-1:]}")
            return None, None
        timing = json.loads(done.stdout.strip().splitlines()[-1])
        with out.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    values = {name: [float(row[name]) for row in rows] for name in COLUMNS}
    values["policy_id"] = [row["policy_id"] for row in rows]
    return timing, values


def _differences(result, reference) -> tuple[float, float, bool]:
    import numpy as np

    n = len(reference["policy_id"])
    assert list(result.policy_id[:n]) == reference["policy_id"]
    per_point = total = 0.0
    for name in COLUMNS[1:]:
        ours, theirs = result.columns[name][:n], np.array(reference[name])
        per_point = max(per_point, float(np.abs(ours - theirs).max()))
        total = max(total, abs(ours.sum() - theirs.sum()) / abs(theirs.sum()))
    cents = bool((result.columns["premium_pp"][:n] == np.array(reference["premium_pp"])).all())
    return per_point, total, cents


def _scale_worker(argv: list[str]) -> int:
    """`run.py _value_scale N`: lifecrm alone on N points; prints seconds and peak memory as JSON."""
    import numpy as np

    book, mort, disc, premiums = _inputs()
    from lifecrm.value.projection import ModelPoints, project

    n = int(argv[0])
    reps = -(-n // len(book))
    big = ModelPoints(
        policy_id=np.array([str(i) for i in range(1, n + 1)], dtype=object),
        **{name: np.tile(getattr(book, name), reps)[:n] for name in
           ("age_at_entry", "policy_term", "policy_count", "sum_assured", "duration_mth")})
    project("ME", book.take(slice(0, 10)), mort, disc, premiums)  # compile / load
    out = {}
    for model in ("ME", "S"):
        started = time.perf_counter()
        project(model, big, mort, disc, premiums)
        out[model] = time.perf_counter() - started
    out["peak_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(out))
    return 0


WORKERS = {"_value_scale": _scale_worker}


LIFELIB_PACKAGES = ("lifelib==0.17.2", "modelx==0.33.0", "openpyxl", "pandas")


def _lifelib_venv(venv: Path) -> bool:
    """lifelib's own virtualenv (never lifecrm's): made with this Python and PyPI's packages when missing."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"  making lifelib's virtualenv {venv} ({', '.join(LIFELIB_PACKAGES)})…", file=sys.stderr, flush=True)
        made = subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], capture_output=True, text=True)
        if made.returncode == 0:
            made = subprocess.run([str(python), "-m", "pip", "install", "-q", *LIFELIB_PACKAGES],
                                  capture_output=True, text=True)
        if made.returncode != 0:
            print(f"  {made.stderr.strip()[-500:]}", file=sys.stderr)
            return False
    return True


def run(args) -> bool:
    _setup_django()
    import django

    django.setup()
    have_lifelib = _lifelib_venv(args.venv)
    print(f"value: lifelib basiclife BasicTerm_ME and BasicTerm_S vs lifecrm.value.projection, "
          f"{os.cpu_count()} CPUs")
    if not have_lifelib:
        print(f"  lifelib's virtualenv {args.venv} could not be made: lifecrm's figures only, nothing compared")
    ok = have_lifelib
    header = (f"  {'model':<6}{'points':>8}{'lifelib s':>11}{'lifecrm s':>11}{'numpy s':>10}{'ratio':>9}"
              f"{'lifelib pts/s':>15}{'lifecrm pts/s':>15}{'max |Δ| point':>15}{'max rel Δ total':>17}{'premiums':>10}")
    print(header)
    for model, target in (("ME", TARGET_ME), ("S", TARGET_S)):
        result, seconds, book = _lifecrm(model, "numba", args.repeat)
        _, numpy_seconds, _ = _lifecrm(model, "numpy", 1)
        lifelib_points = None if model == "ME" else args.s_points
        timing, reference = _lifelib(args, model, lifelib_points) if have_lifelib else (None, None)
        if timing is None:
            print(f"  {model:<6}{len(book):>8}{'—':>11}{seconds:>11.4f}{numpy_seconds:>10.3f}{'—':>9}{'—':>15}"
                  f"{len(book) / seconds:>15,.0f}")
            continue
        per_point_lifelib = timing["seconds"] / timing["points"]
        ratio = per_point_lifelib / (seconds / len(book))
        per_point, total, cents = _differences(result, reference)
        print(f"  {model:<6}{len(book):>8}{timing['seconds']:>11.3f}{seconds:>11.4f}{numpy_seconds:>10.3f}"
              f"{ratio:>8,.0f}×{1 / per_point_lifelib:>15,.0f}{len(book) / seconds:>15,.0f}{per_point:>15.2e}"
              f"{total:>17.2e}{'equal' if cents else 'DIFFER':>10}")
        if timing["points"] != len(book):
            print(f"         (lifelib {model} ran the first {timing['points']:,} points; its time per point is "
                  "compared and its results checked on those)")
        ok &= ratio >= target and per_point <= 1e-6 and total <= 1e-9 and cents
    if args.scale:
        done = subprocess.run([sys.executable, str(Path(__file__).with_name("run.py")), "_value_scale", str(args.scale)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"  scale run failed: {done.stderr.strip()[-500:]}")
            return False
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        peak = figures["peak_bytes"] / 1024**3
        print(f"  lifecrm alone on {args.scale:,} points: ME {figures['ME']:.2f} s, S {figures['S']:.2f} s, "
              f"peak memory {peak:.2f} GB (targets ≤ {TARGET_SCALE_SECONDS:.0f} s, ≤ 2 GB)")
        ok &= max(figures["ME"], figures["S"]) <= TARGET_SCALE_SECONDS and figures["peak_bytes"] <= TARGET_SCALE_BYTES
    print(f"  targets: ≥ {TARGET_ME:.0f}× lifelib ME, ≥ {TARGET_S:,.0f}× lifelib S per point, "
          f"differences within 1e-6 per point and 1e-9 on totals: {'met' if ok else 'NOT met'}")
    return ok

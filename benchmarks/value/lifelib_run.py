"""Run lifelib's basiclife models and write their results: lifecrm's reference values and benchmark.

Runs ONLY in the benchmark's own environment, never in lifecrm's (lifelib and modelx are not
dependencies of lifecrm):

    python3.11 -m venv /work/lifelib-venv
    /work/lifelib-venv/bin/pip install lifelib==0.17.2 modelx==0.33.0 openpyxl pandas
    /work/lifelib-venv/bin/python benchmarks/value/lifelib_run.py --model ME --out me.csv

`--library DIR` is where `lifelib.create("basiclife", DIR)` puts the library (made if missing).
One CSV row per model point: policy_id, premium_pp, pv_premiums, pv_claims, pv_expenses,
pv_commissions, pv_net_cf (ME: for all policy_count policies of the point; S: per policy), floats
written with repr() so that they read back exactly. The last line printed is a JSON object with the
seconds the projection took (the model's load is not counted) and the number of points.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

COLUMNS = ("policy_id", "premium_pp", "pv_premiums", "pv_claims", "pv_expenses", "pv_commissions", "pv_net_cf")


def library(path: Path) -> Path:
    if not (path / "BasicTerm_ME").exists():
        import lifelib

        lifelib.create("basiclife", str(path))
    return path


def run_me(lib: Path, points: int | None) -> tuple[list[tuple], float]:
    import modelx as mx

    model = mx.read_model(str(lib / "BasicTerm_ME"))
    space = model.Projection
    if points is not None:
        space.model_point_table = space.model_point_table.iloc[:points]
    started = time.perf_counter()
    premium_pp = space.premium_pp()
    pv = space.result_pv()
    seconds = time.perf_counter() - started
    rows = [
        (int(pid), float(premium_pp[pid]), *(float(pv.at[pid, col]) for col in
         ("PV Premiums", "PV Claims", "PV Expenses", "PV Commissions", "PV Net Cashflow")))
        for pid in pv.index
    ]
    return rows, seconds


def run_s(lib: Path, points: int | None, skip: int = 0, progress=None) -> tuple[list[tuple], float]:
    import modelx as mx

    model = mx.read_model(str(lib / "BasicTerm_S"))
    space = model.Projection
    ids = list(space.model_point_table.index)[skip:]
    if points is not None:
        ids = ids[:points]
    rows = []
    started = time.perf_counter()
    for pid in ids:
        point = space[pid]
        rows.append((int(pid), float(point.premium_pp()), float(point.pv_premiums()), float(point.pv_claims()),
                     float(point.pv_expenses()), float(point.pv_commissions()), float(point.pv_net_cf())))
        if progress is not None:  # a long S run keeps what it has done so far
            progress.write(",".join([str(rows[-1][0]), *map(repr, rows[-1][1:])]) + "\n")
            progress.flush()
        if (len(rows) % 100) == 0:  # without this, modelx keeps every point's cells: gigabytes
            space.clear_items()
    seconds = time.perf_counter() - started
    return rows, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("ME", "S"), required=True)
    parser.add_argument("--library", type=Path, default=Path("/work/basiclife"))
    parser.add_argument("--points", type=int, help="only the first N model points")
    parser.add_argument("--skip", type=int, default=0, help="S: skip the first N model points")
    parser.add_argument("--progress", type=Path, help="S: append each point's row to this file as it is done")
    parser.add_argument("--out", type=Path, help="write the results to this CSV file")
    args = parser.parse_args(argv)
    lib = library(args.library)
    if args.model == "ME":
        rows, seconds = run_me(lib, args.points)
    else:
        with (args.progress.open("a") if args.progress else open(os.devnull, "w")) as progress:
            rows, seconds = run_s(lib, args.points, args.skip, progress)
    if args.out:
        with args.out.open("w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows([row[0], *map(repr, row[1:])] for row in rows)
    print(json.dumps({"model": args.model, "points": len(rows), "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

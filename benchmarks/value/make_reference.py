"""Regenerate lifecrm's lifelib reference values: lifecrm/value/tests/data/basiclife/.

Run in the benchmark's own environment (lifelib and modelx are never lifecrm dependencies):

    python3.11 -m venv /work/lifelib-venv
    /work/lifelib-venv/bin/pip install lifelib==0.17.2 modelx==0.33.0 openpyxl pandas
    /work/lifelib-venv/bin/python benchmarks/value/make_reference.py [--library /work/basiclife]

It copies lifelib's input tables (MIT licence, see the folder's README.md) as CSV with lifelib's
column names, and its small xlsx tables as they are, then runs BasicTerm_ME (seconds) and
BasicTerm_S (modelx, one point at a time: about ten minutes of CPU for the 10,000 points; the
committed file holds the points a shared machine finished, see the folder's README) and writes
their results, floats as repr(), to reference_me.csv and reference_s.csv.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "lifecrm" / "value" / "tests" / "data" / "basiclife"


def write_csv(frame, path: Path) -> None:
    lines = [",".join(frame.columns)]
    for row in frame.itertuples(index=False):
        lines.append(",".join(repr(float(v)) if isinstance(v, float) else str(v) for v in row))
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, default=Path("/work/basiclife"))
    parser.add_argument("--skip-s", action="store_true", help="leave reference_s.csv as it is")
    parser.add_argument("--s-points", type=int, help="S: only the first N points (default all 10,000)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from lifelib_run import library

    me = library(args.library) / "BasicTerm_ME"
    DATA.mkdir(parents=True, exist_ok=True)
    write_csv(pd.read_excel(me / "model_point_table.xlsx"), DATA / "model_point_table.csv")
    mort = pd.read_excel(me / "mort_table.xlsx")
    mort.columns = [str(c) for c in mort.columns]
    write_csv(mort, DATA / "mort_table.csv")
    write_csv(pd.read_excel(me / "disc_rate_ann.xlsx").rename(columns={"zero_spot": "disc_rate_ann"}),
              DATA / "disc_rate_ann.csv")
    premium = pd.read_excel(me / "premium_table.xlsx")
    premium["age_at_entry"] = premium["age_at_entry"].ffill().astype(int)  # merged cells in the workbook
    write_csv(premium, DATA / "premium_table.csv")
    for name in ("mort_table.xlsx", "disc_rate_ann.xlsx", "premium_table.xlsx"):
        shutil.copyfile(me / name, DATA / name)
    run = [sys.executable, str(HERE / "lifelib_run.py"), "--library", str(args.library)]
    subprocess.run([*run, "--model", "ME", "--out", str(DATA / "reference_me.csv")], check=True)
    if not args.skip_s:
        points = ["--points", str(args.s_points)] if args.s_points else []
        subprocess.run([*run, "--model", "S", *points, "--out", str(DATA / "reference_s.csv")], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

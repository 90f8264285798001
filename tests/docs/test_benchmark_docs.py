"""The README's command table names every benchmark `benchmarks/run.py` offers, and each is documented in docs/."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def benchmark_names() -> set[str]:
    """The `NAME` of each `benchmarks/bench_*.py`: what `run.py` discovers and offers as a command."""
    names = set()
    for path in (ROOT / "benchmarks").glob("bench_*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "NAME" for t in node.targets):
                names.add(node.value.value)
    return names


def test_the_readme_lists_every_benchmark():
    names = benchmark_names()
    assert {"seed", "daily", "value", "serve"} <= names
    [row] = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
             if line.startswith("| `python benchmarks/run.py")]
    listed = set(re.findall(r"`(?:python benchmarks/run\.py )?([a-z]+)`", row.split("|")[1]))
    assert names <= listed, f"README's benchmarks row misses {sorted(names - listed)}"


def test_every_benchmark_is_documented():
    docs = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    missing = sorted(n for n in benchmark_names() if f"python benchmarks/run.py {n}" not in docs)
    assert not missing, f"no docs/ section runs {missing}"

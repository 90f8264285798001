"""lifecrm benchmarks, one command: `python benchmarks/run.py <name>|all [options]`.

Each benchmark prints a table and, side by side in the same run, the reference it must beat.
A benchmark is a module `bench_<name>.py` beside this file with `NAME`, `HELP`, `add_arguments(parser)`
and `run(args) -> bool` (True when it met its target); `run.py list` shows them.
Benchmarks are not timed tests: they create their own databases and leave the project's alone.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def discover() -> dict[str, object]:
    modules = {}
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        modules[module.NAME] = module
    return modules


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    modules = discover()
    if argv and argv[0].startswith("_"):  # a benchmark's worker process
        for module in modules.values():
            worker = getattr(module, "WORKERS", {}).get(argv[0])
            if worker is not None:
                return worker(argv[1:])
        print(f"unknown worker {argv[0]!r}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="name", required=True)
    sub.add_parser("list", help="list the benchmarks")
    every = sub.add_parser("all", help="run every benchmark with its defaults")
    every.set_defaults(all=True)
    for name, module in modules.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP))
    args = parser.parse_args(argv)
    if args.name == "list":
        for name, module in modules.items():
            print(f"{name:<12} {module.HELP}")
        return 0
    if args.name == "all":
        results = []
        for name, module in modules.items():
            module_parser = argparse.ArgumentParser(prog=name)
            module.add_arguments(module_parser)
            results.append(module.run(module_parser.parse_args([])))
        return 0 if all(results) else 1
    return 0 if modules[args.name].run(args) else 1


if __name__ == "__main__":
    sys.exit(main())

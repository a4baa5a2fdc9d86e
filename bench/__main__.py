"""`python -m bench` runs every benchmark in turn; `python -m bench NAME [options]` runs one.

Run from the repository root with the project's virtual environment: `.venv/bin/python -m bench`.
"""

from __future__ import annotations

import argparse
import time

from bench import benefits, cold_import, cost, kpis, package, patients, payments, plans, reminders, summary

# Cold import first: it runs child processes only, before DynamoDB Local takes a core.
BENCHMARKS = {"cold_import": cold_import, "package": package, "patients": patients, "plans": plans,
              "payments": payments, "kpis": kpis, "reminders": reminders, "benefits": benefits, "cost": cost}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench",
                                     description="Chairside benchmarks: printed figures.")
    names = parser.add_subparsers(dest="name", metavar="{" + ",".join(BENCHMARKS) + "}",
                                  help="run one benchmark (default: all, with default options)")
    for name, module in BENCHMARKS.items():
        module.add_arguments(names.add_parser(name, help=(module.__doc__ or "").splitlines()[0]))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.name is not None:
        BENCHMARKS[args.name].run(args)
    else:
        for name, module in BENCHMARKS.items():
            defaults = argparse.ArgumentParser(prog=name)
            module.add_arguments(defaults)
            module.run(defaults.parse_args([]))
    print(summary.report())
    print(f"\n(benchmarks took {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()

"""``rpymostat bench control`` and ``bench/control_quality.py``: the control-quality benchmark.

    rpymostat bench control [--house rc|energyplus|module:Class ...] [--climate cold|mild|builtin ...]
                            [--schedule daily|weekend|setback ...] [--controller NAME ...]
                            [--out DIR] [--no-plots] [--oracle-iterations N] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Optional

from rpymostat.sim.quality.houses import HouseError
from rpymostat.sim.weather import WeatherError

DEFAULT_OUT = "control-quality"
QUICK = {"houses": ["rc"], "climates": ["builtin"], "schedules": ["daily"], "warmup_days": 2,
         "evaluation_days": 3, "oracle_iterations": 3}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from rpymostat.sim.quality.bench import CONTROLLER_ORDER
    from rpymostat.sim.quality.houses import BUILTIN_HOUSES
    from rpymostat.sim.quality.scenarios import CLIMATES, SCHEDULES

    parser.add_argument("--house", action="append", dest="houses", metavar="HOUSE",
                        help=f"{' or '.join(BUILTIN_HOUSES)} or module:Class (repeat; default: both built-in)")
    parser.add_argument("--climate", action="append", dest="climates", choices=sorted(CLIMATES),
                        help="repeat; default: cold and mild")
    parser.add_argument("--schedule", action="append", dest="schedules", choices=sorted(SCHEDULES),
                        help="repeat; default: all")
    parser.add_argument("--controller", action="append", dest="controllers", choices=CONTROLLER_ORDER,
                        help="repeat; default: all")
    parser.add_argument("--out", type=Path, default=Path(DEFAULT_OUT),
                        help=f"folder for results.md, results.json and the plots (default ./{DEFAULT_OUT})")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument("--oracle-iterations", type=int, default=None, metavar="N",
                        help="whole runs the oracle's search may take (default 6)")
    parser.add_argument("--quick", action="store_true",
                        help="a short check: the RC house, the built-in weather, the daily schedule, "
                             "2 + 3 days")


def add_parser(commands: Any) -> None:
    """``bench control`` under the ``rpymostat`` command."""
    bench = commands.add_parser("bench", help="benchmarks")
    kinds = bench.add_subparsers(dest="bench_command", required=True, metavar="BENCHMARK")
    add_arguments(kinds.add_parser("control", help="control quality: controllers against simulated houses"))


def _choices(args: argparse.Namespace) -> dict[str, Any]:
    from rpymostat.sim.quality.bench import CONTROLLER_ORDER
    from rpymostat.sim.quality.oracle import ITERATIONS
    from rpymostat.sim.quality.scenarios import EVALUATION_DAYS, SCHEDULES, WARMUP_DAYS

    base = dict(QUICK) if args.quick else {
        "houses": ["rc", "energyplus"], "climates": ["cold", "mild"], "schedules": list(SCHEDULES),
        "warmup_days": WARMUP_DAYS, "evaluation_days": EVALUATION_DAYS, "oracle_iterations": ITERATIONS}
    for key in ("houses", "climates", "schedules", "oracle_iterations"):
        if getattr(args, key) is not None:
            base[key] = getattr(args, key)
    base["controllers"] = args.controllers or list(CONTROLLER_ORDER)
    return base


def run(args: argparse.Namespace) -> int:
    from rpymostat.sim.quality.bench import benchmark
    from rpymostat.sim.quality.report import table, write
    from rpymostat.sim.quality.scenarios import CLIMATES, Scenario

    chosen = _choices(args)
    scenarios = [Scenario(CLIMATES[climate], schedule, chosen["warmup_days"], chosen["evaluation_days"])
                 for climate in chosen["climates"] for schedule in chosen["schedules"]]
    began = time.perf_counter()
    try:
        results = benchmark(chosen["houses"], scenarios, chosen["controllers"],
                            oracle_iterations=chosen["oracle_iterations"])
    except (HouseError, WeatherError) as exc:
        print(f"rpymostat bench control: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - began
    print(table(results))
    simulated = sum(len(r.trace.time_s) * r.trace.step_s for r in results)
    print(f"\n{len(results)} results in {elapsed:.0f} s of wall time; the runs shown simulated "
          f"{simulated / 86_400:.0f} days ({simulated / elapsed:,.0f}× real time, oracle searches not counted)")
    for path in write(results, args.out, plots=not args.no_plots):
        print(f"wrote {path}")
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="control_quality", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))

"""The whole comparison: every house × scenario × controller, with progress as it goes."""

from __future__ import annotations

import sys
from typing import Any, Callable, Iterable, Optional, TextIO

import attrs

from rpymostat.sim.quality.controllers import Controller, FixedRate, Naive
from rpymostat.sim.quality.houses import house_class
from rpymostat.sim.quality.kpis import Kpis, kpis
from rpymostat.sim.quality.learning import PredictiveController
from rpymostat.sim.quality.oracle import ITERATIONS, search
from rpymostat.sim.quality.run import Trace, simulate
from rpymostat.sim.quality.scenarios import Scenario
from rpymostat.sim.quality.schedule import ScheduleView

ORACLE = "oracle"
CONTROLLERS: dict[str, Callable[[], Controller]] = {
    "naive": Naive, "fixed-rate": FixedRate, "predictive": PredictiveController}
CONTROLLER_ORDER = ("naive", "fixed-rate", "predictive", ORACLE)


@attrs.frozen
class Result:
    house: str
    scenario: Scenario
    controller: str
    kpis: Kpis
    trace: Trace


class Progress:
    """One line per run on a terminal, rewritten as the run goes; plain lines otherwise."""

    def __init__(self, total: int, stream: TextIO = sys.stderr):
        self.total, self.done, self.stream = total, 0, stream
        self.prefix = ""
        self.live = stream.isatty()

    def run(self, label: str) -> Callable[[float], None]:
        self.done += 1
        self.prefix = f"[{self.done}/{self.total}] {label}"

        def report(fraction: float) -> None:
            if self.live:
                self.stream.write(f"\r{self.prefix}: {fraction:4.0%}")
                self.stream.flush()

        return report

    def finish(self, text: str) -> None:
        self.stream.write(f"\r{self.prefix}: {text}\n" if self.live else f"{self.prefix}: {text}\n")
        self.stream.flush()


def benchmark(houses: Iterable[str], scenarios: Iterable[Scenario], controllers: Iterable[str], *,
              oracle_iterations: int = ITERATIONS, stream: TextIO = sys.stderr) -> list[Result]:
    houses, scenarios, controllers = list(houses), list(scenarios), list(controllers)
    progress = Progress(len(houses) * len(scenarios) * len(controllers), stream)
    results = []
    for house in houses:
        make_house = house_class(house)
        for scenario in scenarios:
            schedule = ScheduleView(scenario)
            for name in controllers:
                report = progress.run(f"{house} {scenario.name} {name}")
                trace = _run(name, scenario, make_house, schedule, oracle_iterations, report)
                figures = kpis(trace)
                progress.finish(f"late {figures.late_mean_min:+.1f} min, {figures.energy_kwh:.0f} kWh")
                results.append(Result(house, scenario, name, figures, trace))
    return results


def _run(name: str, scenario: Scenario, make_house: Any, schedule: ScheduleView, iterations: int,
         report: Optional[Callable[[float], None]]) -> Trace:
    if name == ORACLE:
        return search(scenario, make_house, iterations=iterations, schedule=schedule, progress=report)
    return simulate(scenario, make_house, CONTROLLERS[name](), schedule=schedule, progress=report)

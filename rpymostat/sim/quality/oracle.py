"""The oracle: for every rise, the latest start that still reaches the setpoint on time, in
this very house, under this very weather.

No model stands in for the house: the search runs the whole scenario again and again with
the real house, each time with one start instant per rise, and moves each rise's start by
the lateness it measured (Newton's step, as arriving later by a minute needs about a
minute's later start), keeping per rise the latest start that was on time and the earliest
that was late, and bisecting between them once both are known. Any house that implements
the interface can be searched, EnergyPlus included, at the price of a few whole runs. The
rises are nearly independent (each day's setback resets the house), so one run moves all of
them at once.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import attrs

from rpymostat.sim.quality.controllers import Naive, Oracle
from rpymostat.sim.quality.kpis import lateness_s
from rpymostat.sim.quality.run import Progress, Trace, simulate
from rpymostat.sim.quality.scenarios import Scenario
from rpymostat.sim.quality.schedule import Rise, ScheduleView

ITERATIONS = 6
#: A start this close to both an on-time and a late one is as late as the search goes.
RESOLUTION_S = 60.0
#: An arrival this early counts as on time (half a step: the trace samples once a step).
ON_TIME_S = 30.0
#: Runs with the best starts: the rises are not quite independent, so the starts found
#: together may leave one a little late; each repair starts the late ones earlier.
REPAIRS = 2


@attrs.define
class _Bracket:
    """What the search knows about one rise."""

    start_s: float
    on_time_s: Optional[float] = None
    late_s: Optional[float] = None

    def learn(self, start_s: float, late_by_s: float) -> None:
        if late_by_s <= ON_TIME_S:
            self.on_time_s = start_s if self.on_time_s is None else max(self.on_time_s, start_s)
        else:
            self.late_s = start_s if self.late_s is None else min(self.late_s, start_s)

    def next_start(self, late_by_s: float) -> float:
        if self.on_time_s is not None and self.late_s is not None:
            return (self.on_time_s + self.late_s) / 2
        return self.start_s - late_by_s

    def settled(self) -> bool:
        return (self.on_time_s is not None and self.late_s is not None
                and self.late_s - self.on_time_s <= RESOLUTION_S)

    def best(self) -> float:
        return self.on_time_s if self.on_time_s is not None else self.start_s


def _starts(brackets: dict[float, _Bracket], pick: Callable[[_Bracket], float]) -> dict[float, float]:
    return {time_s: pick(bracket) for time_s, bracket in brackets.items()}


def search(scenario: Scenario, make_house: Callable[..., Any], *, iterations: int = ITERATIONS,
           schedule: Optional[ScheduleView] = None, progress: Optional[Progress] = None) -> Trace:
    """The oracle's run: the latest on-time start per rise found in ``iterations`` searching
    runs after a naive one, then run once more with those starts."""
    schedule = schedule or ScheduleView(scenario)
    total = iterations + 2 + REPAIRS

    def run(number: int, controller) -> Trace:
        def report(done: float) -> None:
            if progress is not None:
                progress((number + done) / total)
        return simulate(scenario, make_house, controller, schedule=schedule, progress=report)

    rises: list[Rise] = [rise for rise in schedule.rises if rise.time_s < scenario.end_s]
    trace = run(0, Naive())
    brackets = {rise.time_s: _Bracket(rise.time_s) for rise in rises}
    for number in range(1, iterations + 1):
        for rise in rises:
            bracket = brackets[rise.time_s]
            late_by = lateness_s(trace, rise)
            bracket.learn(bracket.start_s, late_by)
            if not bracket.settled():
                bracket.start_s = min(rise.time_s, max(rise.previous_start_s, bracket.next_start(late_by)))
        if all(bracket.settled() or bracket.start_s == rise.time_s and bracket.on_time_s == rise.time_s
               for rise, bracket in zip(rises, brackets.values())):
            break
        trace = run(number, Oracle(_starts(brackets, lambda bracket: bracket.start_s)))
    for rise in rises:
        brackets[rise.time_s].learn(brackets[rise.time_s].start_s, lateness_s(trace, rise))
    starts = _starts(brackets, _Bracket.best)
    for _ in range(REPAIRS + 1):
        trace = run(iterations + 1, Oracle(starts))
        late = {rise.time_s: lateness_s(trace, rise) for rise in rises}
        if all(late_by <= ON_TIME_S for late_by in late.values()):
            break
        starts = {time_s: start - (late[time_s] + RESOLUTION_S if late[time_s] > ON_TIME_S else 0.0)
                  for time_s, start in starts.items()}
    return trace

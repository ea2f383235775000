"""One controller on one scenario: the run loop and the trace it logs.

Each step the loop reads the house, resolves the scheduled target, lets the controller
decide through the real ``decide`` and guard, records the switching with ``apply`` and
steps the house with the equipment state for one step. The clock is the loop's own
(simulated time), so three weeks run in seconds.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

import attrs

from rpymostat.core.control.decide import Decision, Equipment, Inputs, Settings, apply
from rpymostat.sim.quality.controllers import Controller, Tick
from rpymostat.sim.quality.scenarios import DAY_S, Scenario, wall_time
from rpymostat.sim.quality.schedule import ScheduleView

STEP_S = 60.0
SETTINGS = Settings()

# Called with the fraction of the run done (0..1).
Progress = Callable[[float], None]


@attrs.define
class Trace:
    """The logged run, one entry per step: the state at the step's start, the equipment and
    the mean power during it, and what deciding cost."""

    scenario: Scenario
    controller: str
    step_s: float
    schedule: ScheduleView
    settings: Settings
    time_s: list[float] = attrs.field(factory=list)
    indoor_c: list[float] = attrs.field(factory=list)
    outdoor_c: list[float] = attrs.field(factory=list)
    setpoint_c: list[float] = attrs.field(factory=list)
    heat: list[bool] = attrs.field(factory=list)
    power_w: list[float] = attrs.field(factory=list)
    compute_s: list[float] = attrs.field(factory=list)

    def append(self, time_s: float, indoor_c: float, outdoor_c: float, setpoint_c: float,
               decision: Decision, power_w: float, compute_s: float) -> None:
        self.time_s.append(time_s)
        self.indoor_c.append(indoor_c)
        self.outdoor_c.append(outdoor_c)
        self.setpoint_c.append(setpoint_c)
        self.heat.append(decision.commands.heat)
        self.power_w.append(power_w)
        self.compute_s.append(compute_s)


def _inputs(schedule: ScheduleView, time_s: float, temperature: float, equipment: Equipment) -> Inputs:
    now = wall_time(time_s)
    return Inputs(temperature, now, schedule.target(time_s), equipment, now, SETTINGS,
                  rule=schedule.rule(time_s))


def simulate(scenario: Scenario, make_house: Callable[..., Any], controller: Controller, *,
             step_s: float = STEP_S, schedule: Optional[ScheduleView] = None,
             progress: Optional[Progress] = None) -> Trace:
    """Runs ``controller`` through the warm-up and the evaluation of ``scenario``."""
    schedule = schedule or ScheduleView(scenario)
    trace = Trace(scenario, controller.name, step_s, schedule, SETTINGS)
    house = make_house(weather=scenario.climate.weather, start_s=scenario.start_s, step_s=step_s)
    equipment = Equipment(hub_start=wall_time(scenario.start_s) - DAY_S)
    steps = round((scenario.end_s - scenario.start_s) / step_s)
    per_day = round(DAY_S / step_s)
    previous: Optional[Decision] = None
    try:
        for k in range(steps):
            time_s = scenario.start_s + k * step_s
            indoor, outdoor = house.indoor_c, house.outdoor_c
            tick = Tick(_inputs(schedule, time_s, indoor, equipment), time_s, schedule, outdoor, previous)
            began = time.perf_counter()
            decision = controller.decide(tick)
            spent = time.perf_counter() - began
            equipment = apply(equipment, decision.commands, tick.inputs.now)
            house.step(step_s, {"heat": decision.commands.heat, "fan": decision.commands.fan})
            trace.append(time_s, indoor, outdoor, schedule.setpoint(schedule.index(time_s)), decision,
                         house.power_w, spent)
            previous = decision
            if progress is not None and (k + 1) % per_day == 0:
                progress((k + 1) / steps)
    finally:
        house.close()
    return trace

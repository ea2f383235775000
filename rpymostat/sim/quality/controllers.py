"""The controllers a benchmark compares, each deciding through the real ``decide`` (so the
guard disposes of whatever they propose).

- ``naive``: today's hysteresis plugin on the scheduled target: heats from the scheduled time.
- ``fixed-rate``: starts early at an assumed 3 K/h, capped at 3 h, and holds the early start.
- ``oracle``: starts each rise at the instant a search over whole runs of this very house
  found to be the latest that still arrives on time (:mod:`rpymostat.sim.quality.oracle`).

The early starts work as a thermostat owner would by hand: from the start instant on they
give hysteresis the coming segment's setpoint.
"""

from __future__ import annotations

from typing import Mapping, Optional, Protocol

import attrs

from rpymostat.core.control.decide import Decision, Inputs, decide
from rpymostat.core.control.hysteresis import Hysteresis
from rpymostat.sim.quality.schedule import Rise, ScheduleView

FIXED_RATE_K_H = 3.0
MAX_LEAD_S = 3 * 3600.0


@attrs.frozen
class Tick:
    """What a controller sees at one step: the core's inputs with the scheduled target, the
    schedule ahead, the outdoor temperature and its own previous decision."""

    inputs: Inputs
    time_s: float
    schedule: ScheduleView
    outdoor_c: float
    previous: Optional[Decision]


class Controller(Protocol):
    name: str

    def decide(self, tick: Tick) -> Decision:
        ...


class Naive:
    name = "naive"

    def __init__(self) -> None:
        self._plugin = Hysteresis()

    def decide(self, tick: Tick) -> Decision:
        return decide(tick.inputs, self._plugin)


class _EarlyStart:
    """Hysteresis on the next rise's setpoint from the instant ``starts`` says, held until
    the rise (a latch: once started, a preheat never stops for a cooler forecast)."""

    name = "early-start"

    def __init__(self) -> None:
        self._plugin = Hysteresis()
        self._latched: Optional[float] = None

    def starts(self, tick: Tick, rise: Rise) -> bool:
        raise NotImplementedError

    def decide(self, tick: Tick) -> Decision:
        rise = tick.schedule.next_rise(tick.time_s)
        inputs = tick.inputs
        if rise is not None and (self._latched == rise.time_s or self.starts(tick, rise)):
            self._latched = rise.time_s
            inputs = attrs.evolve(inputs, target=attrs.evolve(inputs.target, heat_setpoint=rise.to_c))
        return decide(inputs, self._plugin)


class FixedRate(_EarlyStart):
    name = "fixed-rate"

    def __init__(self, rate_k_h: float = FIXED_RATE_K_H, max_lead_s: float = MAX_LEAD_S):
        super().__init__()
        self.rate_k_h = rate_k_h
        self.max_lead_s = max_lead_s

    def starts(self, tick: Tick, rise: Rise) -> bool:
        temperature = tick.inputs.temperature
        if temperature is None:
            return False
        lead_s = min(self.max_lead_s, max(0.0, rise.to_c - temperature) / self.rate_k_h * 3600.0)
        return rise.time_s - tick.time_s <= lead_s


class Oracle(_EarlyStart):
    name = "oracle"

    def __init__(self, start_at: Mapping[float, float]):
        super().__init__()
        self.start_at = dict(start_at)

    def starts(self, tick: Tick, rise: Rise) -> bool:
        return tick.time_s >= self.start_at.get(rise.time_s, rise.time_s)

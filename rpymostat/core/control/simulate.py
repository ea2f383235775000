"""Simulate before you switch: a zone's schedule, decision plugin and settings run on a
first-order house made from its learned model, with the real ``decide`` and guard.

The house is the simplest one the learned line allows: ``dT/dt = gain·on − loss·(T −
T_out)`` in K/h, which is exactly a heating rate falling linearly with the indoor −
outdoor difference. The learned slope gives ``loss`` (a default when the runs do not
show one) and the rate at the reference difference gives ``gain``; the equipment acts
only after the learned dead time. A candidate and the current configuration run on the
same house and the same weather, so their figures compare even where the house is only
roughly right.

Cost: one ``decide`` per ``step_s`` of simulated time (1440 a day at the default minute),
the look-ahead taken by index from one timeline resolved up front; ``MAX_DAYS`` bounds a
run.
"""

from __future__ import annotations

import bisect
import math
from typing import Any, Callable, Mapping, Optional, Sequence

import attrs

from rpymostat.core.control.decide import (
    DecisionPlugin,
    Equipment,
    FunctionState,
    Inputs,
    Settings,
    apply,
    decide,
)
from rpymostat.core.control.learner import ZoneModel
from rpymostat.core.control.lookahead import LOOKAHEAD_S, Outdoor, Previous, Upcoming, segments_ahead
from rpymostat.core.schedule.plugins import PluginUse
from rpymostat.core.schedule.timeline import ZoneSchedule
from rpymostat.core.target import Target

MAX_DAYS = 14
STEP_S = 60.0
TRACE_EVERY_S = 900.0
DEFAULT_LOSS_PER_H = 0.05  # a middling house: it loses 5 % of the indoor − outdoor difference an hour
DEFAULT_DIFFERENCE = 20.0
REACHED_WITHIN = 0.25  # K below the setpoint that counts as arrived
H = 3600.0


@attrs.frozen
class House:
    heat_gain: float  # K/h the heating adds
    cool_gain: float  # K/h the cooling removes
    loss_per_h: float
    heat_dead_s: float = 0.0
    cool_dead_s: float = 0.0

    @classmethod
    def from_model(cls, model: ZoneModel) -> "House":
        heat, cool = model.heat, model.cool
        loss = -heat.per_kelvin if heat.learned and heat.per_kelvin < 0 else DEFAULT_LOSS_PER_H
        heat_at = DEFAULT_DIFFERENCE if heat.reference_difference is None else heat.reference_difference
        cool_at = -5.0 if cool.reference_difference is None else cool.reference_difference
        return cls(max(0.1, heat.rate + loss * heat_at), max(0.1, cool.rate - loss * cool_at), loss,
                   heat.dead_time_s, cool.dead_time_s)

    def step(self, temperature: float, outdoor: float, equipment: Equipment, now: float, dt: float) -> float:
        """The temperature ``dt`` seconds on, the equipment as it is at ``now``."""
        rate = -self.loss_per_h * (temperature - outdoor)
        if _acting(equipment.heat, now, self.heat_dead_s):
            rate += self.heat_gain
        if _acting(equipment.cool, now, self.cool_dead_s):
            rate -= self.cool_gain
        return temperature + rate * dt / H


def _acting(state: FunctionState, now: float, dead_s: float) -> bool:
    """On, and past its dead time (a run of unknown start counts as just begun)."""
    return state.on and now - (now if state.on_since is None else state.on_since) >= dead_s


def built_in_weather(start: float) -> Callable[[float], float]:
    """A cold-season day repeated: 3 °C mean, coldest (−2 °C) at 03:00 UTC, mildest (8 °C) at 15:00."""
    del start
    return lambda t: 3.0 + 5.0 * math.sin(2 * math.pi * ((t / H) % 24 - 9) / 24)


def replayed_weather(points: Sequence[tuple[float, float]], start: float) -> Callable[[float], float]:
    """Recorded outdoor points replayed from ``start``: point i at ``start + (t_i − t_0)``,
    stepwise between points, and again from the first when the simulation is longer (the
    last point held one recording interval first)."""
    times = [t - points[0][0] for t, _ in points]
    values = [v for _, v in points]
    span = max(times[-1] + (times[-1] - times[-2] if len(times) > 1 else 0.0), 3600.0)

    def at(t: float) -> float:
        offset = (t - start) % span
        return values[max(0, bisect.bisect_right(times, offset) - 1)]

    return at


@attrs.frozen
class Rise:
    start: float
    setpoint: float
    reached: Optional[float] = None
    end: float = 0.0

    def lateness_min(self) -> float:
        reached = self.end if self.reached is None else self.reached
        return max(0.0, reached - self.start) / 60.0


@attrs.frozen
class Result:
    runtime_h: float
    starts: int
    discomfort_kh: float
    rises: tuple[Rise, ...]
    trace: tuple[dict[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        late = [rise.lateness_min() for rise in self.rises]
        return {"runtime_h": round(self.runtime_h, 3), "starts": self.starts,
                "discomfort_kh": round(self.discomfort_kh, 3),
                "lateness_min": {"rises": len(late), "mean": round(sum(late) / len(late), 1) if late else None,
                                 "max": round(max(late), 1) if late else None},
                "trace": list(self.trace)}


def _rises(segments: Sequence[Upcoming], start: float, end: float) -> list[Rise]:
    found = []
    for before, segment in zip(segments, segments[1:]):
        low, high = before.target.heat_setpoint, segment.target.heat_setpoint
        if (start < segment.start < end and segment.target.mode in ("heat", "auto") and high is not None
                and low is not None and high > low):
            found.append(Rise(segment.start, high))
    return found


def _discomfort(target: Target, temperature: float) -> float:
    lower = target.heat_setpoint if target.mode in ("heat", "auto") else None
    upper = target.cool_setpoint if target.mode in ("cool", "auto") else None
    return (max(0.0, lower - temperature) if lower is not None else 0.0) + \
        (max(0.0, temperature - upper) if upper is not None else 0.0)


@attrs.frozen
class Case:
    """What one configuration runs with: its schedule, plugin and settings (``for_zone`` values)."""

    schedule: ZoneSchedule
    plugin: DecisionPlugin
    values: Mapping[str, Any]
    plugins: tuple[PluginUse, ...] = ()

    def plugin_settings(self) -> dict[str, Any]:
        schema = getattr(self.plugin, "settings_schema", {}) or {}
        return {k: v for k, v in self.values.items() if k in schema.get("properties", {})}


def simulate(case: Case, model: ZoneModel, weather: Callable[[float], float], start: float, days: int,
             temperature: float, step_s: float = STEP_S) -> Result:
    """``days`` (at most ``MAX_DAYS``) of the case from ``start`` at ``temperature``."""
    end = start + min(days, MAX_DAYS) * 86_400.0
    segments = segments_ahead(case.schedule, start, case.plugins, end - start + LOOKAHEAD_S)
    starts = [s.start for s in segments]
    settings, plugin_settings = Settings.from_mapping(case.values), case.plugin_settings()
    house = House.from_model(model)
    equipment, previous = Equipment(hub_start=start - H), None
    rises = _rises(segments, start, end)
    runtime = discomfort = 0.0
    starts_count = 0
    trace: list[dict[str, Any]] = []
    now = start
    while now < end:
        here = bisect.bisect_right(starts, now) - 1
        ahead = segments[here:bisect.bisect_right(starts, now + LOOKAHEAD_S)]
        target, outdoor = segments[here].target, weather(now)
        inputs = Inputs(temperature, now, target, equipment, now, settings, rule=segments[here].rule,
                        plugin_settings=plugin_settings, segments=ahead, model=model,
                        outdoor=Outdoor(outdoor, now), previous=previous)
        decision = decide(inputs, case.plugin)
        switched_on = sum(getattr(decision.commands, f) and not equipment.function(f).on for f in ("heat", "cool"))
        starts_count += switched_on
        equipment = apply(equipment, decision.commands, now)
        previous = Previous(now, decision.data["plugin"], decision.action, decision.data["proposal"]["data"])
        runtime += step_s / H if equipment.heat.on or equipment.cool.on else 0.0
        discomfort += _discomfort(target, temperature) * step_s / H
        if (now - start) % TRACE_EVERY_S < step_s:
            trace.append({"time": now, "temperature": round(temperature, 2), "outdoor": round(outdoor, 1),
                          "heat_setpoint": target.heat_setpoint, "action": decision.action})
        temperature = house.step(temperature, outdoor, equipment, now, step_s)
        now += step_s
        rises = [_reached(rise, temperature, now) for rise in rises]
    return Result(runtime, starts_count, discomfort,
                  tuple(attrs.evolve(r, end=min(end, _segment_end(starts, r.start, end))) for r in rises),
                  tuple(trace))


def _reached(rise: Rise, temperature: float, now: float) -> Rise:
    if rise.reached is None and now >= rise.start and temperature >= rise.setpoint - REACHED_WITHIN:
        return attrs.evolve(rise, reached=now)
    return rise


def _segment_end(starts: list[float], at: float, end: float) -> float:
    i = bisect.bisect_right(starts, at)
    return starts[i] if i < len(starts) else end

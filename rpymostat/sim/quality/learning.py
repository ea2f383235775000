"""``predictive`` in the benchmark, fed as the hub feeds it: the segments of the timeline
within the control loop's look-ahead window, the outdoor temperature, its previous
decision, and a model the real learner fits from the heating runs recorded so far (a
sample at the start and every 5 minutes, as the hub's recorder takes them), refitted as
each run ends."""

from __future__ import annotations

import bisect
from typing import Optional

import attrs

from rpymostat.core.control.decide import Decision, decide
from rpymostat.core.control.learner import Run, Sample, ZoneModel, fit_zone
from rpymostat.core.control.lookahead import LOOKAHEAD_S, Outdoor, Previous, Upcoming, segment_kind
from rpymostat.core.control.predictive import Predictive
from rpymostat.core.settings import CONTROL_PROPERTIES
from rpymostat.sim.quality.controllers import Tick
from rpymostat.sim.quality.scenarios import weather_time
from rpymostat.sim.quality.schedule import ScheduleView

SAMPLE_S = 5 * 60.0
PLUGIN_SETTINGS = {key: CONTROL_PROPERTIES[key]["default"] for key in Predictive.settings_schema["properties"]}


def _default(key: str) -> float:
    return float(CONTROL_PROPERTIES[key]["default"])


class _Runs:
    """The heating runs as the hub's recorder would store them."""

    def __init__(self) -> None:
        self.done: list[Run] = []
        self._current: Optional[tuple[float, list[Sample]]] = None

    def observe(self, now: float, temperature: float, outdoor: float, heating: bool) -> bool:
        """Records one step; True when a run has just ended."""
        if heating and self._current is None:
            self._current = (now, [Sample(now, temperature, outdoor)])
        elif heating and self._current is not None:
            start, samples = self._current
            if now - samples[-1].time >= SAMPLE_S:
                samples.append(Sample(now, temperature, outdoor))
        elif self._current is not None:
            start, samples = self._current
            samples.append(Sample(now, temperature, outdoor))
            self.done.append(Run(len(self.done) + 1, "heat", start, now, tuple(samples)))
            self._current = None
            return True
        return False


class PredictiveController:
    name = "predictive"

    def __init__(self) -> None:
        self._plugin = Predictive()
        self._runs = _Runs()
        self.model = self._fit()
        self._segments: Optional[tuple[list[float], tuple[Upcoming, ...]]] = None
        self._decided_at = 0.0

    def _fit(self) -> ZoneModel:
        return fit_zone(self._runs.done, _default("default_heat_rate"), _default("default_cool_rate"),
                        int(_default("learner_min_runs")))

    def _upcoming(self, schedule: ScheduleView, now: float) -> tuple[Upcoming, ...]:
        """The segment in force and those starting within the look-ahead window."""
        if self._segments is None:
            offset = now - weather_time(now)
            segments = tuple(
                Upcoming(start + offset, segment.target, schedule.names.get(segment.rule_id),
                         segment_kind(segment.rule_id, schedule.kinds))
                for start, segment in zip(schedule.starts, schedule.segments))
            self._segments = ([segment.start for segment in segments], segments)
        starts, segments = self._segments
        first = bisect.bisect_right(starts, now) - 1
        last = bisect.bisect_right(starts, now + LOOKAHEAD_S)
        return segments[max(first, 0):last]

    def decide(self, tick: Tick) -> Decision:
        inputs, now = tick.inputs, tick.inputs.now
        previous = tick.previous
        remembered = None if previous is None else Previous(
            self._decided_at, self.name, previous.action, previous.data["proposal"]["data"])
        full = attrs.evolve(inputs, segments=self._upcoming(tick.schedule, now), model=self.model,
                            outdoor=Outdoor(tick.outdoor_c, now), previous=remembered,
                            plugin_settings=PLUGIN_SETTINGS)
        decision = decide(full, self._plugin)
        self._decided_at = now
        assert inputs.temperature is not None
        if self._runs.observe(now, inputs.temperature, tick.outdoor_c, decision.commands.heat):
            self.model = self._fit()
        return decision


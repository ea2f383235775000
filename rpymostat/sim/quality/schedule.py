"""A scenario's resolved timeline as the run loop needs it: the setpoint in force at any
step, and the rises (a segment whose heat setpoint is above the one before it)."""

from __future__ import annotations

import bisect
from datetime import timedelta

import attrs

from rpymostat.core.schedule.timeline import Segment, resolve_timeline
from rpymostat.core.target import Target
from rpymostat.sim.quality.scenarios import DAY_S, WEATHER_EPOCH, Scenario


@attrs.frozen
class Rise:
    time_s: float
    from_c: float
    to_c: float
    #: When the segment that rises ends, and when the one before it began (weather time).
    end_s: float
    previous_start_s: float


def _seconds(instant) -> float:
    return (instant - WEATHER_EPOCH).total_seconds()


class ScheduleView:
    """The real timeline of the scenario's rules, resolved once for the whole run (and a day
    beyond, so that a look-ahead near the end sees the next rise)."""

    def __init__(self, scenario: Scenario):
        start = WEATHER_EPOCH + timedelta(seconds=scenario.start_s)
        end = WEATHER_EPOCH + timedelta(seconds=scenario.end_s + DAY_S)
        zone = scenario.zone()
        self.timeline = resolve_timeline(zone, start, end)
        self.kinds = {rule.id: rule.kind for rule in zone.rules}
        self.names = {rule.id: rule.name for rule in zone.rules}
        self.segments: tuple[Segment, ...] = self.timeline.segments
        self.starts = [_seconds(segment.start) for segment in self.segments]
        self.ends = [_seconds(segment.end) for segment in self.segments]
        self.rises = self._rises()
        self._rise_times = [rise.time_s for rise in self.rises]

    def _rises(self) -> list[Rise]:
        found = []
        for i in range(1, len(self.segments)):
            before, after = self.setpoint(i - 1), self.setpoint(i)
            if after > before:
                found.append(Rise(self.starts[i], before, after, self.ends[i], self.starts[i - 1]))
        return found

    def setpoint(self, index: int) -> float:
        value = self.segments[index].target.heat_setpoint
        return 0.0 if value is None else value

    def index(self, time_s: float) -> int:
        return bisect.bisect_right(self.starts, time_s) - 1

    def target(self, time_s: float) -> Target:
        return self.segments[self.index(time_s)].target

    def rule(self, time_s: float) -> str | None:
        rule_id = self.segments[self.index(time_s)].rule_id
        return None if rule_id is None else str(rule_id)

    def next_rise(self, time_s: float) -> Rise | None:
        """The first rise after ``time_s``."""
        i = bisect.bisect_right(self._rise_times, time_s)
        return self.rises[i] if i < len(self.rises) else None

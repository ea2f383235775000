"""What a decision plugin sees beyond "now" (plugin API 2): the schedule ahead, the outdoor
temperature and the zone's own previous decision.

The control service builds these from what it already holds in memory (the timeline it
resolved when the schedule last changed, the newest outdoor reading, the last decision),
so a plugin can look ahead and latch what it started while staying a pure function of its
``Inputs``. All times are POSIX seconds on the wall clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Optional, Sequence

import attrs

from rpymostat.core.schedule.plugins import PluginUse
from rpymostat.core.schedule.rules import RuleId
from rpymostat.core.schedule.timeline import ZoneSchedule, resolve_timeline
from rpymostat.core.target import Target

# How a segment's target came about: a hold and a ``once`` rule (an away or holiday
# interval, a party) are the user's explicit word for that time, so no plugin should
# start early into them or out of them on its own guess.
SEGMENT_KINDS = ("default", "recurring", "once", "hold", "plugin")


@attrs.frozen
class Upcoming:
    """One segment of the zone's timeline: from ``start`` the ``target`` applies, set by
    ``rule`` (its name; None for the zone's default) of kind ``kind``. ``utc_offset_s`` is
    the hub's time zone offset at ``start``, so a plugin can word times as people read them."""

    start: float
    target: Target
    rule: Optional[str] = None
    kind: str = "default"
    utc_offset_s: float = 0.0

    def local_clock(self, instant: Optional[float] = None) -> str:
        """``instant`` (default: the start) as HH:MM in the hub's time zone near the start."""
        seconds = int(round((self.start if instant is None else instant) + self.utc_offset_s)) % 86_400
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


@attrs.frozen
class Outdoor:
    """The newest outdoor temperature, taken at ``time``."""

    temperature: float
    time: float

    def age_s(self, now: float) -> float:
        return max(0.0, now - self.time)


@attrs.frozen
class Previous:
    """The zone's previous decision: when it was taken, by which plugin, what the guard
    let through (``action``) and the plugin's own ``Proposal.data``, through which a plugin
    remembers what it began."""

    time: float
    plugin: str
    action: str
    data: Mapping[str, Any] = attrs.field(factory=dict)


LOOKAHEAD_S = 12 * 3600.0  # the window of upcoming segments; the longest early start fits in it


def segment_kind(rule_id: Optional[RuleId], kinds: Mapping[Optional[RuleId], str]) -> str:
    """A segment's kind: its rule's, ``default`` without one, ``plugin`` for a rule a
    schedule plugin contributed."""
    if rule_id is None:
        return "default"
    return kinds.get(rule_id, "plugin")


def segments_ahead(zone: ZoneSchedule, now: float, plugins: Sequence[PluginUse] = (),
                   window_s: float = LOOKAHEAD_S) -> tuple[Upcoming, ...]:
    """The segment in force at ``now`` (from ``now``), then those starting before ``now + window_s``."""
    start = datetime.fromtimestamp(now, timezone.utc)
    timeline = resolve_timeline(zone, start, start + timedelta(seconds=window_s), plugins)
    kinds = {rule.id: rule.kind for rule in zone.rules}
    names = {rule.id: rule.name for rule in zone.rules}
    found = []
    for segment in timeline.segments:
        offset = segment.start.astimezone(zone.tz).utcoffset()
        found.append(Upcoming(segment.start.timestamp(), segment.target,
                              None if segment.rule_id is None else str(names.get(segment.rule_id, segment.rule_id)),
                              segment_kind(segment.rule_id, kinds),
                              0.0 if offset is None else offset.total_seconds()))
    return tuple(found)

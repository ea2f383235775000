"""What a decision plugin sees beyond "now" (plugin API 2): the schedule ahead, the outdoor
temperature and the zone's own previous decision.

The control service builds these from what it already holds in memory (the timeline it
resolved when the schedule last changed, the newest outdoor reading, the last decision),
so a plugin can look ahead and latch what it started while staying a pure function of its
``Inputs``. All times are POSIX seconds on the wall clock.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import attrs

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

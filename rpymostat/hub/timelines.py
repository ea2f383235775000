"""Each zone's schedule plan and resolved timelines, kept between changes.

Resolving a week of a zone's schedule takes milliseconds and reading its plan takes
three database round trips, while the web UI asks for the same timeline again and again.
So the plan is read once and each window's timeline resolved once, until a rule, a hold,
the zone (its default target) or a setting (the time zone) changes. As time passes the
windows asked for move on (the timeline route's default window starts at the current
second) and the new ones are resolved and kept in place of the oldest.

The work is capped: a rule that starts every minute gives 1440 occurrences a day, and
resolving 400 days of it would hold the hub for seconds. A window whose rules could
start more than :data:`MAX_OCCURRENCES` times is cut short, with a warning saying where
and why, and windows large enough to take a while are resolved in a worker thread.

The control loop can take its look-ahead from here too: ``timelines.timeline(zone_id,
start, end)`` gives the same Timeline the route answers with, from the same cache.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, Callable

import attrs
from twisted.internet.defer import Deferred, inlineCallbacks, maybeDeferred, succeed

from rpymostat.core.schedule.occurrences import compile_cron
from rpymostat.core.schedule.timeline import (
    NEXT_CHANGE_HORIZONS,
    ScheduleState,
    Timeline,
    resolve_timeline,
    timeline_to_json,
)
from rpymostat.core.timeutil import format_time
from rpymostat.web.http import Encoded, encode

# What invalidates a zone's plan and timelines (the API's on_change kinds).
PLAN_KINDS = frozenset({"rules", "hold", "zones", "settings"})
MAX_OCCURRENCES = 10_000  # about a third of a second of resolving
IN_THREAD = 1_000  # rule starts above which a window is resolved off the reactor
KEPT_PER_ZONE = 8

Runner = Callable[..., Deferred]


@attrs.frozen
class Window:
    """A timeline asked for, as it will be resolved: ``end`` possibly cut, and why."""

    start: datetime
    end: datetime
    starts: int  # an upper bound of the rules' occurrences in it
    cut: tuple[str, ...] = ()


def starts_per_day(plan: Any) -> int:
    """At most how many occurrences a day the zone's rules make: a recurring rule starts
    at most once per (minute, hour) its cron allows; once rules and holds occur once."""
    total = 0
    for rule in plan.schedule.rules:
        if not rule.enabled:
            continue
        if rule.kind == "recurring" and rule.cron is not None:
            spec = compile_cron(rule.cron)
            total += len(spec.minutes) * len(spec.hours)
        else:
            total += 1
    return total


def capped(plan: Any, start: datetime, end: datetime) -> Window:
    """The window [start, end) cut where its rules could start :data:`MAX_OCCURRENCES` times."""
    rate = starts_per_day(plan)
    days = (end - start) / timedelta(days=1)
    if rate * days <= MAX_OCCURRENCES:
        return Window(start, end, int(rate * days) + 1)
    cut_end = start + timedelta(days=MAX_OCCURRENCES / rate)
    why = (f"this zone's rules may start up to {rate} times a day: a timeline of it spans at most "
           f"{MAX_OCCURRENCES / rate:.3g} days, so this one ends at {format_time(cut_end)}")
    return Window(start, cut_end, MAX_OCCURRENCES, (why,))


@attrs.define
class _Zone:
    plan: Any
    windows: OrderedDict = attrs.field(factory=OrderedDict)  # (start, end, notes) -> (Timeline, Encoded)


class Timelines:
    """``plan(zone_id)``: a Deferred of the zone's Plan (schedule, plugins, warnings),
    read from the database; ``run(function, *args)``: where a large window is resolved
    (a worker thread in the hub; inline in tests)."""

    def __init__(self, plan: Callable[[int], Deferred], run: Runner = maybeDeferred):
        self._read_plan = plan
        self._run = run
        self._zones: dict[int, _Zone] = {}
        self._generation = 0

    def changed(self, kind: str) -> None:
        """The API's ``on_change``: drop every zone's plan when what it depends on changed."""
        if kind in PLAN_KINDS:
            self._zones.clear()
            self._generation += 1

    def _zone(self, zone_id: int) -> Deferred:
        kept = self._zones.get(zone_id)
        if kept is not None:
            return succeed(kept)
        generation = self._generation

        def keep(plan) -> _Zone:
            zone = _Zone(plan)
            if generation == self._generation:  # no change arrived while it was read
                self._zones[zone_id] = zone
            return zone

        return self._read_plan(zone_id).addCallback(keep)

    def plan(self, zone_id: int) -> Deferred:
        return self._zone(zone_id).addCallback(lambda zone: zone.plan)

    def timeline(self, zone_id: int, start: datetime, end: datetime) -> Deferred:
        """A Deferred of the zone's Timeline over [start, end) (cut as :func:`capped`
        says), with the plan's warnings."""
        return self._entry(zone_id, start, end).addCallback(lambda entry: entry[0])

    def encoded(self, zone_id: int, start: datetime, end: datetime, notes: tuple[str, ...] = ()) -> Deferred:
        """The same as the route's JSON bytes, ``notes`` added to its warnings."""
        return self._entry(zone_id, start, end, notes).addCallback(lambda entry: entry[1])

    def _entry(self, zone_id: int, start: datetime, end: datetime, notes: tuple[str, ...] = ()) -> Deferred:
        key = (start, end, notes)

        def found(zone: _Zone):
            entry = zone.windows.get(key)
            if entry is not None:
                zone.windows.move_to_end(key)
                return entry
            return self._resolve(zone, key)

        return self._zone(zone_id).addCallback(found)

    def _resolve(self, zone: _Zone, key: tuple) -> Deferred:
        start, end, notes = key
        plan = zone.plan
        window = capped(plan, start, end)
        if window.end <= window.start:
            d = succeed(Timeline(start, end, ()))
        elif window.starts > IN_THREAD:
            d = self._run(resolve_timeline, plan.schedule, window.start, window.end, plan.plugins)
        else:
            d = maybeDeferred(resolve_timeline, plan.schedule, window.start, window.end, plan.plugins)

        def keep(timeline: Timeline):
            timeline = attrs.evolve(timeline, warnings=plan.warnings + timeline.warnings + window.cut + notes)
            entry = (timeline, Encoded(encode(timeline_to_json(timeline))))
            zone.windows[key] = entry
            while len(zone.windows) > KEPT_PER_ZONE:
                zone.windows.popitem(last=False)
            return entry

        return d.addCallback(keep)

    @inlineCallbacks
    def state(self, zone_id: int, now: datetime):
        """A Deferred of (plan, ScheduleState at ``now``, when the current segment began,
        looking back at most a day): what ``current_state`` tells, from the cached
        timelines, each horizon's window capped. A window that had to be cut and shows
        no change says "no change in sight"."""
        plan = yield self.plan(zone_id)
        for horizon in NEXT_CHANGE_HORIZONS:
            timeline = yield self.timeline(zone_id, now, now + horizon)
            segment = timeline.segments[0]
            if segment.end < timeline.end:
                state = ScheduleState(segment, segment.end)
                break
            if timeline.end < now + horizon:
                state = ScheduleState(segment, None)
                break
        else:
            state = ScheduleState(segment, None)
        back = yield self.timeline(zone_id, now - timedelta(days=1), now + timedelta(seconds=1))
        return plan, state, back.at(now).start

"""The history series the control loop's durable record implies: each zone's temperature,
target(s), mode and action, and each output's state (docs/history.md).

They are derived from the very rows ``record_control`` writes (decisions and switch
events), so the charts and the decision log tell the same story. A decision is logged
when something changes and at least every 10 minutes while nothing does; of those, a
series keeps a point only where its value changed, or when its last point is older than
``HEARTBEAT_S``, so a quiet day costs a few hundred points per zone.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable, Mapping

from rpymostat.core.history.names import (
    ACTION_CODES,
    MODE_CODES,
    output_series,
    zone_series,
)

HEARTBEAT_S = 3600.0

Point = tuple[str, float, float]

# The decision log's words for an action, in the series' vocabulary.
_ACTIONS = {"idle": "idle", "heating": "heat", "cooling": "cool", "fan": "fan"}


def _targets(target: Mapping[str, Any]) -> dict[str, float | None]:
    """``target`` is the setpoint a heat or cool mode holds; in auto the band's ends are
    ``target_low`` and ``target_high``; off has none."""
    mode = target.get("mode")
    heat, cool = target.get("heat_setpoint"), target.get("cool_setpoint")
    return {"target": {"heat": heat, "cool": cool}.get(mode),
            "target_low": heat if mode == "auto" else None,
            "target_high": cool if mode == "auto" else None}


def decision_points(row: Mapping[str, Any]) -> list[Point]:
    """The zone's and its outputs' values at one logged decision."""
    zone_id, time, data = row["zone_id"], row["time"], row["data"]
    target = data.get("target") or {}
    values: dict[str, float | None] = {
        zone_series(zone_id, "temperature"): data.get("temperature"),
        zone_series(zone_id, "action"): ACTION_CODES.get(_ACTIONS.get(row["action"], "")),
        zone_series(zone_id, "mode"): MODE_CODES.get(target.get("mode", "")),
    }
    values.update({zone_series(zone_id, field): value for field, value in _targets(target).items()})
    commands = row.get("commands") or {}
    for function, output_id in (data.get("outputs") or {}).items():
        if function in commands:
            values[output_series(output_id)] = 1.0 if commands[function] == "on" else 0.0
    return [(series, time, float(value)) for series, value in values.items() if value is not None]


def switch_points(rows: Iterable[Mapping[str, Any]], output_of: Mapping[tuple[int, str], str]) -> list[Point]:
    """An output's state at each switch event of the function it serves in its zone."""
    points = []
    for row in rows:
        output_id = output_of.get((row["zone_id"], row["function"]))
        if output_id is not None:
            points.append((output_series(output_id), row["time"], 1.0 if row["state"] == "on" else 0.0))
    return points


class Thinning:
    """Which points a series keeps: a changed value, or an unchanged one ``heartbeat_s``
    after the series' last point. Remembers only what was written (``written``), so a
    point whose write failed is offered again. A point older than the last one is kept:
    it fills in the past and the store ignores one it already has.

    After a restart the memory is empty and every series gets one point at the first
    decision: a few points, and a chart that starts where the hub did.
    """

    def __init__(self, heartbeat_s: float = HEARTBEAT_S):
        self.heartbeat_s = heartbeat_s
        self._last: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def keep(self, points: Iterable[Point]) -> list[Point]:
        kept = []
        with self._lock:
            latest = dict(self._last)
            for series, time, value in sorted(points, key=lambda point: point[1]):
                last = latest.get(series)
                if (last is None or value != last[1] or time >= last[0] + self.heartbeat_s
                        or time < last[0]):
                    kept.append((series, time, value))
                    if last is None or time >= last[0]:
                        latest[series] = (time, value)
        return kept

    def written(self, points: Iterable[Point]) -> None:
        with self._lock:
            for series, time, value in points:
                last = self._last.get(series)
                if last is None or time >= last[0]:
                    self._last[series] = (time, value)

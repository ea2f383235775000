"""Aggregation plugins: one zone temperature from several sensors' latest readings.

Every plugin (entry-point group ``rpymostat.aggregation``) has a ``name``, a
``settings_schema`` and::

    aggregate(readings, weights, *, now, report_interval_s, stale_after_intervals=3)
        -> Aggregate

- ``readings`` maps every sensor id of the zone to its latest ``readings.Reading``, or to
  None for a sensor never heard from.
- ``weights`` is the target's ``sensors`` (a tuple of ``SensorWeight``), in the order the
  target lists them. Empty means every sensor of the zone (in id order, weight 1).

A sensor that is missing, invalid or stale drops out, and the result says which and why,
so that a user can see that "bedroom" was ignored because it read 85.0. When none is left
the result has ``temperature`` None: "no temperature". The control core then stops all
heating and cooling demand and raises the ``no_temperature`` alarm; it never falls back
on an older value, because a heater must not be left on by a dead sensor.

``Aggregate.time`` is the time of the *oldest* reading used: the aggregate is only as
fresh as its stalest input, and the guard checks it again at decision time.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, cast

import attrs

from rpymostat.core.readings import STALE_AFTER_INTERVALS, Reading
from rpymostat.core.target import SensorWeight

NO_SETTINGS: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}
# The usable sensors: (sensor id, weight, its reading).
_Used = list[tuple[str, float, Reading]]


@attrs.frozen
class Dropped:
    """A sensor left out, with a reason code: ``no_reading``, an invalid-reading code, an
    age code (``stale``/``future``), ``zero_weight`` or ``spare`` (``single`` only)."""

    sensor_id: str
    reason: str


@attrs.frozen
class Aggregate:
    temperature: Optional[float]
    time: Optional[float]
    used: tuple[str, ...] = ()
    dropped: tuple[Dropped, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "temperature": self.temperature,
            "time": self.time,
            "used": list(self.used),
            "dropped": [{"sensor_id": d.sensor_id, "reason": d.reason} for d in self.dropped],
        }


def _sort(
    readings: Mapping[str, Optional[Reading]],
    weights: Sequence[SensorWeight],
    now: float,
    report_interval_s: float,
    stale_after_intervals: int,
) -> tuple[_Used, list[Dropped]]:
    """The usable sensors in the order the target lists them, and the dropped ones."""
    listed = weights or [SensorWeight(sensor_id) for sensor_id in sorted(readings)]
    usable: _Used = []
    dropped: list[Dropped] = []
    for entry in listed:
        reading = readings.get(entry.sensor_id)
        if reading is None:
            dropped.append(Dropped(entry.sensor_id, "no_reading"))
            continue
        problem = reading.unusable(now, report_interval_s, stale_after_intervals)
        if problem:
            dropped.append(Dropped(entry.sensor_id, problem))
        else:
            usable.append((entry.sensor_id, entry.weight, reading))
    return usable, dropped


def _value(reading: Reading) -> float:
    """A usable reading's value, which ``invalid_reason`` has found a finite number."""
    return cast(float, reading.value)


def _result(used: _Used, dropped: list[Dropped], temperature: Optional[float]) -> Aggregate:
    if not used or temperature is None:
        return Aggregate(None, None, (), tuple(dropped))
    return Aggregate(
        float(temperature),
        min(reading.time for _, _, reading in used),
        tuple(sensor_id for sensor_id, _, _ in used),
        tuple(dropped),
    )


class _Plugin:
    name = ""
    settings_schema = NO_SETTINGS

    def aggregate(
        self,
        readings: Mapping[str, Optional[Reading]],
        weights: Sequence[SensorWeight],
        *,
        now: float,
        report_interval_s: float,
        stale_after_intervals: int = STALE_AFTER_INTERVALS,
    ) -> Aggregate:
        used, dropped = _sort(readings, weights, now, report_interval_s, stale_after_intervals)
        return self._combine(used, dropped)

    def _combine(self, used: _Used, dropped: list[Dropped]) -> Aggregate:
        raise NotImplementedError


class Single(_Plugin):
    """The first sensor the target lists that is usable; the ones after it are spares.

    A list is a preference order ("the bedroom sensor, or the hall one if it is dead"),
    which is more useful than failing as soon as the first sensor fails.
    """

    name = "single"

    def _combine(self, used: _Used, dropped: list[Dropped]) -> Aggregate:
        if not used:
            return _result(used, dropped, None)
        spares = [Dropped(sensor_id, "spare") for sensor_id, _, _ in used[1:]]
        return _result(used[:1], dropped + spares, _value(used[0][2]))


class Mean(_Plugin):
    """The plain mean of the usable sensors; weights are ignored."""

    name = "mean"

    def _combine(self, used: _Used, dropped: list[Dropped]) -> Aggregate:
        values = [_value(reading) for _, _, reading in used]
        return _result(used, dropped, sum(values) / len(values) if values else None)


class WeightedMean(_Plugin):
    """The mean weighted by each ``SensorWeight.weight``; a weight ≤ 0 drops the sensor."""

    name = "weighted_mean"

    def _combine(self, used: _Used, dropped: list[Dropped]) -> Aggregate:
        weighted = [entry for entry in used if entry[1] > 0]
        dropped = dropped + [Dropped(sensor_id, "zero_weight")
                             for sensor_id, weight, _ in used if weight <= 0]
        total = sum(weight for _, weight, _ in weighted)
        value = (sum(weight * _value(reading) for _, weight, reading in weighted) / total
                 if weighted else None)
        return _result(weighted, dropped, value)


class Minimum(_Plugin):
    """The coldest usable sensor: heat until the coldest room is warm enough."""

    name = "min"

    def _combine(self, used: _Used, dropped: list[Dropped]) -> Aggregate:
        return _result(used, dropped, min((_value(r) for _, _, r in used), default=None))


class Maximum(_Plugin):
    """The warmest usable sensor: cool until the warmest room is cool enough."""

    name = "max"

    def _combine(self, used: _Used, dropped: list[Dropped]) -> Aggregate:
        return _result(used, dropped, max((_value(r) for _, _, r in used), default=None))

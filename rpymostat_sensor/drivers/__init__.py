"""The sensor drivers (w1, command, sim) and the interface each offers to the daemon.

A driver is a class registered in the ``rpymostat_sensor.drivers`` entry-point group. The
daemon builds it from the driver's section of the node configuration (a dict, validated
against the class attribute ``settings_schema``, which ``GET /v1/plugins`` also publishes),
then calls, from a worker thread because both may block for about a second:

- ``discover()`` -> ``list[SensorInfo]``: the sensors present now. Cheap enough to call on
  every report cycle, which is how sensors plugged in later are found.
- ``read(sensor_id)`` -> ``Reading``: one measurement. A failure is a ``Reading`` with
  ``ok`` false and a ``reason``, never an exception, so that one bad sensor cannot stop the
  others from being reported.

The daemon stamps each reading with the time, so drivers need no clock of their own (the
simulated one takes an injected clock).
"""

from __future__ import annotations

import abc
import math

import attrs

from rpymostat.node.configcheck import ConfigError, driver_schema, validated  # noqa: F401  (drivers import them from here)


@attrs.frozen
class SensorInfo:
    """One sensor as the hub will know it; ``id`` never changes for the same device."""

    id: str
    type: str
    name: str


@attrs.frozen
class Reading:
    """The outcome of one read: a value in °C, or no value and the reason why."""

    sensor_id: str
    value: float | None
    ok: bool
    reason: str | None = None

    def __attrs_post_init__(self):
        if self.ok != (self.value is not None) or self.ok == (self.reason is not None):
            raise ValueError("a reading has either a value or a reason for failing")

    @classmethod
    def good(cls, sensor_id: str, value: float) -> Reading:
        if not math.isfinite(value):
            return cls.failed(sensor_id, f"not a finite number: {value!r}")
        return cls(sensor_id, float(value), True)

    @classmethod
    def failed(cls, sensor_id: str, reason: str) -> Reading:
        return cls(sensor_id, None, False, reason)


def unique_ids(items: list[dict]) -> None:
    seen = set()
    for item in items:
        if item["id"] in seen:
            raise ConfigError(f"duplicate id {item['id']!r}")
        seen.add(item["id"])


class SensorDriver(abc.ABC):
    name: str
    settings_schema: dict

    @abc.abstractmethod
    def discover(self) -> list[SensorInfo]:
        """The sensors present now, sorted by id."""

    @abc.abstractmethod
    def read(self, sensor_id: str) -> Reading:
        """One reading; failures are returned as failed readings, not raised."""

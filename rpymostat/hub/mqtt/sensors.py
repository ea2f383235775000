"""MQTT sensors: a sensor bound to a topic, and its reading taken out of a message.

zigbee2mqtt publishes a device's state as one JSON object (``{"temperature": 21.3,
"humidity": 48, "battery": 97}``), ESPHome a bare number on a topic of its own
(``living/sensor/temperature/state`` → ``21.3``); Tasmota nests it
(``{"DS18B20": {"Temperature": 21.3}}``). A binding names the topic, the path to the
value inside a JSON payload (dotted keys, list indices as numbers; none for a bare
number) and the value's unit, converted here to °C. What the value then has to pass
(a number, in range, not a DS18B20's power-on 85) is the hub's one ingest path's
business, as for every other sensor.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

import attrs

from rpymostat.web.shapes import ID_PATTERN

UNITS = {"C": lambda v: v, "F": lambda v: (v - 32.0) * 5.0 / 9.0, "K": lambda v: v - 273.15}
SENSOR_ID = re.compile(ID_PATTERN)
KEYS = frozenset({"topic", "path", "unit", "name"})


class SensorBindingError(ValueError):
    """A binding in the settings that cannot be used."""


class NoReading(ValueError):
    """A message with no usable reading in it; the text says why (for the log)."""


@attrs.frozen
class SensorBinding:
    sensor_id: str
    topic: str
    path: tuple[str | int, ...] = ()
    unit: str = "C"
    name: str = ""


def bindings(table: Mapping[str, Any]) -> tuple[SensorBinding, ...]:
    """The bindings of the ``mqtt_sensors`` setting (sensor id to ``{topic, path, unit,
    name}``), or :class:`SensorBindingError` saying what is wrong with the first bad one."""
    found = []
    for sensor_id, entry in table.items():
        if not SENSOR_ID.fullmatch(sensor_id):
            raise SensorBindingError(f"{sensor_id!r} is not a sensor id (letters, digits, . _ : / @ -)")
        if not isinstance(entry, Mapping):
            raise SensorBindingError(f"{sensor_id}: must be a table with a topic")
        unknown = sorted(set(entry) - KEYS)
        if unknown:
            raise SensorBindingError(f"{sensor_id}: unknown key {unknown[0]!r} (known: {', '.join(sorted(KEYS))})")
        found.append(SensorBinding(sensor_id, _topic(sensor_id, entry.get("topic")),
                                   _path(sensor_id, entry.get("path", "")), _unit(sensor_id, entry.get("unit", "C")),
                                   str(entry.get("name", sensor_id))))
    return tuple(found)


def _topic(sensor_id: str, topic: Any) -> str:
    if not isinstance(topic, str) or not topic or len(topic.encode()) > 65535:
        raise SensorBindingError(f"{sensor_id}: topic must be a non-empty text")
    if set(topic) & {"+", "#", "\0"}:
        raise SensorBindingError(f"{sensor_id}: topic {topic!r} must name one topic (no + or #)")
    return topic


def _path(sensor_id: str, path: Any) -> tuple[str | int, ...]:
    if not isinstance(path, str):
        raise SensorBindingError(f"{sensor_id}: path must be text such as 'temperature' or 'DS18B20.Temperature'")
    if not path:
        return ()
    parts = path.split(".")
    if not all(parts):
        raise SensorBindingError(f"{sensor_id}: path {path!r} has an empty step")
    return tuple(int(part) if part.isdigit() else part for part in parts)


def _unit(sensor_id: str, unit: Any) -> str:
    if unit not in UNITS:
        raise SensorBindingError(f"{sensor_id}: unit must be one of {', '.join(UNITS)}, not {unit!r}")
    return unit


def reading_of(binding: SensorBinding, payload: bytes) -> float:
    """The temperature in °C a message carries, or :class:`NoReading`."""
    try:
        document = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise NoReading(f"payload is not JSON or a number: {payload[:60]!r}") from None
    value = document
    for step in binding.path:
        value = _step(value, step)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NoReading(f"value at {_shown(binding.path)} is not a number: {str(value)[:60]!r}")
    return float(UNITS[binding.unit](float(value)))


def _step(value: Any, step: str | int) -> Any:
    if isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
        return value[step]
    if isinstance(value, dict) and str(step) in value:
        return value[str(step)]
    raise NoReading(f"payload has no {step!r} where the path goes")


def _shown(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path) or "the top"

"""Simulated sensors, for demos and tests without hardware.

Each value is a pure function of the seed, the sensor id and the injected time, so a run
can be replayed exactly whatever the order of reads. The value comes from a pluggable
*source*: anything with ``temperature(sensor_id, now) -> float | None`` (``None`` means
"no value right now" and becomes a failed reading). The default ``DriftSource`` drifts
slowly around a base value; a simulated house can be passed instead.

Config keys:

- ``seed`` (integer, default 0): varies the drift phase and the noise.
- ``sensors`` (list, default one sensor ``sim-0``): each ``{"id", "name"?, "base"?
  (°C, default 20.0), "amplitude"? (°C, default 1.0), "period_s"? (default 3600),
  "noise"? (°C, default 0.05)}``.
"""

from __future__ import annotations

import math
import random
import time
from typing import Callable, Protocol

from rpymostat_sensor.drivers import Reading, SensorDriver, SensorInfo, driver_schema, unique_ids, validated


class TemperatureSource(Protocol):
    def temperature(self, sensor_id: str, now: float) -> float | None: ...


class DriftSource:
    """A sine around ``base`` with a per-sensor phase, plus per-second noise."""

    def __init__(self, sensors: list[dict], seed: int = 0):
        self._sensors = {s["id"]: s for s in sensors}
        self._seed = seed

    def temperature(self, sensor_id: str, now: float) -> float | None:
        spec = self._sensors.get(sensor_id)
        if spec is None:
            return None
        # String seeds hash with SHA-512, so values do not depend on PYTHONHASHSEED.
        phase = random.Random(f"{self._seed}/{sensor_id}").uniform(0, 2 * math.pi)
        jitter = random.Random(f"{self._seed}/{sensor_id}/{math.floor(now)}").uniform(-1, 1)
        angle = 2 * math.pi * now / spec["period_s"] + phase
        return spec["base"] + spec["amplitude"] * math.sin(angle) + spec["noise"] * jitter


SENSOR_DEFAULTS = {"base": 20.0, "amplitude": 1.0, "period_s": 3600.0, "noise": 0.05}


class SimDriver(SensorDriver):
    name = "sim"
    settings_schema = driver_schema("Simulated sensors", {
        "seed": {"type": "integer", "default": 0},
        "house": {
            "type": "object",
            "additionalProperties": False,
            "required": ["dir"],
            "description": "Read the shared simulated house (rpymostat.sim.shared) instead "
                           "of drifting values; its sensors are sim-living, sim-bedroom and "
                           "sim-outdoor.",
            "properties": {
                "dir": {"type": "string", "minLength": 1},
                "weather": {"type": "string", "default": "builtin"},
                "initial_c": {"type": "number", "minimum": -20, "maximum": 40},
            },
        },
        "sensors": {
            "type": "array",
            "default": [{"id": "sim-0"}],
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[A-Za-z0-9._:/-]{1,64}$"},
                    "name": {"type": "string"},
                    "base": {"type": "number", "minimum": -40, "maximum": 70},
                    "amplitude": {"type": "number", "minimum": 0, "maximum": 30},
                    "period_s": {"type": "number", "exclusiveMinimum": 0},
                    "noise": {"type": "number", "minimum": 0, "maximum": 5},
                },
            },
        },
    })

    def __init__(
        self,
        config: dict | None = None,
        *,
        clock: Callable[[], float] = time.time,
        source: TemperatureSource | None = None,
    ):
        config = validated(self.settings_schema, config)
        if source is None and "house" in config:
            from rpymostat.sim.shared import SharedHouse

            house = config["house"]
            source = SharedHouse(house["dir"], weather=house.get("weather", "builtin"),
                                 seed=config["seed"], initial_c=house.get("initial_c", 17.0))
            config = {**config, "sensors": [{"id": i, "name": i} for i in source.sensor_ids()]}
        unique_ids(config["sensors"])
        sensors = [{**SENSOR_DEFAULTS, **s} for s in config["sensors"]]
        self._infos = sorted(
            (SensorInfo(s["id"], "simulated", s.get("name", s["id"])) for s in sensors),
            key=lambda info: info.id,
        )
        self._clock = clock
        self.source = source or DriftSource(sensors, config["seed"])

    def discover(self) -> list[SensorInfo]:
        return list(self._infos)

    def read(self, sensor_id: str) -> Reading:
        if sensor_id not in {info.id for info in self._infos}:
            return Reading.failed(sensor_id, "no such simulated sensor")
        value = self.source.temperature(sensor_id, self._clock())
        if value is None:
            return Reading.failed(sensor_id, "the simulation has no value for this sensor")
        return Reading.good(sensor_id, value)

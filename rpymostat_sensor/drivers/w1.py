"""1-Wire temperature sensors through the kernel's w1 subsystem, read with w1thermsensor.

The GPIO bus (``dtoverlay=w1-gpio``) and a DS9490R USB adapter (kernel module ``ds2490``)
both publish their slaves under ``/sys/bus/w1/devices`` as ``<family>-<serial>``
directories; that directory name is the sensor id, so a sensor keeps its id whichever bus
it hangs on. Every family w1thermsensor knows is supported: DS18S20 (``10``), DS1822
(``22``), DS18B20 (``28``), DS1825 / MAX31850K (``3b``), DS28EA00 (``42``).

Config keys:

- ``base_dir`` (string, optional): where the w1 slaves appear; default: w1thermsensor's
  ``W1ThermSensor.BASE_DIRECTORY`` (``/sys/bus/w1/devices``).
- ``names`` (object, optional): display names by sensor id; default: the id itself.

Loading kernel modules is left to the system (device-tree overlay or USB hot-plug): the
daemon does not run as root, so w1thermsensor's import-time ``modprobe`` is switched off
with ``W1THERMSENSOR_NO_KERNEL_MODULE=1`` unless the environment already says otherwise.
A missing bus directory simply means no sensors.
"""

from __future__ import annotations

import os
from pathlib import Path

from rpymostat_sensor.drivers import Reading, SensorDriver, SensorInfo, driver_schema, validated

RESET_VALUE = 85.0

# w1thermsensor knows 0x3b under two names (an enum alias), so name it here once.
TYPE_NAMES = {0x3B: "DS1825/MAX31850K"}


def _library():
    os.environ.setdefault("W1THERMSENSOR_NO_KERNEL_MODULE", "1")
    import w1thermsensor

    return w1thermsensor


class W1Driver(SensorDriver):
    name = "w1"
    settings_schema = driver_schema("1-Wire sensors (w1thermsensor)", {
        "base_dir": {"type": "string", "minLength": 1},
        "names": {"type": "object", "additionalProperties": {"type": "string"}},
    })

    def __init__(self, config: dict | None = None):
        config = validated(self.settings_schema, config)
        self._names = dict(config.get("names", {}))
        self._lib = _library()
        base = self._lib.W1ThermSensor
        if "base_dir" in config:
            # A subclass, so that the library's class attribute stays untouched for others.
            base = type("W1ThermSensor", (base,), {"BASE_DIRECTORY": Path(config["base_dir"])})
        self._sensor_class = base

    def discover(self) -> list[SensorInfo]:
        try:
            found = self._sensor_class.get_available_sensors()
        except FileNotFoundError:
            return []
        infos = []
        for sensor in found:
            sensor_id = sensor.slave_prefix + sensor.id
            kind = TYPE_NAMES.get(sensor.type.value, sensor.type.name)
            infos.append(SensorInfo(sensor_id, kind, self._names.get(sensor_id, sensor_id)))
        return sorted(infos, key=lambda info: info.id)

    def read(self, sensor_id: str) -> Reading:
        lib = self._lib
        family, _, serial = sensor_id.partition("-")
        try:
            sensor_type = lib.Sensor(int(family, 16))
        except ValueError:
            return Reading.failed(sensor_id, f"not a w1 temperature sensor family: {family!r}")
        try:
            sensor = self._sensor_class(sensor_type, serial)
            value = sensor.get_temperature()
        except lib.ResetValueError:
            return _reset(sensor_id)
        except lib.SensorNotReadyError:
            return Reading.failed(sensor_id, "CRC check failed or no data (sensor not ready)")
        except lib.NoSensorFoundError:
            return Reading.failed(sensor_id, "sensor not found on the bus (disconnected?)")
        except (IndexError, ValueError):
            return Reading.failed(sensor_id, "malformed w1_slave data")
        # w1thermsensor only flags the reset value for the 12-bit families; the DS18S20
        # powers up at 85 °C too.
        if value == RESET_VALUE and sensor_type is lib.Sensor.DS18S20:
            return _reset(sensor_id)
        return Reading.good(sensor_id, value)


def _reset(sensor_id: str) -> Reading:
    return Reading.failed(
        sensor_id, "power-on reset value 85.0 °C: conversion did not run (check power)"
    )

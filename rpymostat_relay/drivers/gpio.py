"""Relays on Raspberry Pi GPIO pins through the RPi.GPIO API.

On a Pi 5, RPi.GPIO does not work; install ``rpi-lgpio`` instead, which provides the same
``RPi.GPIO`` module. The module is imported when the driver is built, not when it is
loaded, because off a Pi its import raises.

Config keys:

- ``outputs`` (list, required): ``{"id": "gpio17", "name"?, "active_low"? (default
  false)}``. The number is the BCM (Broadcom) GPIO number, not the header pin. Many relay
  boards switch on when their input is pulled low: mark those ``active_low``.

Pins are set up as outputs already at their "off" level, so an active-low relay does not
click on for a moment at start-up. ``close()`` turns the outputs off and releases only
this driver's pins.
"""

from __future__ import annotations

import importlib

from rpymostat_relay.drivers import (
    RelayDriver,
    RelayError,
    UnknownOutput,
    driver_schema,
    output_infos,
    output_list_schema,
    validated,
)

ID_PATTERN = "^gpio([0-9]|1[0-9]|2[0-7])$"


class GpioDriver(RelayDriver):
    name = "gpio"
    settings_schema = driver_schema("Relays on Raspberry Pi GPIO pins (RPi.GPIO / rpi-lgpio)", {
        "outputs": output_list_schema(
            ID_PATTERN, {"active_low": {"type": "boolean", "default": False}}
        ),
    }, required=("outputs",))

    def __init__(self, config: dict | None = None):
        config = validated(self.settings_schema, config or {"outputs": []})
        self._infos = output_infos(config["outputs"])
        self._pins = {o["id"]: int(o["id"][len("gpio"):]) for o in config["outputs"]}
        self._active_low = {o["id"]: o.get("active_low", False) for o in config["outputs"]}
        try:
            self._gpio = importlib.import_module("RPi.GPIO")
        except (ImportError, RuntimeError) as exc:
            raise RelayError(f"RPi.GPIO is not usable here: {exc}") from exc
        gpio = self._gpio
        mode = gpio.getmode()
        if mode is None:
            gpio.setmode(gpio.BCM)
        elif mode != gpio.BCM:
            raise RelayError("another part of this process numbers GPIO pins by board position")
        # A restart after a crash finds our own pins still set up; that is not worth a warning.
        gpio.setwarnings(False)
        for output_id, pin in self._pins.items():
            gpio.setup(pin, gpio.OUT, initial=self._level(output_id, False))

    def outputs(self):
        return list(self._infos)

    def set(self, output_id, on, lease_s=None):
        pin = self._pin(output_id)
        self._gpio.output(pin, self._level(output_id, on))

    def get(self, output_id):
        pin = self._pin(output_id)
        return self._gpio.input(pin) == self._level(output_id, True)

    def _release_hardware(self):
        if self._pins:
            self._gpio.cleanup(sorted(self._pins.values()))

    def _level(self, output_id, on):
        high = on != self._active_low[output_id]
        return self._gpio.HIGH if high else self._gpio.LOW

    def _pin(self, output_id):
        self._check_open()
        try:
            return self._pins[output_id]
        except KeyError:
            raise UnknownOutput(output_id) from None

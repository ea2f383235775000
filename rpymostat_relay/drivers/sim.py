"""Simulated relays: state in memory, a history of switches, and listeners.

A simulated house subscribes with ``add_listener`` to see heat and cool go on and off;
tests read ``history``. Only changes of state are switches: a renewal of an "on" is not.

Config keys:

- ``outputs`` (list, default ``sim-heat``, ``sim-cool``, ``sim-fan``): ``{"id", "name"?}``.
"""

from __future__ import annotations

import time
from typing import Callable

import attrs

from rpymostat_relay.drivers import (
    RelayDriver,
    UnknownOutput,
    driver_schema,
    output_infos,
    output_list_schema,
    validated,
)


@attrs.frozen
class Switch:
    time: float
    output_id: str
    on: bool
    lease_s: float | None


class SimDriver(RelayDriver):
    name = "sim"
    settings_schema = driver_schema("Simulated relays", {
        "outputs": {
            **output_list_schema("^[A-Za-z0-9._:/-]{1,64}$"),
            "default": [{"id": "sim-heat"}, {"id": "sim-cool"}, {"id": "sim-fan"}],
        },
        "house_dir": {"type": "string", "minLength": 1,
                      "description": "Log every switch for the shared simulated house "
                                     "(rpymostat.sim.shared) in this directory."},
    })

    def __init__(self, config: dict | None = None, *, clock: Callable[[], float] = time.time):
        config = validated(self.settings_schema, config)
        self._infos = output_infos(config["outputs"])
        self._clock = clock
        self._state = {info.id: False for info in self._infos}
        self._listeners: list[Callable[[Switch], None]] = []
        self.history: list[Switch] = []
        if "house_dir" in config:
            from rpymostat.sim.shared import SwitchLog

            log = SwitchLog(config["house_dir"])
            self.add_listener(lambda switch: log.append(switch.time, switch.output_id, switch.on))

    def add_listener(self, listener: Callable[[Switch], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Switch], None]) -> None:
        self._listeners.remove(listener)

    def outputs(self):
        return list(self._infos)

    def set(self, output_id, on, lease_s=None):
        self._check(output_id)
        if self._state[output_id] == bool(on):
            return
        self._state[output_id] = bool(on)
        switch = Switch(self._clock(), output_id, bool(on), lease_s)
        self.history.append(switch)
        for listener in list(self._listeners):
            listener(switch)

    def get(self, output_id):
        self._check(output_id)
        return self._state[output_id]

    def _release_hardware(self):
        """Simulated relays hold no hardware."""

    def _check(self, output_id):
        self._check_open()
        if output_id not in self._state:
            raise UnknownOutput(output_id)

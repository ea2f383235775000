"""The relay drivers (gpio, phidget, piface, sim) and the interface each offers to the daemon.

A driver is a class registered in the ``rpymostat_relay.drivers`` entry-point group, built
from its config dict (validated against the class attribute ``settings_schema``). The
daemon calls it from one worker thread at a time:

- ``outputs()`` -> ``list[OutputInfo]``: the configured outputs (id and display name).
- ``set(output_id, on, lease_s=None)``: switch one output. ``lease_s`` is how long this
  "on" is valid; the daemon enforces leases itself, drivers only use it to arm a hardware
  failsafe where there is one. Every renewal is a ``set`` with the same state.
- ``get(output_id)`` -> bool: the state the hardware reports, where it can.
- ``all_off()``: every output off, trying all of them even when one fails.
- ``close()``: outputs off and hardware released; the driver is unusable afterwards. The base
  class does it; a driver says how its hardware is released in ``_release_hardware()``.

Every driver starts with all its outputs off. Hardware trouble raises ``RelayError`` (an
unknown id raises ``UnknownOutput``, which is also a ``KeyError``).
"""

from __future__ import annotations

import abc

import attrs

from rpymostat.node.configcheck import ConfigError, driver_schema, validated  # noqa: F401  (drivers import them from here)


class RelayError(Exception):
    """The hardware did not do what was asked."""


class UnknownOutput(RelayError, KeyError):
    pass


@attrs.frozen
class OutputInfo:
    id: str
    name: str


def output_infos(outputs: list[dict]) -> list[OutputInfo]:
    """Infos for configured outputs, refusing the same id twice."""
    infos = [OutputInfo(o["id"], o.get("name", o["id"])) for o in outputs]
    ids = [info.id for info in infos]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(f"outputs configured twice: {', '.join(duplicates)}")
    return infos


def output_list_schema(id_pattern: str, extra: dict | None = None) -> dict:
    return {
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "pattern": id_pattern},
                "name": {"type": "string"},
                **(extra or {}),
            },
        },
    }


class RelayDriver(abc.ABC):
    name: str
    settings_schema: dict
    _closed = False

    @abc.abstractmethod
    def outputs(self) -> list[OutputInfo]: ...

    @abc.abstractmethod
    def set(self, output_id: str, on: bool, lease_s: float | None = None) -> None: ...

    @abc.abstractmethod
    def get(self, output_id: str) -> bool: ...

    def close(self) -> None:
        """Every output off, then what the driver holds released even when that failed; the
        second call does nothing."""
        if self._closed:
            return
        try:
            self.all_off()
        finally:
            self._closed = True
            self._release_hardware()

    @abc.abstractmethod
    def _release_hardware(self) -> None:
        """Give back the pins, channels or boards the driver holds."""

    def _check_open(self) -> None:
        if self._closed:
            raise RelayError("driver is closed")

    def all_off(self) -> None:
        failures = []
        for info in self.outputs():
            try:
                self.set(info.id, False)
            except RelayError as exc:
                failures.append(f"{info.id}: {exc}")
        if failures:
            raise RelayError("could not turn off " + "; ".join(failures))

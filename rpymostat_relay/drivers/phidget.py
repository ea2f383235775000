"""Relays on Phidgets (e.g. the 1014 PhidgetInterfaceKit 0/0/4) through Phidget22.

Each output is one ``DigitalOutput`` channel, addressed by the device's serial number and
channel index: ``phidget-523456/2``. Phidget22 is imported when the driver is built.

Config keys:

- ``outputs`` (list, required): ``{"id": "phidget-<serial>/<channel>", "name"?}``.
- ``attach_timeout_ms`` (integer, default 5000): how long to wait for a channel to attach.

A channel that does not attach at start-up is retried on the next ``set``; until then
``set`` and ``get`` raise ``RelayError``.

Hardware failsafe: on the first "on" with a lease, the channel's failsafe is armed for the
lease (clamped to what the device allows); every later ``set`` of that channel resets it,
so if this process hangs the device itself turns the relay off. A device without failsafe
raises ``PhidgetException`` from ``enableFailsafe``; the output then works without one.
Phidget22 can only disarm a failsafe by reopening the channel, so turning an output off
reopens it; and a channel that tripped its failsafe refuses commands until reopened, which
the next ``set`` does.
"""

from __future__ import annotations

import importlib
import re

from rpymostat_relay.drivers import (
    RelayDriver,
    RelayError,
    UnknownOutput,
    driver_schema,
    output_infos,
    output_list_schema,
    validated,
)

ID_PATTERN = r"^phidget-([0-9]{1,10})/([0-9]{1,3})$"


class _Channel:
    """One open DigitalOutput and what we know about its failsafe."""

    def __init__(self, serial: int, index: int):
        self.serial = serial
        self.index = index
        self.handle = None
        self.failsafe_ms: int | None = None
        self.failsafe_supported = True


class PhidgetDriver(RelayDriver):
    name = "phidget"
    settings_schema = driver_schema("Relays on Phidget22 digital outputs", {
        "outputs": output_list_schema(ID_PATTERN),
        "attach_timeout_ms": {
            "type": "integer", "minimum": 1, "maximum": 60000, "default": 5000,
        },
    }, required=("outputs",))

    def __init__(self, config: dict | None = None):
        config = validated(self.settings_schema, config or {"outputs": []})
        self._infos = output_infos(config["outputs"])
        self._timeout_ms = config["attach_timeout_ms"]
        devices = importlib.import_module("Phidget22.Devices.DigitalOutput")
        errors = importlib.import_module("Phidget22.PhidgetException")
        codes = importlib.import_module("Phidget22.ErrorCode")
        self._DigitalOutput = devices.DigitalOutput
        self._PhidgetException = errors.PhidgetException
        self._FAILSAFE_TRIPPED = codes.ErrorCode.EPHIDGET_FAILSAFE
        self._channels = {}
        for info in self._infos:
            serial, index = re.match(ID_PATTERN, info.id).groups()
            self._channels[info.id] = _Channel(int(serial), int(index))
        for channel in self._channels.values():
            try:
                self._open(channel)
            except RelayError:
                continue  # retried on the next set()

    def outputs(self):
        return list(self._infos)

    def set(self, output_id, on, lease_s=None):
        channel = self._channel(output_id)
        if channel.handle is None:
            self._open(channel)
        try:
            self._apply(channel, on, lease_s)
        except self._PhidgetException as exc:
            if exc.code != self._FAILSAFE_TRIPPED:
                raise RelayError(f"{output_id}: {_describe(exc)}") from exc
            self._reopen(channel)
            self._apply(channel, on, lease_s)

    def get(self, output_id):
        channel = self._channel(output_id)
        if channel.handle is None:
            raise RelayError(f"{output_id}: not attached")
        try:
            return bool(channel.handle.getState())
        except self._PhidgetException as exc:
            raise RelayError(f"{output_id}: {_describe(exc)}") from exc

    def failsafe_ms(self, output_id) -> int | None:
        """The armed hardware failsafe time of an output, for status reports."""
        return self._channel(output_id).failsafe_ms

    def _release_hardware(self):
        for channel in self._channels.values():
            self._release(channel)

    def _apply(self, channel, on, lease_s):
        handle = channel.handle
        if on and lease_s and channel.failsafe_ms is None and channel.failsafe_supported:
            self._arm(channel, lease_s)
        handle.setState(bool(on))
        if channel.failsafe_ms is not None:
            if on:
                handle.resetFailsafe()
            else:
                self._reopen(channel)  # disarm, or the idle channel would trip

    def _arm(self, channel, lease_s):
        handle = channel.handle
        try:
            low, high = handle.getMinFailsafeTime(), handle.getMaxFailsafeTime()
            failsafe_ms = min(max(int(lease_s * 1000), low), high)
            handle.enableFailsafe(failsafe_ms)
        except self._PhidgetException:
            channel.failsafe_supported = False
            return
        channel.failsafe_ms = failsafe_ms

    def _open(self, channel):
        handle = self._DigitalOutput()
        try:
            handle.setDeviceSerialNumber(channel.serial)
            handle.setChannel(channel.index)
            handle.openWaitForAttachment(self._timeout_ms)
            handle.setState(False)
        except self._PhidgetException as exc:
            _quietly_close(handle, self._PhidgetException)
            raise RelayError(
                f"phidget-{channel.serial}/{channel.index}: {_describe(exc)}"
            ) from exc
        channel.handle = handle
        channel.failsafe_ms = None

    def _reopen(self, channel):
        self._release(channel)
        self._open(channel)

    def _release(self, channel):
        if channel.handle is not None:
            _quietly_close(channel.handle, self._PhidgetException)
            channel.handle = None
            channel.failsafe_ms = None

    def _channel(self, output_id):
        self._check_open()
        try:
            return self._channels[output_id]
        except KeyError:
            raise UnknownOutput(output_id) from None


def _quietly_close(handle, phidget_exception):
    try:
        handle.close()
    except phidget_exception:
        pass  # already closed or never opened: nothing left to release


def _describe(exc) -> str:
    return f"Phidget error 0x{int(exc.code):02x} {exc.description}".rstrip()

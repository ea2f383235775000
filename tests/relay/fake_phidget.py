"""A stand-in for Phidget22's ``DigitalOutput`` class and the devices behind it.

Method names and parameters mirror Phidget22 1.26 exactly. The real class needs libusb
and a device; this one talks to a ``FakePhidgetBus`` of simulated devices with their own
millisecond clock, so failsafe timing is tested without waiting. Errors are real
``PhidgetException`` instances, built without the native library.
"""

from __future__ import annotations

import importlib

from Phidget22.PhidgetException import PhidgetException

ErrorCode = importlib.import_module("Phidget22.ErrorCode").ErrorCode


def phidget_error(code) -> PhidgetException:
    # PhidgetException.__init__ asks the native library for a description; skip that.
    exc = PhidgetException.__new__(PhidgetException)
    Exception.__init__(exc, int(code))
    exc.code = code
    exc.description = ErrorCode.getName(code)
    exc.details = ""
    return exc


class FakeDevice:
    def __init__(self, channels=4, failsafe=True, min_failsafe_ms=500, max_failsafe_ms=30000):
        self.channels = channels
        self.failsafe = failsafe
        self.min_failsafe_ms = min_failsafe_ms
        self.max_failsafe_ms = max_failsafe_ms
        self.state = [False] * channels
        self.failsafe_ms = [None] * channels
        self.deadline = [None] * channels
        self.tripped = [False] * channels
        self.opened = [0] * channels


class FakePhidgetBus:
    def __init__(self):
        self.devices = {}
        self.now_ms = 0
        self.calls = []

    def advance(self, ms):
        self.now_ms += ms
        for device in self.devices.values():
            for i, deadline in enumerate(device.deadline):
                if deadline is not None and self.now_ms >= deadline:
                    device.state[i] = False
                    device.tripped[i] = True
                    device.deadline[i] = None

    def digital_output_class(self) -> type[FakeDigitalOutput]:
        """A ``DigitalOutput`` class whose channels live on this bus."""
        return type("DigitalOutput", (FakeDigitalOutput,), {"bus": self})


class FakeDigitalOutput:
    """Phidget22's ``DigitalOutput`` on one ``FakePhidgetBus`` (see ``digital_output_class``)."""

    bus: FakePhidgetBus

    def __init__(self):
        self._serial = None
        self._channel = 0
        self._device = None

    def setDeviceSerialNumber(self, DeviceSerialNumber):
        self._serial = DeviceSerialNumber

    def setChannel(self, Channel):
        self._channel = Channel

    def openWaitForAttachment(self, timeout):
        self.bus.calls.append(("open", self._serial, self._channel, timeout))
        device = self.bus.devices.get(self._serial)
        if device is None or self._channel >= device.channels:
            raise phidget_error(ErrorCode.EPHIDGET_TIMEOUT)
        self._device = device
        device.opened[self._channel] += 1
        device.tripped[self._channel] = False

    def close(self):
        self.bus.calls.append(("close", self._serial, self._channel))
        if self._device is None:
            raise phidget_error(ErrorCode.EPHIDGET_CLOSED)
        i = self._channel
        self._device.state[i] = False
        self._device.failsafe_ms[i] = None
        self._device.deadline[i] = None
        self._device = None

    def _attached(self):
        if self._device is None:
            raise phidget_error(ErrorCode.EPHIDGET_NOTATTACHED)
        if self._device.tripped[self._channel]:
            raise phidget_error(ErrorCode.EPHIDGET_FAILSAFE)
        return self._device

    def _feed(self, device):
        if device.failsafe_ms[self._channel] is not None:
            device.deadline[self._channel] = self.bus.now_ms + device.failsafe_ms[self._channel]

    def setState(self, State):
        self.bus.calls.append(("setState", self._serial, self._channel, State))
        device = self._attached()
        device.state[self._channel] = bool(State)
        self._feed(device)

    def getState(self):
        if self._device is None:
            raise phidget_error(ErrorCode.EPHIDGET_NOTATTACHED)
        return self._device.state[self._channel]

    def getMinFailsafeTime(self):
        return self._attached().min_failsafe_ms

    def getMaxFailsafeTime(self):
        return self._attached().max_failsafe_ms

    def enableFailsafe(self, failsafeTime):
        self.bus.calls.append(("enableFailsafe", self._serial, self._channel, failsafeTime))
        device = self._attached()
        if not device.failsafe:
            raise phidget_error(ErrorCode.EPHIDGET_UNSUPPORTED)
        if device.failsafe_ms[self._channel] is not None:
            raise phidget_error(ErrorCode.EPHIDGET_INVALIDARG)
        if not device.min_failsafe_ms <= failsafeTime <= device.max_failsafe_ms:
            raise phidget_error(ErrorCode.EPHIDGET_INVALIDARG)
        device.failsafe_ms[self._channel] = failsafeTime
        self._feed(device)

    def resetFailsafe(self):
        self.bus.calls.append(("resetFailsafe", self._serial, self._channel))
        device = self._attached()
        if device.failsafe_ms[self._channel] is None:
            raise phidget_error(ErrorCode.EPHIDGET_UNSUPPORTED)
        self._feed(device)

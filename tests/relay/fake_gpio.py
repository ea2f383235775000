"""A stand-in for the ``RPi.GPIO`` module (RPi.GPIO 0.7 / rpi-lgpio), which refuses to import
off a Pi. It keeps each pin's direction and level, raises where the real one raises, and
records every call in order."""

from __future__ import annotations

import sys
import types

BOARD, BCM = 10, 11
OUT, IN = 0, 1
LOW, HIGH = 0, 1
PUD_OFF, PUD_DOWN, PUD_UP = 20, 21, 22


class FakeGPIO:
    BOARD, BCM, OUT, IN, LOW, HIGH = BOARD, BCM, OUT, IN, LOW, HIGH
    PUD_OFF, PUD_DOWN, PUD_UP = PUD_OFF, PUD_DOWN, PUD_UP

    def __init__(self):
        self.calls = []
        self.mode = None
        self.directions = {}
        self.levels = {}

    def setmode(self, mode):
        self.calls.append(("setmode", mode))
        if mode not in (BOARD, BCM):
            raise ValueError("An invalid mode was passed to setmode()")
        if self.mode is not None and self.mode != mode:
            raise ValueError("A different mode has already been set!")
        self.mode = mode

    def getmode(self):
        return self.mode

    def setwarnings(self, flag):
        self.calls.append(("setwarnings", bool(flag)))

    def setup(self, channel, direction, pull_up_down=PUD_OFF, initial=None):
        self.calls.append(("setup", channel, direction, initial))
        if self.mode is None:
            raise RuntimeError(
                "Please set pin numbering mode using GPIO.setmode(GPIO.BOARD) or "
                "GPIO.setmode(GPIO.BCM)"
            )
        if not 0 <= channel <= 27:
            raise ValueError("The channel sent is invalid on a Raspberry Pi")
        self.directions[channel] = direction
        if direction == OUT:
            self.levels[channel] = LOW if initial is None else int(initial)

    def output(self, channel, value):
        self.calls.append(("output", channel, value))
        if self.directions.get(channel) != OUT:
            raise RuntimeError("The GPIO channel has not been set up as an OUTPUT")
        self.levels[channel] = int(bool(value))

    def input(self, channel):
        if channel not in self.directions:
            raise RuntimeError("You must setup() the GPIO channel first")
        return self.levels.get(channel, LOW)

    def cleanup(self, channel=None):
        self.calls.append(("cleanup", channel))
        channels = list(self.directions) if channel is None else (
            list(channel) if isinstance(channel, (list, tuple)) else [channel])
        for pin in channels:
            self.directions.pop(pin, None)
            self.levels.pop(pin, None)
        if channel is None:
            self.mode = None


def install(monkeypatch) -> FakeGPIO:
    fake = FakeGPIO()
    package = types.ModuleType("RPi")
    package.GPIO = fake
    monkeypatch.setitem(sys.modules, "RPi", package)
    monkeypatch.setitem(sys.modules, "RPi.GPIO", fake)
    return fake

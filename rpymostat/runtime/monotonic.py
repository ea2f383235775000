"""Time that is never stepped: a monotonic ``IReactorTime`` for the timers of DESIGN §6.

Twisted's reactor reads ``time.time()`` and keeps its ``callLater`` queue on it, so when
the wall clock is stepped (NTP correcting a Pi that booted without a real-time clock, a
person setting the date) every pending timer moves with it: a step forward fires them
at once, a step back holds them for as long as the step. A minimum off time would end
early; a run, or a relay's lease, would last an hour longer. The asyncio loop under
Twisted's asyncio reactor (the one reactor of every process here) keeps its own timers
on ``time.monotonic()``; :class:`MonotonicClock` schedules on it.

So each process has two clocks. The wall clock (the reactor) times what people and
other machines read: schedules, readings and their staleness, the API's times and the
history. The monotonic one, called the *timer*, times durations: the equipment guard,
leases, renewals, request time-outs and the control loop's wake-ups. ``wall_time`` and
``timer_time`` convert an instant near now from one to the other.

A monotonic time means something only within the boot of the machine it was read in
(on Linux every process reads the same ``CLOCK_MONOTONIC``, from zero at boot), so one
that is kept for later (the hub's switch events, the relay's journal) goes with
``boot_id()``: a process of the same boot takes it as it is, any other by its wall time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable

from twisted.internet.error import AlreadyCalled, AlreadyCancelled
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

log = Logger()
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")


@implementer(IDelayedCall)
class _Call:
    def __init__(self, clock: "MonotonicClock", when: float, function: Callable, args, kwargs):
        self._clock = clock
        self._when = when
        self._function, self._args, self._kwargs = function, args, kwargs
        self._state = "pending"
        self._handle = clock.loop.call_at(when, self._fire)

    def getTime(self) -> float:
        return self._when

    def active(self) -> bool:
        return self._state == "pending"

    def cancel(self) -> None:
        self._still_pending()
        self._state = "cancelled"
        self._handle.cancel()
        self._clock._calls.discard(self)

    def delay(self, secondsLater: float) -> None:
        self._move(self._when + secondsLater)

    def reset(self, secondsFromNow: float) -> None:
        self._move(self._clock.seconds() + secondsFromNow)

    def _move(self, when: float) -> None:
        self._still_pending()
        self._handle.cancel()
        self._when = when
        self._handle = self._clock.loop.call_at(when, self._fire)

    def _still_pending(self) -> None:
        if self._state == "called":
            raise AlreadyCalled(self)
        if self._state == "cancelled":
            raise AlreadyCancelled(self)

    def _fire(self) -> None:
        self._state = "called"
        self._clock._calls.discard(self)
        try:
            self._function(*self._args, **self._kwargs)
        except Exception:  # as the reactor does for its own delayed calls: logged, loop goes on
            log.failure("Unhandled error in a timer call of {function!r}", function=self._function)


@implementer(IReactorTime)
class MonotonicClock:
    """``seconds()`` and ``callLater`` on the asyncio loop's monotonic time.

    ``loop`` defaults to the current event loop, which Twisted's asyncio reactor set when
    it was installed. Everything but time is ``reactor``'s, so the clock can be handed to
    code that also connects with it (treq's ``reactor=``): its time-outs are then
    monotonic too.
    """

    def __init__(self, reactor, loop: asyncio.AbstractEventLoop | None = None):
        self.reactor = reactor
        self.loop = loop if loop is not None else asyncio.get_event_loop()
        self._calls: set[_Call] = set()

    def seconds(self) -> float:
        return self.loop.time()

    def callLater(self, delay: float, callable: Callable[..., Any], *args: object, **kw: object) -> _Call:
        call = _Call(self, self.seconds() + max(0.0, delay), callable, args, kw)
        self._calls.add(call)
        return call

    def getDelayedCalls(self) -> list[_Call]:
        return list(self._calls)

    def __getattr__(self, name: str):
        return getattr(self.reactor, name)


def wall_time(clock: IReactorTime, timer: IReactorTime, instant: float) -> float:
    """An instant on ``timer`` as a time on the wall ``clock``, by how both read now."""
    return instant + (clock.seconds() - timer.seconds())


def timer_time(clock: IReactorTime, timer: IReactorTime, instant: float) -> float:
    """A wall-clock time as an instant on ``timer``, by how both read now."""
    return instant - (clock.seconds() - timer.seconds())


def boot_id(path: Path = BOOT_ID_FILE) -> str | None:
    """This boot of the machine, or None where the system does not say (not Linux): then
    no monotonic time is taken across a restart, and kept times map by wall time."""
    try:
        found = path.read_text().strip()
    except OSError:
        return None
    return found or None

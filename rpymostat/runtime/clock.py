"""A clock that runs N times faster than the reactor's, for the demo and simulations.

Every process of a demo gets the same ``epoch`` (a real instant), ``start`` (what the
clock reads then; the epoch itself unless a demo continues where its last run stopped)
and ``speed``, so their clocks agree: scaled time = start + (real time − epoch) × speed. The
control loop, guard timers, leases, schedules and report intervals all read this clock, so
an hour passes in a minute at speed 60 and behaviour is otherwise unchanged. Code handed
this clock as its reactor (the hub's relay commands) also times out in scaled time; a
node's own hub calls keep real time.

A process's monotonic timer (``rpymostat.runtime.monotonic``) runs at the same speed
(``timer_for``) and needs no epoch. A scaled timer counts from its own start, so its
readings mean nothing to another process: it belongs to no boot (``boot_for``).
"""

from __future__ import annotations

from typing import Any, Callable

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from zope.interface import implementer

from rpymostat.runtime.monotonic import MonotonicClock, boot_id


@implementer(IDelayedCall)
class _ScaledCall:
    def __init__(self, clock: "ScaledClock", real):
        self._clock = clock
        self._real = real

    def getTime(self) -> float:
        return self._clock.scaled(self._real.getTime())

    def cancel(self) -> None:
        self._real.cancel()

    def delay(self, secondsLater: float) -> None:
        self._real.delay(secondsLater / self._clock.speed)

    def reset(self, secondsFromNow: float) -> None:
        self._real.reset(secondsFromNow / self._clock.speed)

    def active(self) -> bool:
        return self._real.active()


@implementer(IReactorTime)
class ScaledClock:
    def __init__(self, reactor: IReactorTime, speed: float = 1.0, epoch: float | None = None,
                 start: float | None = None):
        if not speed > 0:
            raise ValueError("speed must be positive")
        self.reactor = reactor
        self.speed = float(speed)
        self.epoch = reactor.seconds() if epoch is None else float(epoch)
        self.start = self.epoch if start is None else float(start)

    def scaled(self, real: float) -> float:
        return self.start + (real - self.epoch) * self.speed

    def seconds(self) -> float:
        return self.scaled(self.reactor.seconds())

    def callLater(self, delay: float, callable: Callable[..., Any], *args: object, **kw: object):
        return _ScaledCall(self, self.reactor.callLater(max(0.0, delay) / self.speed, callable,
                                                        *args, **kw))

    def getDelayedCalls(self):
        return [_ScaledCall(self, call) for call in self.reactor.getDelayedCalls()]

    def __getattr__(self, name: str):
        """Everything but time is the reactor's, so the clock can be handed to code that
        also makes connections with it (treq's ``reactor=``): its time-outs then run in
        scaled time like every other timer of the process."""
        return getattr(self.reactor, name)


def clock_for(reactor: IReactorTime, speed: float | None, epoch: float | None,
              start: float | None = None) -> IReactorTime:
    """The reactor itself at speed 1 with no epoch or start; a ScaledClock otherwise."""
    if (speed is None or speed == 1) and epoch is None and start is None:
        return reactor
    return ScaledClock(reactor, speed or 1.0, epoch, start)


def timer_for(reactor: IReactorTime, speed: float | None) -> IReactorTime:
    """The monotonic clock for the process's timers, ``speed`` times faster like
    ``clock_for``'s wall clock."""
    timer = MonotonicClock(reactor)
    return timer if speed is None or speed == 1 else ScaledClock(timer, speed)


def boot_for(speed: float | None) -> str | None:
    """The boot that the times of ``timer_for``'s timer belong to: the machine's at real
    speed, none for a scaled one."""
    return boot_id() if speed is None or speed == 1 else None

"""MonotonicClock: IReactorTime on an asyncio loop's monotonic time, with Twisted's
delayed-call semantics; and the conversions between it and the wall clock."""

import heapq
import itertools

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred
from twisted.internet.error import AlreadyCalled, AlreadyCancelled
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import Clock
from twisted.logger import globalLogPublisher

from rpymostat.runtime.clock import ScaledClock, boot_for, timer_for
from rpymostat.runtime.monotonic import MonotonicClock, boot_id, timer_time, wall_time


class FakeLoop:
    """The two methods of an asyncio loop the clock uses, on a time the test moves."""

    def __init__(self, now: float = 100.0):
        self.now = now
        self.handles: list = []
        self.order = itertools.count()

    def time(self) -> float:
        return self.now

    def call_at(self, when, callback):
        handle = _Handle(callback)
        heapq.heappush(self.handles, (when, next(self.order), handle))
        return handle

    def advance(self, seconds: float) -> None:
        self.now += seconds
        while self.handles and self.handles[0][0] <= self.now:
            _, _, handle = heapq.heappop(self.handles)
            handle.run()


class _Handle:
    def __init__(self, callback):
        self.callback = callback
        self.cancelled = False

    def cancel(self):
        self.cancelled = True

    def run(self):
        if not self.cancelled:
            self.callback()


class Reactor:
    connectTCP = "the reactor's"


def test_calls_run_in_order_at_their_instant_and_leave_the_pending_list():
    loop = FakeLoop()
    clock = MonotonicClock(Reactor(), loop)
    assert IReactorTime.providedBy(clock) and clock.seconds() == 100.0
    ran = []
    late = clock.callLater(20, ran.append, "late")
    early = clock.callLater(10, ran.append, "early")
    assert early.getTime() == 110.0 and set(clock.getDelayedCalls()) == {late, early}
    loop.advance(9.999)
    assert ran == []
    loop.advance(0.001)
    assert ran == ["early"] and not early.active() and clock.getDelayedCalls() == [late]
    loop.advance(10)
    assert ran == ["early", "late"] and clock.getDelayedCalls() == []


def test_cancel_delay_and_reset_follow_twisted():
    loop = FakeLoop()
    clock = MonotonicClock(Reactor(), loop)
    ran = []
    call = clock.callLater(10, ran.append, 1)
    call.delay(5)
    assert call.getTime() == 115.0
    loop.advance(12)
    call.reset(1)  # from now
    assert call.getTime() == 113.0
    loop.advance(1)
    assert ran == [1]
    with pytest.raises(AlreadyCalled):
        call.cancel()
    other = clock.callLater(5, ran.append, 2)
    other.cancel()
    loop.advance(10)
    assert ran == [1] and clock.getDelayedCalls() == []
    with pytest.raises(AlreadyCancelled):
        other.reset(1)


@pytest.mark.logs_errors("Unhandled error in a timer call")
def test_an_error_in_a_call_is_logged_and_the_loop_goes_on():
    loop = FakeLoop()
    clock = MonotonicClock(Reactor(), loop)
    events = []
    globalLogPublisher.addObserver(events.append)
    try:
        clock.callLater(1, lambda: 1 / 0)
        after = clock.callLater(2, lambda: None)
        loop.advance(2)
    finally:
        globalLogPublisher.removeObserver(events.append)
    assert [e["log_failure"].type for e in events if "log_failure" in e] == [ZeroDivisionError]
    assert not after.active()


def test_everything_but_time_is_the_reactors():
    assert MonotonicClock(Reactor(), FakeLoop()).connectTCP == "the reactor's"


@pytest_twisted.inlineCallbacks
def test_on_the_running_asyncio_reactor():
    from twisted.internet import reactor

    clock = MonotonicClock(reactor)
    assert clock.loop is reactor._asyncioEventloop  # the loop the reactor set as current
    fired = Deferred()
    before = clock.seconds()
    clock.callLater(0, lambda: fired.callback(clock.seconds()))
    at = yield fired
    assert at >= before


def test_timer_for_runs_at_the_demo_speed():
    assert isinstance(timer_for(Reactor(), None), MonotonicClock)
    assert isinstance(timer_for(Reactor(), 1), MonotonicClock)
    fast = timer_for(Reactor(), 60)
    assert isinstance(fast, ScaledClock) and isinstance(fast.reactor, MonotonicClock) and fast.speed == 60


def test_conversions_use_how_both_clocks_read_now():
    wall, timer = Clock(), Clock()
    wall.advance(1_790_000_000.0)
    timer.advance(5_000.0)
    assert wall_time(wall, timer, 5_090.0) == 1_790_000_090.0
    assert timer_time(wall, timer, 1_789_999_970.0) == 4_970.0
    wall.advance(-3600)  # after a step, an instant maps by the new difference
    assert wall_time(wall, timer, 5_090.0) == 1_790_000_090.0 - 3600
    assert wall_time(wall, wall, 12.25) == 12.25 and timer_time(timer, timer, 12.25) == 12.25


def test_the_boot_is_read_from_the_kernel_and_unknown_where_it_is_not_said(tmp_path):
    given = tmp_path / "boot_id"
    given.write_text("b5cf3b30-cf59-4858-9c80-83a8a7da529d\n")
    assert boot_id(given) == "b5cf3b30-cf59-4858-9c80-83a8a7da529d"
    given.write_text("")
    assert boot_id(given) is None
    assert boot_id(tmp_path / "missing") is None


def test_a_timer_at_the_demo_speed_belongs_to_no_boot(monkeypatch):
    monkeypatch.setattr("rpymostat.runtime.clock.boot_id", lambda: "this-boot")
    assert boot_for(None) == boot_for(1) == "this-boot"
    assert boot_for(60) is None

from twisted.internet.task import Clock, LoopingCall

from rpymostat.runtime.clock import ScaledClock, clock_for


def test_scaled_time_runs_speed_times_faster_from_the_epoch():
    real = Clock()
    real.advance(1000)
    clock = ScaledClock(real, speed=60, epoch=1000)
    assert clock.seconds() == 1000
    real.advance(1)
    assert clock.seconds() == 1060
    real.advance(59)
    assert clock.seconds() == 1000 + 3600


def test_an_epoch_in_the_past_puts_scaled_time_ahead_consistently():
    real = Clock()
    real.advance(100)
    a = ScaledClock(real, speed=10, epoch=90)
    b = ScaledClock(real, speed=10, epoch=90)
    assert a.seconds() == b.seconds() == 190


def test_call_later_fires_after_the_scaled_delay():
    real = Clock()
    clock = ScaledClock(real, speed=30, epoch=0)
    fired = []
    call = clock.callLater(300, fired.append, "guard")
    assert call.getTime() == 300
    real.advance(9.9)
    assert fired == []
    real.advance(0.1)
    assert fired == ["guard"] and clock.seconds() == 300
    assert not call.active()


def test_delay_reset_and_cancel_are_scaled_too():
    real = Clock()
    clock = ScaledClock(real, speed=10, epoch=0)
    fired = []
    call = clock.callLater(100, fired.append, 1)
    call.delay(50)
    assert call.getTime() == 150
    call.reset(20)
    assert call.getTime() == 20
    real.advance(2)
    assert fired == [1]
    other = clock.callLater(10, fired.append, 2)
    other.cancel()
    real.advance(10)
    assert fired == [1]


def test_looping_call_on_a_scaled_clock():
    real = Clock()
    clock = ScaledClock(real, speed=60, epoch=0)
    ticks = []
    loop = LoopingCall(lambda: ticks.append(clock.seconds()))
    loop.clock = clock
    loop.start(30, now=True)
    for _ in range(4):
        real.advance(0.5)
    assert ticks == [0, 30, 60, 90, 120]
    loop.stop()


def test_speed_one_without_epoch_is_the_reactor_itself():
    real = Clock()
    assert clock_for(real, None, None) is real
    assert clock_for(real, 1, None) is real
    assert isinstance(clock_for(real, 2, None), ScaledClock)


def test_everything_but_time_is_the_reactors():
    class Reactor(Clock):
        def connectTCP(self, host, port, factory):
            return ("connected", host, port)

    clock = ScaledClock(Reactor(), speed=60, epoch=0)
    assert clock.connectTCP("127.0.0.1", 8574, None) == ("connected", "127.0.0.1", 8574)


def test_a_clock_can_continue_from_a_later_start():
    real = Clock()
    real.advance(1000)
    clock = ScaledClock(real, speed=10, epoch=1000, start=5000)
    assert clock.seconds() == 5000
    real.advance(1)
    assert clock.seconds() == 5010
    assert clock_for(real, None, None, 5000).seconds() == 5000  # from now, at speed 1

"""A wall clock stepped by an hour either way (NTP correcting a Pi, a person setting the
date) must not move the guard's timers: hub and relay keep them on their monotonic
timer, here a second Clock that the step leaves alone."""

import pytest
from twisted.internet.task import Clock

from rpymostat.core.timeutil import format_time
from tests.control.rig import HEAT, SENSOR, Rig

TIMER_START = 50_000.0  # a monotonic clock reads time since boot, nothing like the wall clock
HOUR = 3600.0


@pytest.fixture
def rig(tmp_path):
    timer = Clock()
    timer.advance(TIMER_START)
    r = Rig(f"sqlite:///{tmp_path / 'hub.db'}", settings={"min_off_s": 120, "min_run_s": 60}, timer=timer)
    yield r
    r.close()


def heat_switches(rig, on: bool) -> list[float]:
    """When the relay switched the heat on (or off), on the timer."""
    return [when for output_id, state, when in rig.relay.timed if output_id == HEAT and state == on]


def test_a_wall_clock_stepped_forward_does_not_shorten_the_minimum_off_time(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 130)
    assert heat_switches(rig, True) == [TIMER_START + 120]  # the start-up off time, on the timer
    rig.feed(22.0, until=t0 + 200)  # warm: off once the minimum run (60 s) is over
    assert heat_switches(rig, False)[-1] == TIMER_START + 180
    rig.step_wall(+HOUR)
    step = rig.clock.seconds()
    rig.reading(18.0)  # cold again, stamped on the stepped wall clock
    state = rig.state()
    assert not rig.relay.on(HEAT) and "minimum off time, 100 s left" in state["reason"]
    assert state["next_recheck"] == format_time(step + 100)  # shown on the wall clock
    rig.feed(18.0, until=step + 200)
    assert heat_switches(rig, True) == [TIMER_START + 120, TIMER_START + 300]  # off + 120 s, not at the step
    assert rig.relay.on(HEAT)


def test_a_wall_clock_stepped_back_neither_holds_back_the_next_decision_nor_extends_the_run(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 150)
    assert rig.relay.on(HEAT)
    step_at = rig.timer.seconds()
    rig.step_wall(-HOUR)  # the newest reading is now an hour in the future: no temperature
    rig.run_until(rig.clock.seconds() + 60)
    assert not rig.relay.on(HEAT)
    # the next tick came at its interval on the timer (30 s), not an hour later
    assert step_at < heat_switches(rig, False)[-1] <= step_at + 30
    state = rig.state()
    assert [a["code"] for a in state["alarms"]] == ["no_temperature"]
    assert state["sensors_dropped"] == [{"sensor_id": SENSOR, "reason": "future"}]


def test_a_relay_lease_still_ends_on_time_when_the_wall_clock_steps_back(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 150)
    assert rig.relay.on(HEAT)
    rig.partition(True)  # the hub can no longer renew nor stop it: the lease decides
    lease_end = rig.relay.bank.states[HEAT].lease_until
    rig.step_wall(-HOUR)
    left = lease_end - rig.timer.seconds()
    assert 0 < left <= 90
    rig.run_for(left - 0.001)
    assert rig.relay.on(HEAT)
    rig.run_for(0.001)
    assert not rig.relay.on(HEAT)
    assert heat_switches(rig, False)[-1] == lease_end and rig.relay.events[-1][3] == "lease_expired"

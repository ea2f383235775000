"""The guard's history across a hub restart after a wall-clock step. Switch events carry
the monotonic time and the boot of the machine they were written in: those of the boot
the hub runs in map onto its timer exactly, whatever the wall clock did meanwhile; those
of an earlier boot (or an unknown one) by wall time, as nothing else relates them."""

import pytest
from twisted.internet.task import Clock

from rpymostat.core.control.decide import FunctionState
from tests.control.rig import HEAT, Rig

TIMER_START = 10_000.0
HOUR = 3600.0
SETTINGS = {"min_off_s": 60, "min_run_s": 60, "max_starts_per_hour": 1, "report_interval_s": 5,
            "lease_s": 30, "control_interval_s": 5, "changeover_s": 30}


@pytest.fixture
def rig(tmp_path):
    timer = Clock()
    timer.advance(TIMER_START)
    r = Rig(f"sqlite:///{tmp_path / 'hub.db'}", settings=SETTINGS, relay_min_off_s=0, timer=timer,
            zone={"default_target": {"mode": "auto", "heat_setpoint": 20, "cool_setpoint": 24}})
    yield r
    r.close()


def heat_starts(rig) -> list[float]:
    return [when for output_id, on, when in rig.relay.timed if output_id == HEAT and on]


def test_starts_per_hour_hold_across_a_restart_after_the_wall_clock_stepped_forward(rig):
    """Found by test_service_stateful.py: the start before the step looked an hour older
    after the restart, and the heat started again 70 s later."""
    rig.feed(12.0, until=rig.clock.seconds() + 70, every=5)
    assert heat_starts(rig) == [TIMER_START + 60]
    rig.step_wall(+HOUR)  # the reading is now an hour old: the heat stops (no temperature)
    rig.restart()
    rig.feed(12.0, until=rig.clock.seconds() + 70, every=5)
    assert heat_starts(rig) == [TIMER_START + 60]
    assert "starts in the last hour" in rig.state()["reason"]
    rig.feed(12.0, until=rig.clock.seconds() + HOUR, every=5)
    assert heat_starts(rig)[1] == TIMER_START + 60 + HOUR  # an hour after the first, not before


def test_after_a_reboot_of_the_hubs_machine_the_history_maps_by_wall_time(rig):
    """The monotonic clock starts again at boot, so the times of an earlier boot mean
    nothing to it (the rig's timer runs on, which would hide it). A reboot after the wall
    clock stepped forward forgets the start before the step, as it did before times had
    a boot; the start-up off time is what holds then."""
    rig.feed(12.0, until=rig.clock.seconds() + 70, every=5)
    rig.step_wall(+HOUR)
    rig.run_for(5)
    off = [when for output_id, on, when in rig.relay.timed if output_id == HEAT and not on][-1]
    assert TIMER_START + 70 <= off <= TIMER_START + 75  # at the tick after the step: no temperature
    rig.restart()
    assert rig.control.equipment[1].heat == FunctionState(False, None, off, (TIMER_START + 60,))
    rig.restart(boot_id="hub-machine-boot-2")
    assert rig.control.equipment[1].heat == FunctionState(False, None, off, ())
    assert rig.control.equipment[1].hub_start == rig.timer.seconds()

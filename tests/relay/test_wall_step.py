"""The relay node keeps its leases and its minimum off time on its monotonic timer: a wall
clock stepped by an hour either way neither ends a lease early nor keeps an output on an
hour longer, and does not let an output start again inside its minimum off time."""

import pytest

from rpymostat.core.timeutil import format_time
from tests.relay.test_api import BOOT, START, Relay

TIMER_START = 7_000.0
HOUR = 3600.0


@pytest.mark.parametrize("step", [+HOUR, -HOUR])
def test_a_lease_ends_on_time_whatever_the_wall_clock_does(step):
    relay = Relay(timer_start=TIMER_START)
    assert relay.put("heat", {"state": "on", "lease_s": 90})[0] == 200
    relay.advance(30)
    relay.step_wall(step)
    listed = relay.call("GET", "/v1/outputs")[1]["outputs"][0]
    assert listed["lease_until"] == format_time(START + step + 90)  # 60 s from the stepped now
    relay.advance(59.999)
    assert relay.state()["heat"] is True
    relay.advance(0.001)
    assert relay.state()["heat"] is False
    assert relay.changes[-1] == ("heat", False, START + step + 90, "lease_expired")


def test_the_minimum_off_time_is_not_shortened_by_a_wall_clock_stepped_forward():
    relay = Relay(min_off_s=300, timer_start=TIMER_START)
    relay.put("heat", {"state": "on", "lease_s": 30})
    relay.put("heat", {"state": "off"})
    relay.step_wall(+HOUR)
    relay.advance(10)
    code, body = relay.put("heat", {"state": "on", "lease_s": 30})
    assert code == 409 and body["error"]["details"]["retry_after_s"] == 290
    assert relay.call("GET", "/v1/outputs")[1]["outputs"][0]["may_start_at"] == format_time(START + HOUR + 300)
    relay.advance(290)
    assert relay.put("heat", {"state": "on", "lease_s": 30})[0] == 200


def test_the_journal_of_another_boot_maps_by_wall_time_and_an_off_time_ahead_of_the_clock_counts_as_now():
    """An off the journal dates after now: the wall clock went back while the node was
    down (a Pi without a real-time clock boots with an old time). The minimum off time
    counts from boot, not from an instant the clock has yet to reach. The monotonic
    times of another boot mean nothing on this one (here they would lie in the future)."""
    earlier = {"heat": {"time": START + HOUR, "boot_id": "an-earlier-boot", "monotonic": 9_000.0},
               "cool": {"time": START - 100, "boot_id": "an-earlier-boot", "monotonic": 7_500.0}}
    relay = Relay(journal=earlier, min_off_s=300, timer_start=TIMER_START)
    assert relay.put("heat", {"state": "on", "lease_s": 30})[1]["error"]["details"]["retry_after_s"] == 300
    assert relay.put("cool", {"state": "on", "lease_s": 30})[1]["error"]["details"]["retry_after_s"] == 200
    assert relay.journal.entries == {
        "heat": {"time": START, "boot_id": BOOT, "monotonic": TIMER_START},
        "cool": {"time": START - 100, "boot_id": BOOT, "monotonic": TIMER_START - 100}}
    relay.advance(300)
    assert relay.put("heat", {"state": "on", "lease_s": 30})[0] == 200
    relay.put("heat", {"state": "off"})
    assert relay.journal.entries["heat"] == {"time": START + 300, "boot_id": BOOT, "monotonic": TIMER_START + 300}


@pytest.mark.parametrize("step", [+HOUR, -HOUR])
def test_a_daemon_restarted_in_the_same_boot_keeps_the_minimum_off_time_whatever_the_wall_clock_did(step):
    """The journal's wall-clock time would date the off an hour too early (the minimum
    off time long over) or an hour too late (counted from the restart); its monotonic
    time is exact."""
    relay = Relay(min_off_s=300, timer_start=TIMER_START)
    relay.put("heat", {"state": "on", "lease_s": 30})
    relay.advance(20)
    relay.put("heat", {"state": "off"})
    relay.advance(10)
    relay.step_wall(step)
    relay.advance(20)
    relay.restart()
    code, body = relay.put("heat", {"state": "on", "lease_s": 30})
    assert code == 409 and body["error"]["details"]["retry_after_s"] == 270
    relay.advance(269.999)
    assert relay.put("heat", {"state": "on", "lease_s": 30})[0] == 409
    relay.advance(0.001)
    assert relay.put("heat", {"state": "on", "lease_s": 30})[0] == 200


def test_a_daemon_restarted_after_a_reboot_maps_the_journal_by_wall_time():
    """A reboot starts the monotonic clock again: the journal's monotonic times are of
    the earlier boot, and only its wall-clock times relate to the new one."""
    relay = Relay(min_off_s=300, timer_start=TIMER_START)
    relay.put("heat", {"state": "on", "lease_s": 30})
    relay.put("heat", {"state": "off"})
    relay.step_wall(100)  # the reboot took 100 s
    relay.restart(boot_id="relay-machine-boot-2", timer_start=20.0)
    code, body = relay.put("heat", {"state": "on", "lease_s": 30})
    assert code == 409 and body["error"]["details"]["retry_after_s"] == 200
    assert relay.journal.entries["heat"] == {"time": START, "boot_id": "relay-machine-boot-2", "monotonic": -80.0}

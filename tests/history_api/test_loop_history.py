"""The real control loop in memory (tests/control/rig.py) with the recorder beside it, as
in the hub: a cold zone heats, warms up and stops; the run, its samples and the series come
from the control loop's own record, at the instants the relay switched."""

import pytest

from rpymostat.core.timeutil import format_time
from rpymostat.hub.recorder import Recorder, control_temperatures
from tests.control.rig import HEAT, SENSOR, Rig


@pytest.fixture
def rig(tmp_path):
    r = Rig(f"sqlite:///{tmp_path / 'hub.db'}")
    recorder = Recorder(r.hub.store, r.clock, lambda: r.hub.api.settings, lambda: control_temperatures(r.control))
    recorder.startService()
    yield r
    recorder.stopService()
    r.close()


def test_a_heating_run_and_the_zone_series_follow_the_relay(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 900)
    rig.feed(21.0, until=t0 + 1800)
    switches = [(on, when) for output_id, on, when, why in rig.relay.events if output_id == HEAT and why != "boot"]
    assert [on for on, _ in switches] == [True, False]
    (on_at, off_at) = [when for _, when in switches]

    (run,) = rig.hub.call("GET", "/v1/runs?zone_id=1").body["runs"]
    assert (run["kind"], run["start"], run["end"]) == ("heat", format_time(on_at), format_time(off_at))
    assert (run["start_temperature"], run["start_sensors"]) == (18.0, {SENSOR: 18.0})
    # Every 5 minutes of the run, the zone's temperature as the loop saw it and the sensor's.
    count = int((off_at - on_at) // 300)
    assert count >= 2 and [s["time"] for s in run["samples"]] == [format_time(on_at + 300 * k)
                                                                   for k in range(1, count + 1)]
    assert all(s["sensors"] == {SENSOR: s["temperature"]} for s in run["samples"])

    def series(name):
        reply = rig.hub.call("GET", f"/v1/history?series={name}&from={format_time(t0)}"
                                    f"&to={format_time(t0 + 1800)}&max_points=1000")
        assert reply.status == 200, reply.body
        return [(p["time"], p["mean"]) for p in reply.body["series"][0]["points"]]

    assert series(f"output/{HEAT}/state") == [(format_time(t0), 0.0), (format_time(on_at), 1.0),
                                              (format_time(off_at), 0.0)]
    action = series("zone/1/action")
    assert (format_time(on_at), 1.0) in action and (format_time(off_at), 0.0) in action
    assert series("zone/1/mode") == [(format_time(t0), 1.0)]
    assert series("zone/1/target") == [(format_time(t0), 20.0)]
    assert {value for _, value in series("zone/1/temperature")} == {18.0, 21.0}
    assert len(series(f"sensor/{SENSOR}")) == 60  # every reading, one each 30 s

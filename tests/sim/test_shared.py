"""The demo's shared house: relays in one process, the model in another, one log between."""

from rpymostat.sim.house import House, small_house
from rpymostat.sim.shared import SharedHouse, SwitchLog, seconds_into_year
from rpymostat.sim.weather import load_weather
from rpymostat_relay.drivers.sim import SimDriver as SimRelays
from rpymostat_sensor.drivers.sim import SimDriver as SimSensors

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z


class Now:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def test_switches_replayed_at_the_instant_they_happened(tmp_path):
    now = Now(T0)
    relays = SimRelays({"house_dir": str(tmp_path)}, clock=now)
    shared = SharedHouse(tmp_path, initial_c=15.0)
    shared.temperature("sim-living", now())
    now.t = T0 + 600
    relays.set("sim-heat", True, lease_s=90)
    now.t = T0 + 2400
    relays.set("sim-heat", False)
    now.t = T0 + 3600
    shared.temperature("sim-living", now())

    reference = House(small_house(), load_weather("builtin"), start_s=seconds_into_year(T0), initial_c=15.0)
    start = reference.time_s
    reference.advance_to(start + 600, {})
    reference.advance_to(start + 2400, {"heat": True})
    reference.advance_to(start + 3600, {})
    assert shared._house.air_c("living") == reference.air_c("living")
    assert shared._house.time_s == reference.time_s


def test_heating_through_the_drivers_warms_the_sensors(tmp_path):
    now = Now(T0)
    sensors = SimSensors({"house": {"dir": str(tmp_path), "initial_c": 15.0}}, clock=now)
    relays = SimRelays({"house_dir": str(tmp_path)}, clock=now)
    assert [s.id for s in sensors.discover()] == ["sim-bedroom", "sim-living", "sim-outdoor"]
    cold = sensors.read("sim-living").value
    relays.set("sim-heat", True, lease_s=90)
    now.t += 3600
    warm = sensors.read("sim-living").value
    assert warm > cold + 2.0
    relays.set("sim-heat", False)
    now.t += 3 * 3600
    assert sensors.read("sim-living").value < warm
    assert sensors.read("nope").ok is False


def test_log_reads_only_complete_new_lines(tmp_path):
    log = SwitchLog(tmp_path)
    log.append(1.0, "sim-heat", True)
    with open(log.path, "a") as raw:
        raw.write('{"time": 2.0, "output": "heat"')
    reader = SwitchLog(tmp_path)
    assert reader.new_events() == [{"time": 1.0, "output": "heat", "on": True}]
    with open(log.path, "a") as raw:
        raw.write(', "on": false}\n')
    assert reader.new_events() == [{"time": 2.0, "output": "heat", "on": False}]
    assert reader.new_events() == []

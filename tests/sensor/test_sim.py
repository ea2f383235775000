import pytest
from hypothesis import given
from hypothesis import strategies as st

from rpymostat_sensor.drivers import ConfigError, SensorInfo
from rpymostat_sensor.drivers.sim import SimDriver

CONFIG = {"seed": 7, "sensors": [{"id": "living"}, {"id": "bedroom", "base": 18.0}]}


class FakeClock:
    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def test_default_config_has_one_sensor():
    assert SimDriver().discover() == [SensorInfo("sim-0", "simulated", "sim-0")]


@given(times=st.lists(st.floats(0, 1e9), min_size=1, max_size=20), seed=st.integers(0, 99))
def test_values_depend_only_on_seed_and_time(times, seed):
    config = {**CONFIG, "seed": seed}
    clock_a, clock_b = FakeClock(), FakeClock()
    a, b = SimDriver(config, clock=clock_a), SimDriver(config, clock=clock_b)
    first = []
    for t in times:
        clock_a.now = t
        first.append(a.read("living").value)
    for t, expected in reversed(list(zip(times, first))):
        clock_b.now = t
        assert b.read("living").value == expected


def test_values_drift_around_base():
    clock = FakeClock(0.0)
    driver = SimDriver(CONFIG, clock=clock)
    values = []
    for minute in range(60):
        clock.now = minute * 60.0
        values.append(driver.read("bedroom").value)
    assert all(16.9 <= v <= 19.1 for v in values)
    assert max(values) - min(values) > 1.0


def test_seed_changes_values():
    clock = FakeClock()
    one = SimDriver({**CONFIG, "seed": 1}, clock=clock).read("living").value
    two = SimDriver({**CONFIG, "seed": 2}, clock=clock).read("living").value
    assert one != two


def test_pluggable_source():
    class House:
        def temperature(self, sensor_id, now):
            return {"living": now / 100.0}.get(sensor_id)

    driver = SimDriver(CONFIG, clock=FakeClock(2150.0), source=House())
    assert driver.read("living").value == 21.5
    failed = driver.read("bedroom")
    assert not failed.ok and "no value" in failed.reason


def test_unknown_sensor_fails():
    assert not SimDriver(CONFIG, clock=FakeClock()).read("attic").ok


def test_duplicate_ids_rejected():
    with pytest.raises(ConfigError):
        SimDriver({"sensors": [{"id": "a"}, {"id": "a"}]})

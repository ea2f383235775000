import pytest

from rpymostat_relay.drivers import OutputInfo, RelayError, UnknownOutput
from rpymostat_relay.drivers.sim import SimDriver, Switch


class Clock:
    now = 1000.0

    def __call__(self):
        return self.now


def test_default_outputs_start_off():
    driver = SimDriver()
    assert [o.id for o in driver.outputs()] == ["sim-heat", "sim-cool", "sim-fan"]
    assert not any(driver.get(o.id) for o in driver.outputs())


def test_history_records_changes_not_renewals():
    clock = Clock()
    driver = SimDriver({"outputs": [{"id": "heat", "name": "Heat"}]}, clock=clock)
    assert driver.outputs() == [OutputInfo("heat", "Heat")]
    driver.set("heat", True, lease_s=90)
    clock.now = 1030.0
    driver.set("heat", True, lease_s=90)
    clock.now = 1300.0
    driver.set("heat", False)
    assert driver.history == [Switch(1000.0, "heat", True, 90), Switch(1300.0, "heat", False, None)]


def test_listeners_see_each_switch_until_removed():
    seen = []
    driver = SimDriver(clock=Clock())
    driver.add_listener(seen.append)
    driver.set("sim-heat", True, lease_s=60)
    driver.remove_listener(seen.append)
    driver.set("sim-heat", False)
    assert seen == [Switch(1000.0, "sim-heat", True, 60)]


def test_close_turns_everything_off():
    driver = SimDriver(clock=Clock())
    driver.set("sim-fan", True)
    driver.close()
    assert driver.history[-1] == Switch(1000.0, "sim-fan", False, None)
    with pytest.raises(RelayError):
        driver.get("sim-fan")


def test_unknown_output():
    with pytest.raises(UnknownOutput):
        SimDriver().set("sim-aux", True)

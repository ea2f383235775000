import importlib
import inspect

import pytest

from rpymostat_relay.drivers import OutputInfo, RelayError, UnknownOutput
from rpymostat_relay.drivers.phidget import PhidgetDriver
from tests.relay.fake_phidget import FakeDevice, FakePhidgetBus

real_module = importlib.import_module("Phidget22.Devices.DigitalOutput")
RealDigitalOutput = real_module.DigitalOutput

CONFIG = {"outputs": [
    {"id": "phidget-523456/0", "name": "furnace"},
    {"id": "phidget-523456/2"},
], "attach_timeout_ms": 2000}


@pytest.fixture
def bus(monkeypatch):
    bus = FakePhidgetBus()
    monkeypatch.setattr(real_module, "DigitalOutput", bus.digital_output_class())
    return bus


def test_stand_in_mirrors_the_real_signatures():
    fake = FakePhidgetBus().digital_output_class()
    for name, member in vars(fake).items():
        if callable(member) and not name.startswith("_"):
            assert inspect.signature(member) == inspect.signature(getattr(RealDigitalOutput, name))
    assert inspect.signature(fake.__init__) == inspect.signature(RealDigitalOutput.__init__)


def test_opens_each_channel_by_serial_and_starts_off(bus):
    device = bus.devices[523456] = FakeDevice()
    device.state = [True] * 4
    driver = PhidgetDriver(CONFIG)
    assert ("open", 523456, 0, 2000) in bus.calls and ("open", 523456, 2, 2000) in bus.calls
    assert device.state == [False, True, False, True]  # channels we do not own stay as they are
    assert driver.outputs() == [OutputInfo("phidget-523456/0", "furnace"),
                                OutputInfo("phidget-523456/2", "phidget-523456/2")]


def test_switching(bus):
    device = bus.devices[523456] = FakeDevice()
    driver = PhidgetDriver(CONFIG)
    driver.set("phidget-523456/2", True)
    assert device.state[2] and driver.get("phidget-523456/2")
    driver.set("phidget-523456/2", False)
    assert not device.state[2] and not driver.get("phidget-523456/2")


def test_lease_arms_the_failsafe_and_renewals_reset_it(bus):
    device = bus.devices[523456] = FakeDevice()
    driver = PhidgetDriver(CONFIG)
    driver.set("phidget-523456/0", True, lease_s=20)
    assert device.failsafe_ms[0] == 20000 and driver.failsafe_ms("phidget-523456/0") == 20000
    for _ in range(5):
        bus.advance(15000)
        driver.set("phidget-523456/0", True, lease_s=20)
        assert bus.calls[-1] == ("resetFailsafe", 523456, 0)
    assert device.state[0] and [c[0] for c in bus.calls].count("enableFailsafe") == 1


def test_hung_process_lets_the_hardware_turn_off(bus):
    device = bus.devices[523456] = FakeDevice()
    driver = PhidgetDriver(CONFIG)
    driver.set("phidget-523456/0", True, lease_s=20)
    bus.advance(20000)
    assert device.state[0] is False
    # Afterwards the channel refuses commands until reopened; the driver does that.
    driver.set("phidget-523456/0", True, lease_s=20)
    assert device.state[0] is True and device.opened[0] == 2


def test_failsafe_time_is_clamped_to_the_device(bus):
    device = bus.devices[523456] = FakeDevice(max_failsafe_ms=30000)
    driver = PhidgetDriver(CONFIG)
    driver.set("phidget-523456/0", True, lease_s=90)
    assert device.failsafe_ms[0] == 30000


def test_off_disarms_so_an_idle_output_does_not_trip(bus):
    device = bus.devices[523456] = FakeDevice()
    driver = PhidgetDriver(CONFIG)
    driver.set("phidget-523456/0", True, lease_s=20)
    driver.set("phidget-523456/0", False)
    assert device.failsafe_ms[0] is None and driver.failsafe_ms("phidget-523456/0") is None
    bus.advance(60000)
    assert not device.tripped[0]
    driver.set("phidget-523456/0", True, lease_s=20)
    assert device.state[0] and device.failsafe_ms[0] == 20000


def test_device_without_failsafe_still_works(bus):
    device = bus.devices[523456] = FakeDevice(failsafe=False)
    driver = PhidgetDriver(CONFIG)
    driver.set("phidget-523456/0", True, lease_s=20)
    assert device.state[0] and driver.failsafe_ms("phidget-523456/0") is None
    driver.set("phidget-523456/0", True, lease_s=20)  # renewal: no second attempt, no reset
    assert [c[0] for c in bus.calls].count("enableFailsafe") == 1
    assert "resetFailsafe" not in [c[0] for c in bus.calls]
    bus.advance(60000)
    assert device.state[0]


def test_device_that_never_attaches(bus):
    driver = PhidgetDriver(CONFIG)  # starting does not fail
    with pytest.raises(RelayError, match="EPHIDGET_TIMEOUT"):
        driver.set("phidget-523456/0", True, lease_s=20)
    with pytest.raises(RelayError, match="not attached"):
        driver.get("phidget-523456/0")
    with pytest.raises(RelayError):
        driver.all_off()


def test_device_attaching_later_is_used(bus):
    driver = PhidgetDriver(CONFIG)
    bus.devices[523456] = device = FakeDevice()
    driver.set("phidget-523456/2", True, lease_s=20)
    assert device.state[2]


def test_close_turns_off_and_closes_every_channel(bus):
    device = bus.devices[523456] = FakeDevice()
    driver = PhidgetDriver(CONFIG)
    driver.set("phidget-523456/0", True, lease_s=20)
    driver.close()
    assert device.state == [False] * 4
    assert ("close", 523456, 0) in bus.calls and ("close", 523456, 2) in bus.calls
    with pytest.raises(RelayError):
        driver.set("phidget-523456/0", True)


def test_unknown_output(bus):
    bus.devices[523456] = FakeDevice()
    with pytest.raises(UnknownOutput):
        PhidgetDriver(CONFIG).get("phidget-523456/3")

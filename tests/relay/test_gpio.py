import sys

import pytest

from rpymostat_relay.drivers import ConfigError, OutputInfo, RelayError, UnknownOutput
from rpymostat_relay.drivers.gpio import GpioDriver
from tests.relay import fake_gpio
from tests.relay.fake_gpio import BCM, BOARD, HIGH, LOW, OUT

CONFIG = {"outputs": [
    {"id": "gpio17", "name": "furnace"},
    {"id": "gpio27", "active_low": True},
]}


@pytest.fixture
def gpio(monkeypatch):
    return fake_gpio.install(monkeypatch)


def test_start_sets_bcm_mode_and_every_output_off_without_a_glitch(gpio):
    GpioDriver(CONFIG)
    assert gpio.calls[0] == ("setmode", BCM)
    setups = [c for c in gpio.calls if c[0] == "setup"]
    assert setups == [("setup", 17, OUT, LOW), ("setup", 27, OUT, HIGH)]
    assert not [c for c in gpio.calls if c[0] == "output"]
    assert gpio.levels == {17: LOW, 27: HIGH}


def test_outputs_list_names(gpio):
    assert GpioDriver(CONFIG).outputs() == [
        OutputInfo("gpio17", "furnace"), OutputInfo("gpio27", "gpio27")]


def test_active_high_switching(gpio):
    driver = GpioDriver(CONFIG)
    driver.set("gpio17", True, lease_s=90)
    assert gpio.levels[17] == HIGH and driver.get("gpio17") is True
    driver.set("gpio17", False)
    assert gpio.levels[17] == LOW and driver.get("gpio17") is False


def test_active_low_inverts(gpio):
    driver = GpioDriver(CONFIG)
    assert driver.get("gpio27") is False
    driver.set("gpio27", True, lease_s=90)
    assert gpio.levels[27] == LOW and driver.get("gpio27") is True
    driver.set("gpio27", False)
    assert gpio.levels[27] == HIGH


def test_all_off(gpio):
    driver = GpioDriver(CONFIG)
    driver.set("gpio17", True)
    driver.set("gpio27", True)
    driver.all_off()
    assert gpio.levels == {17: LOW, 27: HIGH}


def test_close_turns_off_and_releases_only_our_pins(gpio):
    driver = GpioDriver(CONFIG)
    driver.set("gpio17", True)
    driver.close()
    assert gpio.calls[-3:] == [("output", 17, LOW), ("output", 27, HIGH), ("cleanup", [17, 27])]
    with pytest.raises(RelayError):
        driver.set("gpio17", True)
    driver.close()  # twice is harmless
    assert gpio.calls[-1] == ("cleanup", [17, 27])


def test_keeps_bcm_mode_already_set(gpio):
    gpio.setmode(BCM)
    GpioDriver(CONFIG)
    assert gpio.mode == BCM


def test_refuses_board_numbering_set_elsewhere(gpio):
    gpio.setmode(BOARD)
    with pytest.raises(RelayError, match="board"):
        GpioDriver(CONFIG)


def test_unknown_output(gpio):
    with pytest.raises(UnknownOutput):
        GpioDriver(CONFIG).set("gpio4", True)


@pytest.mark.parametrize("output_id", ["gpio28", "17", "GPIO17", "gpio017"])
def test_invalid_ids_rejected(gpio, output_id):
    with pytest.raises(ConfigError):
        GpioDriver({"outputs": [{"id": output_id}]})


def test_duplicate_outputs_rejected(gpio):
    with pytest.raises(ConfigError):
        GpioDriver({"outputs": [{"id": "gpio17"}, {"id": "gpio17", "active_low": True}]})


def test_off_a_pi_the_import_error_becomes_a_relay_error(monkeypatch):
    monkeypatch.delitem(sys.modules, "RPi.GPIO", raising=False)
    monkeypatch.delitem(sys.modules, "RPi", raising=False)

    class RefusingFinder:
        def find_spec(self, name, path=None, target=None):
            if name == "RPi" or name.startswith("RPi."):
                raise RuntimeError("This module can only be run on a Raspberry Pi!")

    monkeypatch.setattr(sys, "meta_path", [RefusingFinder(), *sys.meta_path])
    with pytest.raises(RelayError, match="Raspberry Pi"):
        GpioDriver(CONFIG)

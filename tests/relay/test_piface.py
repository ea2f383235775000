import inspect

import pifacedigitalio
import pytest

from rpymostat_relay.drivers import ConfigError, OutputInfo, RelayError, UnknownOutput
from rpymostat_relay.drivers.piface import PiFaceDriver
from tests.relay.fake_piface import FakeBoards, FakeOutputPort

CONFIG = {"outputs": [
    {"id": "piface0-relay0", "name": "boiler"},
    {"id": "piface0-relay1"},
    {"id": "piface0-out3"},
]}


def install(monkeypatch, boards):
    monkeypatch.setattr(pifacedigitalio, "PiFaceDigital", boards.piface_class())
    return boards


@pytest.fixture
def boards(monkeypatch):
    return install(monkeypatch, FakeBoards())


def test_stand_in_mirrors_the_real_constructor():
    fake = FakeBoards().piface_class()
    real = pifacedigitalio.PiFaceDigital
    assert inspect.signature(fake.__init__) == inspect.signature(real.__init__)
    assert inspect.signature(fake.deinit_board) == inspect.signature(real.deinit_board)


def test_starts_with_every_output_off(boards):
    boards.ports[0] = port = FakeOutputPort()
    port.value = 0xFF  # left on by a previous run
    PiFaceDriver(CONFIG)
    assert port.value == 0


def test_relays_and_open_collector_outputs(boards):
    driver = PiFaceDriver(CONFIG)
    assert driver.outputs()[0] == OutputInfo("piface0-relay0", "boiler")
    driver.set("piface0-relay1", True, lease_s=90)
    driver.set("piface0-out3", True)
    assert boards.ports[0].value == 0b1010
    assert driver.get("piface0-relay1") and driver.get("piface0-out3")
    assert not driver.get("piface0-relay0")
    driver.set("piface0-relay1", False)
    assert boards.ports[0].value == 0b1000


def test_several_boards(monkeypatch):
    boards = install(monkeypatch, FakeBoards(addresses=(0, 2)))
    driver = PiFaceDriver({"outputs": [{"id": "piface0-relay0"}, {"id": "piface2-out7"}]})
    driver.set("piface2-out7", True)
    assert boards.ports[2].value == 0x80 and boards.ports[0].value == 0


def test_relay_and_its_output_pin_cannot_both_be_configured(boards):
    with pytest.raises(ConfigError, match="same output"):
        PiFaceDriver({"outputs": [{"id": "piface0-relay1"}, {"id": "piface0-out1"}]})


def test_missing_board(monkeypatch):
    install(monkeypatch, FakeBoards(addresses=(0,)))
    with pytest.raises(RelayError, match="No PiFace Digital"):
        PiFaceDriver({"outputs": [{"id": "piface0-relay0"}, {"id": "piface1-relay0"}]})


def test_spi_disabled(monkeypatch):
    install(monkeypatch, FakeBoards(spi_present=False))
    with pytest.raises(RelayError, match="spidev0.0"):
        PiFaceDriver(CONFIG)


def test_close_turns_off_and_releases_the_board(boards):
    driver = PiFaceDriver(CONFIG)
    driver.set("piface0-relay0", True)
    driver.close()
    assert boards.ports[0].value == 0 and boards.deinitialised == [0]
    with pytest.raises(RelayError):
        driver.set("piface0-relay0", True)


def test_unknown_output(boards):
    with pytest.raises(UnknownOutput):
        PiFaceDriver(CONFIG).set("piface0-out5", True)


@pytest.mark.parametrize("output_id", ["piface4-relay0", "piface0-relay2", "piface0-out8"])
def test_invalid_ids(boards, output_id):
    with pytest.raises(ConfigError):
        PiFaceDriver({"outputs": [{"id": output_id}]})

import os

os.environ["W1THERMSENSOR_NO_KERNEL_MODULE"] = "1"

import pytest
from w1thermsensor import W1ThermSensor

from rpymostat_sensor.drivers import ConfigError, SensorInfo
from rpymostat_sensor.drivers.w1 import W1Driver
from tests.sensor.fake_w1 import FakeW1Bus


@pytest.fixture
def bus(tmp_path, monkeypatch):
    root = tmp_path / "devices"
    monkeypatch.setattr(W1ThermSensor, "BASE_DIRECTORY", root)
    return FakeW1Bus(root)


def test_reads_a_good_ds18b20(bus):
    bus.add("28-0316a2795aff", 21375)
    reading = W1Driver().read("28-0316a2795aff")
    assert reading.ok and reading.value == 21.375 and reading.reason is None


def test_negative_temperature(bus):
    bus.add("28-0316a2795aff", -5500)
    assert W1Driver().read("28-0316a2795aff").value == -5.5


@pytest.mark.parametrize(
    "sensor_id, kind, millidegrees, expected",
    [
        ("10-000802b4c5d6", "DS18S20", 19500, 19.5),
        ("22-000000a1b2c3", "DS1822", 23125, 23.125),
        ("3b-0000001a2b3c", "DS1825/MAX31850K", 150250, 150.25),
        ("42-00000011aa22", "DS28EA00", 20000, 20.0),
    ],
)
def test_other_families(bus, sensor_id, kind, millidegrees, expected):
    bus.add(sensor_id, millidegrees)
    driver = W1Driver()
    assert driver.discover() == [SensorInfo(sensor_id, kind, sensor_id)]
    assert driver.read(sensor_id).value == expected


def test_reset_value_is_a_failed_reading(bus):
    bus.add("28-0316a2795aff", 85000)
    reading = W1Driver().read("28-0316a2795aff")
    assert not reading.ok and reading.value is None
    assert "85.0" in reading.reason


def test_ds18s20_reset_value_is_also_failed(bus):
    bus.add("10-000802b4c5d6", 85000)
    reading = W1Driver().read("10-000802b4c5d6")
    assert not reading.ok and "85.0" in reading.reason


def test_crc_failure_is_a_failed_reading(bus):
    bus.add("28-0316a2795aff", 21375, crc_ok=False)
    reading = W1Driver().read("28-0316a2795aff")
    assert not reading.ok and "CRC" in reading.reason


def test_all_zero_scratchpad_is_a_failed_reading(bus):
    zeros = "00 00 00 00 00 00 00 00 00"
    bus.write_raw("28-0316a2795aff", f"{zeros} : crc=00 YES\n{zeros} t=0\n")
    assert not W1Driver().read("28-0316a2795aff").ok


def test_truncated_file_is_a_failed_reading(bus):
    bus.write_raw("28-0316a2795aff", "56 01 4b 46 7f ff 0c 10 d8 : crc=d8 YES\n")
    reading = W1Driver().read("28-0316a2795aff")
    assert not reading.ok and "malformed" in reading.reason


def test_vanished_sensor(bus):
    driver = W1Driver()
    bus.add("28-0316a2795aff")
    assert driver.read("28-0316a2795aff").ok
    bus.remove("28-0316a2795aff")
    reading = driver.read("28-0316a2795aff")
    assert not reading.ok and "not found" in reading.reason
    assert driver.discover() == []


def test_directory_without_data_file_counts_as_vanished(bus):
    (bus.root / "28-0316a2795aff").mkdir()
    assert "not found" in W1Driver().read("28-0316a2795aff").reason


def test_sensor_appearing_later_is_discovered(bus):
    bus.add("28-0316a2795aff")
    driver = W1Driver()
    assert [s.id for s in driver.discover()] == ["28-0316a2795aff"]
    bus.add("28-000005e2fdc3", 19000)
    assert [s.id for s in driver.discover()] == ["28-000005e2fdc3", "28-0316a2795aff"]
    assert driver.read("28-000005e2fdc3").value == 19.0


def test_discover_skips_bus_masters_and_other_families(bus):
    bus.add("28-0316a2795aff")
    (bus.root / "81-00000021b5c7").mkdir()  # the DS9490R's own DS2490 bridge
    (bus.root / "81-00000021b5c7" / "id").write_text("x")
    assert [s.id for s in W1Driver().discover()] == ["28-0316a2795aff"]


def test_missing_bus_means_no_sensors(tmp_path, monkeypatch):
    monkeypatch.setattr(W1ThermSensor, "BASE_DIRECTORY", tmp_path / "absent")
    driver = W1Driver()
    assert driver.discover() == []
    assert not driver.read("28-0316a2795aff").ok


def test_unknown_family_is_a_failed_reading(bus):
    assert "family" in W1Driver().read("81-00000021b5c7").reason


def test_base_dir_and_names_from_config(tmp_path):
    bus = FakeW1Bus(tmp_path / "usb")
    bus.add("28-0316a2795aff", 20500)
    driver = W1Driver({"base_dir": str(bus.root), "names": {"28-0316a2795aff": "bedroom"}})
    assert driver.discover() == [SensorInfo("28-0316a2795aff", "DS18B20", "bedroom")]
    assert driver.read("28-0316a2795aff").value == 20.5
    assert W1ThermSensor.BASE_DIRECTORY != bus.root


def test_unknown_config_key_is_rejected():
    with pytest.raises(ConfigError, match="basedir"):
        W1Driver({"basedir": "/tmp"})

import sys
import time

import pytest

from rpymostat_sensor.drivers import ConfigError, SensorInfo
from rpymostat_sensor.drivers.command import CommandDriver


def driver_for(code, timeout_s=10.0, sensor_id="outdoor"):
    return CommandDriver(
        {"sensors": [{"id": sensor_id, "command": [sys.executable, "-c", code],
                      "timeout_s": timeout_s}]}
    )


def test_reads_the_printed_temperature():
    reading = driver_for("print(21.5)").read("outdoor")
    assert reading.ok and reading.value == 21.5


def test_surrounding_whitespace_and_negative_values():
    assert driver_for("print('  -3.25 ')").read("outdoor").value == -3.25


@pytest.mark.parametrize("output", ["warm", "21.5 C", "", "21.5\\n22.0"])
def test_non_numeric_output_fails(output):
    reading = driver_for(f"print('{output}')").read("outdoor")
    assert not reading.ok and "no temperature" in reading.reason


def test_nan_fails():
    reading = driver_for("print('nan')").read("outdoor")
    assert not reading.ok and "finite" in reading.reason


def test_non_zero_exit_fails_and_quotes_stderr():
    code = "import sys; print(20.0); sys.stderr.write('i2c bus busy'); sys.exit(3)"
    reading = driver_for(code).read("outdoor")
    assert not reading.ok
    assert reading.reason == "command exited with status 3: i2c bus busy"


def test_timeout_fails():
    reading = driver_for("import time; time.sleep(30)", timeout_s=0.3).read("outdoor")
    assert not reading.ok and "timed out after 0.3 s" in reading.reason


def test_timeout_also_kills_grandchildren_holding_the_output_open():
    code = (
        "import subprocess, sys, time;"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']);"
        "time.sleep(30)"
    )
    started = time.monotonic()
    reading = driver_for(code, timeout_s=0.3).read("outdoor")
    assert "timed out" in reading.reason
    assert time.monotonic() - started < 10


def test_missing_program_fails():
    driver = CommandDriver({"sensors": [{"id": "x", "command": ["/nonexistent/probe"]}]})
    reading = driver.read("x")
    assert not reading.ok and "cannot run" in reading.reason


def test_unknown_sensor_fails():
    assert not driver_for("print(1)").read("attic").ok


def test_discover_lists_configured_sensors():
    driver = CommandDriver({"sensors": [
        {"id": "b", "command": ["true"], "name": "Outdoor"},
        {"id": "a", "command": ["true"]},
    ]})
    assert driver.discover() == [SensorInfo("a", "command", "a"),
                                 SensorInfo("b", "command", "Outdoor")]


@pytest.mark.parametrize("config", [
    {"sensors": [{"id": "a", "command": []}]},
    {"sensors": [{"id": "a", "command": "echo 1"}]},
    {"sensors": [{"id": "a", "command": ["true"], "timeout_s": 0}]},
    {"sensors": [{"id": "a", "command": ["true"]}, {"id": "a", "command": ["true"]}]},
])
def test_bad_config_is_rejected(config):
    with pytest.raises(ConfigError):
        CommandDriver(config)

"""The MQTT bridge's pure parts: broker addresses, sensor bindings and the readings in a
message, topics, Home Assistant commands."""

import pytest

from rpymostat.hub.config import load_hub_config
from rpymostat.hub.mqtt.discovery import CommandError, Topics, command_hold, slug, zone_state
from rpymostat.hub.mqtt.link import BrokerAddress, BrokerAddressError, broker_address
from rpymostat.hub.mqtt.sensors import NoReading, SensorBinding, SensorBindingError, bindings, reading_of
from rpymostat.runtime.config import ConfigError


@pytest.mark.parametrize("url, address", [
    ("mqtt://127.0.0.1", BrokerAddress("127.0.0.1", 1883, False)),
    ("mqtts://broker.lan", BrokerAddress("broker.lan", 8883, True)),
    ("mqtt://broker.lan:1884/", BrokerAddress("broker.lan", 1884, False)),
])
def test_broker_addresses(url, address):
    assert broker_address(url) == address


@pytest.mark.parametrize("url, why", [
    ("http://broker", "mqtt:// or mqtts://"), ("mqtt://user:pw@broker", "mqtt_password_file"),
    ("mqtt://broker/topic", "address only"), ("mqtt://broker:99999", "port"), ("mqtt://:1883", "no host"),
])
def test_bad_broker_addresses_say_why(url, why):
    with pytest.raises(BrokerAddressError, match=why):
        broker_address(url)


def test_a_bad_setting_is_refused_at_load_with_where_it_came_from(tmp_path):
    with pytest.raises(ConfigError, match="RPYMOSTAT_MQTT_URL:mqtt_url: must start mqtt://"):
        load_hub_config(tmp_path, environ={"RPYMOSTAT_MQTT_URL": "http://x"})
    with pytest.raises(ConfigError, match="unit must be one of C, F, K"):
        load_hub_config(tmp_path, environ={"RPYMOSTAT_MQTT_SENSORS": '{"a": {"topic": "t", "unit": "R"}}'})
    with pytest.raises(ConfigError, match="mqtt_password_file: cannot read"):
        load_hub_config(tmp_path, environ={"RPYMOSTAT_MQTT_PASSWORD_FILE": str(tmp_path / "none")})
    config = load_hub_config(tmp_path, environ={"RPYMOSTAT_MQTT_SENSORS": '{"a": {"topic": "t/a"}}'})
    assert bindings(config.mqtt_sensors) == (SensorBinding("a", "t/a", (), "C", "a"),)


@pytest.mark.parametrize("table, why", [
    ({"bad id!": {"topic": "t"}}, "not a sensor id"),
    ({"a": "t"}, "must be a table"),
    ({"a": {}}, "topic must be"),
    ({"a": {"topic": "z2m/+"}}, "no \\+ or #"),
    ({"a": {"topic": "t", "path": "a..b"}}, "empty step"),
    ({"a": {"topic": "t", "paht": "x"}}, "unknown key 'paht'"),
])
def test_bad_bindings_say_why(table, why):
    with pytest.raises(SensorBindingError, match=why):
        bindings(table)


@pytest.mark.parametrize("entry, payload, value", [
    ({"topic": "t", "path": "temperature"}, b'{"temperature": 21.3, "humidity": 40}', 21.3),  # zigbee2mqtt
    ({"topic": "t"}, b"21.5", 21.5),  # ESPHome
    ({"topic": "t", "path": "DS18B20.Temperature", "unit": "F"}, b'{"DS18B20": {"Temperature": 212}}', 100.0),
    ({"topic": "t", "path": "probes.1", "unit": "K"}, b'{"probes": [280, 293.15]}', 20.0),
])
def test_readings_out_of_messages(entry, payload, value):
    (binding,) = bindings({"s": entry})
    assert reading_of(binding, payload) == pytest.approx(value)


@pytest.mark.parametrize("payload, why", [
    (b"{nope", "not JSON"), (b'{"humidity": 4}', "no 'temperature'"), (b'{"temperature": "21"}', "not a number"),
    (b'{"temperature": true}', "not a number"), (b"\xff", "not JSON"),
])
def test_messages_without_a_reading_say_why(payload, why):
    (binding,) = bindings({"s": {"topic": "t", "path": "temperature"}})
    with pytest.raises(NoReading, match=why):
        reading_of(binding, payload)


def test_topics_and_commands():
    topics = Topics("rpymostat", "abc")
    assert topics.command_of("rpymostat/abc/zone/3/set/mode") == (3, "mode")
    assert topics.command_of("rpymostat/abc/zone/3/set/fan") is None
    assert topics.command_of("rpymostat/abc/zone/0/set/mode") is None
    assert topics.command_of("rpymostat/other/zone/3/set/mode") is None
    assert slug("28-0316a2795aff") == "28-0316a2795aff"
    assert slug("phidget-1/2") != slug("phidget-1_2") and "/" not in slug("phidget-1/2")


def test_what_commands_ask():
    heat = {"mode": "heat", "heat_setpoint": 20.0}
    assert command_hold("temperature", b"21.5", heat).body == {
        "target": {"mode": "heat", "heat_setpoint": 21.5}, "until": "next"}
    assert command_hold("mode", b"heat_cool", heat).body["target"]["mode"] == "auto"
    assert command_hold("temperature_high", b"25", heat).body["target"]["cool_setpoint"] == 25
    assert command_hold("preset", b"hold", heat).body == {"target": heat, "until": None}
    assert command_hold("preset", b"none", heat).body is None
    with pytest.raises(CommandError, match="set the low and high ones"):
        command_hold("temperature", b"21", {"mode": "auto", "heat_setpoint": 20, "cool_setpoint": 24})


def test_zone_states():
    status = {"temperature": 19.5, "action": "heating",
              "target": {"mode": "auto", "heat_setpoint": 20, "cool_setpoint": 24}}
    assert zone_state(status, held=True) == {"mode": "heat_cool", "temperature": 19.5, "target": None,
                                             "target_low": 20, "target_high": 24, "action": "heating",
                                             "preset": "hold"}
    off = zone_state({"temperature": None, "action": "idle", "target": {"mode": "off"}}, held=False)
    assert (off["mode"], off["action"], off["preset"]) == ("off", "off", "none")

"""The MQTT bridge in memory: a fake broker link, the real hub API, control loop and relay
(tests/control/rig.py), one Clock. What Home Assistant is told, what its commands do, and
MQTT sensors' readings."""

import json

import pytest

from rpymostat.hub.mqtt.bridge import MqttBridge
from rpymostat.hub.mqtt.discovery import Topics
from rpymostat.hub.mqtt.link import BrokerAddress
from rpymostat.hub.mqtt.sensors import bindings
from tests.control.rig import HEAT, Rig
from tests.integrations.ha_schema import check_climate, check_sensor


class FakeLink:
    """What the bridge sends, kept as a broker keeps retained messages."""

    address = BrokerAddress("broker", 1883, False)

    def __init__(self, on_connected, on_lost, on_message):
        self.on_connected, self.on_lost, self.on_message = on_connected, on_lost, on_message
        self.connected = False
        self.sent: list[tuple[str, bytes, bool]] = []
        self.retained: dict[str, bytes] = {}
        self.subscriptions: list[str] = []

    def start(self):
        self.connected = True
        self.on_connected()

    def stop(self):
        self.connected = False

    def publish(self, topic, payload, retain=False, qos=0):
        if not self.connected:
            return
        payload = payload.encode() if isinstance(payload, str) else payload
        self.sent.append((topic, payload, retain))
        if retain:
            if payload:
                self.retained[topic] = payload
            else:
                self.retained.pop(topic, None)

    def subscribe(self, topics):
        self.subscriptions.extend(topics)

    def json(self, topic):
        return json.loads(self.retained[topic])


SENSORS = {"zb-living": {"topic": "zigbee2mqtt/living", "path": "temperature"},
           "esp-attic": {"topic": "attic/sensor/temperature/state", "unit": "F", "name": "Attic"}}


@pytest.fixture
def rig(tmp_path):
    r = Rig(f"sqlite:///{tmp_path / 'hub.db'}")
    yield r
    r.close()


@pytest.fixture
def bridge(rig):
    links = []

    def make_link(**callbacks):
        links.append(FakeLink(**callbacks))
        return links[-1]

    topics = Topics("rpymostat", rig.hub.hub_id, "homeassistant")
    b = MqttBridge(api=rig.hub.api, clock=rig.clock, topics=topics, make_link=make_link,
                   sensors=bindings(SENSORS))
    b.startService()
    rig.settle()
    b.fake = links[0]
    yield b
    b.stopService()


def zone_topics(bridge):
    return bridge.topics.zone_config(1), bridge.topics.zone_state(1)


def test_discovery_of_a_zone_and_its_sensors_as_home_assistant_reads_them(rig, bridge):
    link = bridge.fake
    assert link.retained[bridge.topics.availability] == b"online"
    assert set(link.subscriptions) >= {"homeassistant/status", bridge.topics.commands, "zigbee2mqtt/living"}
    config_topic, state_topic = zone_topics(bridge)
    assert config_topic == f"homeassistant/climate/{rig.hub.hub_id}_1/config"
    config, state = link.json(config_topic), link.json(state_topic)
    check_climate(config, state)
    assert config["device"]["name"] == "Living" and config["modes"] == ["off", "heat", "cool", "heat_cool",
                                                                        "fan_only"]
    assert state == {"mode": "heat", "temperature": None, "target": 20, "target_low": None,
                     "target_high": None, "action": "idle", "preset": "none"}
    sensor_topics = [t for t in link.retained if t.startswith("homeassistant/sensor/")]
    assert len(sensor_topics) == 3  # the node's sensor and the two MQTT ones
    for topic in sensor_topics:
        check_sensor(link.json(topic))
    attic = link.json(bridge.topics.sensor_config("esp-attic"))
    assert attic["name"] == "Attic" and attic["expire_after"] == 90


def test_states_follow_the_zone_and_only_changes_are_sent(rig, bridge):
    link = bridge.fake
    rig.feed(18.0, until=rig.clock.seconds() + 400)
    state = link.json(zone_topics(bridge)[1])
    assert state["action"] == "heating" and state["temperature"] == 18.0
    before = len(link.sent)
    rig.run_for(20)  # nothing changed: nothing sent (the loop looks every 5 s)
    assert len(link.sent) == before
    assert link.retained[bridge.topics.sensor_state("28-000000000001")] == b"18.00"


def test_home_assistant_online_again_gets_everything_again(rig, bridge):
    link = bridge.fake
    link.sent.clear()
    link.on_message("homeassistant/status", b"online", False)
    rig.settle()
    assert bridge.topics.zone_config(1) in {topic for topic, _, _ in link.sent}


def test_a_temperature_command_is_a_hold_until_the_next_change_and_switches_the_relay(rig, bridge):
    link = bridge.fake
    rig.feed(20.5, until=rig.clock.seconds() + 400)
    assert not rig.relay.on(HEAT)
    link.on_message(bridge.topics.zone_command(1, "temperature"), b"22.5", False)
    rig.settle()
    holds = [r for r in rig.hub.call("GET", "/v1/rules").body["rules"] if r["kind"] == "hold"]
    assert len(holds) == 1 and holds[0]["target"]["heat_setpoint"] == 22.5
    assert rig.relay.on(HEAT)  # the control loop ticked on the hold at once
    rig.run_for(1)
    state = link.json(zone_topics(bridge)[1])
    assert state["target"] == 22.5 and state["preset"] == "hold" and state["action"] == "heating"
    link.on_message(bridge.topics.zone_command(1, "preset"), b"none", False)
    rig.settle()
    assert [r for r in rig.hub.call("GET", "/v1/rules").body["rules"] if r["kind"] == "hold"] == []
    rig.run_for(1)
    assert link.json(zone_topics(bridge)[1])["preset"] == "none"


def test_mode_and_range_commands(rig, bridge):
    link = bridge.fake
    link.on_message(bridge.topics.zone_command(1, "mode"), b"off", False)
    rig.settle()
    rig.run_for(1)
    assert link.json(zone_topics(bridge)[1])["mode"] == "off"
    assert link.json(zone_topics(bridge)[1])["action"] == "off"
    link.on_message(bridge.topics.zone_command(1, "mode"), b"heat", False)
    link.on_message(bridge.topics.zone_command(1, "temperature_high"), b"25", False)
    rig.settle()
    link.on_message(bridge.topics.zone_command(1, "mode"), b"heat_cool", False)
    rig.settle()
    rig.run_for(1)
    state = link.json(zone_topics(bridge)[1])
    assert (state["mode"], state["target_low"], state["target_high"], state["target"]) == ("heat_cool", 20, 25, None)


@pytest.mark.parametrize("what, payload, why", [
    ("temperature", b"warm", "is not a number"),
    ("temperature", b"NaN", "not a finite number"),
    ("temperature", b"40", "heat_setpoint"),  # the API's own validation: 5..35
    ("mode", b"dry", "unknown mode"),
    ("preset", b"away", "unknown preset"),
    ("preset", b"none", "has no hold"),
    ("temperature", b"\xff", "UTF-8"),
])
def test_a_bad_command_is_logged_with_its_reason_and_changes_nothing(rig, bridge, what, payload, why, caplog_twisted):
    before = rig.hub.dump()
    link = bridge.fake
    link.on_message(bridge.topics.zone_command(1, what), payload, False)
    rig.settle()
    assert rig.hub.dump() == before
    assert any(why in line for line in caplog_twisted), caplog_twisted
    assert rig.hub.api.metrics.mqtt_commands.labels("refused")._value.get() == 1


def test_a_command_for_an_unknown_zone_or_retained_changes_nothing(rig, bridge, caplog_twisted):
    before = rig.hub.dump()
    bridge.fake.on_message(bridge.topics.zone_command(7, "temperature"), b"21", False)
    bridge.fake.on_message(bridge.topics.zone_command(1, "temperature"), b"21", True)
    rig.settle()
    assert rig.hub.dump() == before
    assert any("no zone 7" in line or "zone 7" in line for line in caplog_twisted)
    assert any("retained" in line for line in caplog_twisted)


def test_mqtt_sensor_readings_take_the_ingest_path_and_show_as_sensors(rig, bridge):
    link = bridge.fake
    link.on_message("zigbee2mqtt/living", json.dumps({"temperature": 21.3, "humidity": 40}).encode(), False)
    link.on_message("attic/sensor/temperature/state", b"50", False)
    rig.settle()
    sensors = {s["id"]: s for s in rig.hub.call("GET", "/v1/sensors").body["sensors"]}
    assert sensors["zb-living"]["last_value"] == 21.3 and sensors["zb-living"]["node_id"] == "mqtt"
    assert sensors["zb-living"]["stale"] is False
    assert sensors["esp-attic"]["last_value"] == pytest.approx(10.0)
    assert sensors["esp-attic"]["name"] == "Attic"
    rig.run_for(91)
    sensors = {s["id"]: s for s in rig.hub.call("GET", "/v1/sensors").body["sensors"]}
    assert sensors["zb-living"]["stale"] is True  # the same staleness as any sensor
    counted = rig.hub.api.metrics.readings_ingested.labels("mqtt")._value.get()
    assert counted == 2


@pytest.mark.parametrize("payload", [b"{nope", b'{"humidity": 40}', b'{"temperature": "warm"}',
                                     b'{"temperature": 85.0}', b'{"temperature": 120}', b"\xff\xfe"])
def test_a_malformed_or_invalid_sensor_message_is_logged_and_changes_nothing(rig, bridge, payload, caplog_twisted):
    before = rig.hub.dump()
    bridge.fake.on_message("zigbee2mqtt/living", payload, False)
    rig.settle()
    assert rig.hub.dump() == before
    assert any("zb-living" in line for line in caplog_twisted)


def test_a_retained_sensor_message_is_not_a_reading(rig, bridge):
    before = rig.hub.dump()
    bridge.fake.on_message("zigbee2mqtt/living", b'{"temperature": 21}', True)
    rig.settle()
    assert rig.hub.dump() == before


def test_a_deleted_zone_leaves_home_assistant(rig, bridge):
    config_topic = bridge.topics.zone_config(1)
    assert rig.hub.call("DELETE", "/v1/zones/1").status == 204
    rig.run_for(6)
    assert config_topic not in bridge.fake.retained


def test_more_mqtt_sensors_than_one_registration_carries(rig):
    many = {f"s{i:03d}": {"topic": f"many/{i}"} for i in range(70)}
    b = MqttBridge(api=rig.hub.api, clock=rig.clock, topics=Topics("rpymostat", rig.hub.hub_id),
                   make_link=lambda **callbacks: FakeLink(**callbacks), sensors=bindings(many))
    b.startService()
    rig.settle()
    b.link.on_message("many/69", b"19", False)
    rig.settle()
    sensors = {s["id"]: s for s in rig.hub.call("GET", "/v1/sensors").body["sensors"]}
    assert {f"s{i:03d}" for i in range(70)} <= set(sensors)
    assert sensors["s069"]["last_value"] == 19
    b.stopService()

"""The hub's MQTT bridge as a real process against a real Mosquitto on loopback: what Home
Assistant discovers, a command round trip, MQTT sensors, malformed payloads, the last will,
and a broker that restarts (a Mosquitto of the test's own)."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests.integration.mqttkit import MOSQUITTO, MQTT_URL, Broker, Watcher, unique_prefix
from tests.integration.procs import free_port, http, start_hub, wait_until
from tests.integrations.ha_schema import check_climate, check_sensor


def hub_env(url: str, prefix: str, sensors: dict | None = None) -> dict:
    return {"RPYMOSTAT_MQTT_URL": url, "RPYMOSTAT_MQTT_TOPIC_PREFIX": prefix,
            "RPYMOSTAT_MQTT_DISCOVERY_PREFIX": f"{prefix}-ha", "RPYMOSTAT_MQTT_SENSORS": json.dumps(sensors or {})}


def hub_id(url: str) -> str:
    return http("GET", f"{url}/v1/health")[1]["hub_id"]


@pytest.mark.skipif(not MQTT_URL, reason="RPYMOSTAT_TEST_MQTT_URL is not set (e.g. mqtt://127.0.0.1:1883)")
def test_home_assistant_sees_the_zone_commands_it_and_mqtt_sensors_report(tmp_path, procs):
    prefix = unique_prefix()
    sensors = {"zb-living": {"topic": f"{prefix}-z2m/living", "path": "temperature"}}
    watcher = Watcher(MQTT_URL, [f"{prefix}/#", f"{prefix}-ha/#"])
    try:
        proc, url, token = start_hub(tmp_path / "hub", "--no-tls", "--no-zeroconf",
                                     env=hub_env(MQTT_URL, prefix, sensors))
        procs.append(proc)
        proc.wait_for("MQTT bridge connected")
        ident = hub_id(url)
        base = f"{prefix}/{ident}"
        assert http("POST", f"{url}/v1/zones", {"name": "Living", "sensors": ["zb-living"], "default_target": {
            "mode": "heat", "heat_setpoint": 20}}, token)[0] == 201
        assert watcher.wait_for(f"{base}/status") == b"online"

        # discovery, as Home Assistant's MQTT climate and sensor platforms read it
        config = json.loads(watcher.wait_for(f"{prefix}-ha/climate/{ident}_1/config"))
        state = json.loads(watcher.wait_for(f"{base}/zone/1/state"))
        check_climate(config, state)
        check_sensor(json.loads(watcher.wait_for(f"{prefix}-ha/sensor/{ident}_zb-living/config")))

        # an MQTT sensor's reading is a sensor's reading
        watcher.publish(f"{prefix}-z2m/living", json.dumps({"temperature": 19.25, "linkquality": 120}))
        assert wait_until(lambda: {s["id"]: s for s in http("GET", f"{url}/v1/sensors", token=token)[1]["sensors"]}
                          ["zb-living"]["last_value"] == 19.25, 10)
        watcher.wait_for(f"{base}/sensor/zb-living/state", lambda p: p == b"19.25", 10)
        watcher.wait_for(f"{base}/zone/1/state", lambda p: json.loads(p)["temperature"] == 19.25, 10)

        # a command round trip: Home Assistant sets 22.5, the hub holds it and says so
        watcher.publish(config["temperature_command_topic"], "22.5")
        held = json.loads(watcher.wait_for(f"{base}/zone/1/state", lambda p: json.loads(p)["preset"] == "hold"))
        assert held["target"] == 22.5
        rules = http("GET", f"{url}/v1/rules", token=token)[1]["rules"]
        assert [r["target"]["heat_setpoint"] for r in rules if r["kind"] == "hold"] == [22.5]

        # malformed payloads: logged with the reason, nothing changes
        watcher.publish(config["temperature_command_topic"], "warm")
        proc.wait_for(r"MQTT command temperature=warm for zone 1 refused: temperature 'warm' is not a number")
        watcher.publish(f"{prefix}-z2m/living", "{not json")
        proc.wait_for(r"MQTT sensor zb-living on .*: no reading \(payload is not JSON")
        assert http("GET", f"{url}/v1/rules", token=token)[1]["rules"] == rules

        # Home Assistant restarting (online on its status topic) gets the configs again
        sent = len(watcher.payloads(f"{prefix}-ha/climate/{ident}_1/config"))
        watcher.publish(f"{prefix}-ha/status", "online")
        assert wait_until(lambda: len(watcher.payloads(f"{prefix}-ha/climate/{ident}_1/config")) > sent, 10)

        # the hub vanishing: the broker publishes its last will
        proc.stop(signal.SIGKILL)
        watcher.wait_for(f"{base}/status", lambda p: p == b"offline", 10)
    finally:
        watcher.clear_retained()
        watcher.close()


@pytest.mark.skipif(not os.path.exists(MOSQUITTO), reason=f"{MOSQUITTO} is not installed")
def test_the_bridge_comes_back_after_the_broker_restarts(tmp_path, procs):
    broker = Broker(tmp_path, free_port())
    broker.start()
    prefix = unique_prefix()
    try:
        proc, url, token = start_hub(tmp_path / "hub", "--no-tls", "--no-zeroconf", env=hub_env(broker.url, prefix))
        procs.append(proc)
        proc.wait_for("MQTT bridge connected")
        ident = hub_id(url)
        assert http("POST", f"{url}/v1/zones", {"name": "Living", "default_target": {
            "mode": "heat", "heat_setpoint": 20}}, token)[0] == 201
        broker.stop()
        proc.wait_for("MQTT bridge lost its broker")
        broker.start()  # without persistence: every retained message is gone
        watcher = Watcher(broker.url, [f"{prefix}/#", f"{prefix}-ha/#"])
        try:
            watcher.wait_for(f"{prefix}/{ident}/status", lambda p: p == b"online", 30)
            config = json.loads(watcher.wait_for(f"{prefix}-ha/climate/{ident}_1/config", timeout=30))
            assert config["unique_id"] == f"{ident}_zone_1"
            watcher.publish(config["temperature_command_topic"], "21")
            watcher.wait_for(f"{prefix}/{ident}/zone/1/state", lambda p: json.loads(p)["target"] == 21, 10)
            assert sum("MQTT bridge connected" in line for line in proc.lines) == 2
            assert proc.stop() == 0  # a hub that stops says so itself
            watcher.wait_for(f"{prefix}/{ident}/status", lambda p: p == b"offline", 10)
        finally:
            watcher.close()
    finally:
        broker.stop()


@pytest.mark.skipif(not os.path.exists(MOSQUITTO), reason=f"{MOSQUITTO} is not installed")
def test_a_broker_with_tls_and_a_password(tmp_path, procs):
    from rpymostat.runtime.tls import make_certificate

    cert_pem, key_pem = make_certificate("broker", ["localhost"], ["127.0.0.1"], time.time())
    (tmp_path / "broker.pem").write_bytes(cert_pem)
    (tmp_path / "broker.key").write_bytes(key_pem)
    broker = Broker(tmp_path, free_port(), tls=(tmp_path / "broker.pem", tmp_path / "broker.key"),
                    users={"hub": "s3cret-enough"})
    broker.start()
    prefix = unique_prefix()
    password = tmp_path / "mqtt-password"
    password.write_text("s3cret-enough\n")
    password.chmod(0o644)
    try:
        env = {**hub_env(broker.url, prefix), "RPYMOSTAT_MQTT_USERNAME": "hub",
               "RPYMOSTAT_MQTT_PASSWORD_FILE": str(password), "RPYMOSTAT_MQTT_CA_FILE": str(tmp_path / "broker.pem")}
        proc, url, _ = start_hub(tmp_path / "hub", "--no-tls", "--no-zeroconf", env=env)
        procs.append(proc)
        proc.wait_for("MQTT bridge connected")
        assert password.stat().st_mode & 0o077 == 0  # a file with a secret is kept private
        watcher = Watcher(broker.url, [f"{prefix}/#"], ca_file=tmp_path / "broker.pem",
                          credentials=("hub", "s3cret-enough"))
        try:
            watcher.wait_for(f"{prefix}/{hub_id(url)}/status", lambda p: p == b"online", 10)
        finally:
            watcher.close()
        proc.stop()

        password.write_text("wrong\n")
        proc, url, _ = start_hub(tmp_path / "hub", "--no-tls", "--no-zeroconf", env=env)
        procs.append(proc)
        proc.wait_for(r"the broker refused the connection: Not authorized; trying again")
        assert http("GET", f"{url}/v1/health")[0] == 200  # the hub runs on without its bridge
    finally:
        broker.stop()

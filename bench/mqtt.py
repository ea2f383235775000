"""The MQTT bridge under load, on loopback against the Mosquitto of RPYMOSTAT_TEST_MQTT_URL
(default mqtt://127.0.0.1:1883), with real hub and relay processes:

1. A command from MQTT (Home Assistant's temperature topic) to the simulated relay
   switching (on, then off), median over ROUNDS of each (target < 500 ms). Baselines in
   the same run: the broker's round trip alone (publish -> a subscriber has it), and the
   same holds sent as ``PUT /v1/zones/1/hold`` over HTTP.
2. 100 MQTT sensors publishing once a second each for DURATION_S (default 60): messages
   per second ingested, lost messages (sent but not stored; target 0) and the hub's CPU.
   Baseline: the same readings posted by a sensor node, one ``POST /v1/readings`` of 100
   a second.

    python bench/mqtt.py        (ROUNDS=.. DURATION_S=.. to change the defaults)

Prints figures only; nothing passes or fails. The hub and relay run 60 times faster
clocks in part 1, with the guard's shortest minimum run and off times (60 s), so that
each takes a second; at most 12 starts an hour of that clock bounds ROUNDS to 5.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rpymostat.core.timeutil import format_time  # noqa: E402
from tests.integration.mqttkit import Watcher, unique_prefix  # noqa: E402
from tests.integration.procs import ENROLLMENT_KEY, command_token, http, start_hub, start_node, wait_until  # noqa: E402

MQTT_URL = os.environ.get("RPYMOSTAT_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
ROUNDS = min(5, int(os.environ.get("ROUNDS", "5")))
DURATION_S = float(os.environ.get("DURATION_S", "60"))
SENSORS = 100
SPEED = "60"
GUARD_S = 1.3  # the minimum run and off times, 60 s on the hub's clock, and a margin


def hub_env(prefix: str, sensors: dict) -> dict:
    return {"RPYMOSTAT_MQTT_URL": MQTT_URL, "RPYMOSTAT_MQTT_TOPIC_PREFIX": prefix,
            "RPYMOSTAT_MQTT_DISCOVERY_PREFIX": f"{prefix}-ha", "RPYMOSTAT_MQTT_SENSORS": json.dumps(sensors)}


def heat_on(relay_url: str, token: str) -> bool:
    outputs = http("GET", f"{relay_url}/v1/outputs", token=token)[1]["outputs"]
    return any(o["id"] == "sim-heat" and o["state"] == "on" for o in outputs)


def until_switched(relay_url: str, token: str, on: bool, started: float, timeout: float = 10.0) -> float:
    """Seconds from ``started`` until the relay reports sim-heat ``on``."""
    assert wait_until(lambda: heat_on(relay_url, token) == on, timeout, 0.002), f"relay never switched {on}"
    return time.perf_counter() - started


def broker_round_trip(watcher: Watcher, topic: str) -> float:
    started = time.perf_counter()
    marker = f"{started}".encode()
    watcher.publish(topic, marker)
    watcher.wait_for(topic, lambda p: p == marker, 5)
    return time.perf_counter() - started


def command_latency(root: Path) -> dict:
    prefix = unique_prefix()
    sensors = {"room": {"topic": f"{prefix}-room", "path": "t"}}
    watcher = Watcher(MQTT_URL, [f"{prefix}/#", f"{prefix}-ha/#", f"{prefix}-rtt"])
    hub, url, admin = start_hub(root / "hub", "--no-tls", "--no-zeroconf", "--enrollment-key", ENROLLMENT_KEY,
                                "--speed", SPEED, env=hub_env(prefix, sensors))
    # the guard's shortest times, learned by the relay when it registers
    status, body = http("PATCH", f"{url}/v1/settings", {"min_off_s": 60, "min_run_s": 60,
                                                         "max_starts_per_hour": 12}, admin)
    assert status == 200, body
    relay = start_node("relay", root / "relay", "--listen", "127.0.0.1", "--port", "0", "--no-tls",
                       "--speed", SPEED, hub=url, zeroconf="127.0.0.1")
    stop = threading.Event()
    try:
        relay_url = relay.wait_for(r"API on (https?://[\d.]+:\d+)/", 30).group(1)
        relay.wait_for("registered with hub", 30)
        node_id = http("GET", f"{relay_url}/v1/health")[1]["node_id"]
        token = command_token(root / "hub", node_id)
        assert http("POST", f"{url}/v1/zones", {"name": "Bench", "sensors": ["room"], "outputs": {
            "heat": "sim-heat"}, "default_target": {"mode": "heat", "heat_setpoint": 10}}, admin)[0] == 201

        def room():  # a fresh 18 °C, as a sensor would send it
            while not stop.is_set():
                watcher.publish(f"{prefix}-room", json.dumps({"t": 18.0}))
                stop.wait(0.25)

        threading.Thread(target=room, daemon=True).start()
        ident = http("GET", f"{url}/v1/health")[1]["hub_id"]
        command = f"{prefix}/{ident}/zone/1/set/temperature"
        time.sleep(2.0)  # the start-up minimum off time (60 s of the hub's clock)

        def by_mqtt(setpoint: int) -> None:
            watcher.publish(command, str(setpoint))

        def by_api(setpoint: int) -> None:
            status, body = http("PUT", f"{url}/v1/zones/1/hold", {
                "target": {"mode": "heat", "heat_setpoint": setpoint}, "until": "next"}, admin)
            assert status == 200, body

        rtts: list[float] = []
        switched: dict[str, list[float]] = {"mqtt": [], "api": []}
        for _ in range(ROUNDS):
            rtts.append(broker_round_trip(watcher, f"{prefix}-rtt"))
            for way, send in (("mqtt", by_mqtt), ("api", by_api)):
                for setpoint, on in ((25, True), (10, False)):
                    started = time.perf_counter()
                    send(setpoint)
                    switched[way].append(until_switched(relay_url, token, on, started))
                    time.sleep(GUARD_S)
        return {"rtt": rtts, **switched}
    finally:
        stop.set()
        relay.stop()
        hub.stop()
        watcher.clear_retained()
        watcher.close()


def cpu_s(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def ingest_rate(root: Path) -> dict:
    prefix = unique_prefix()
    sensors = {f"s{i:03d}": {"topic": f"{prefix}-s/{i}", "path": "t"} for i in range(SENSORS)}
    watcher = Watcher(MQTT_URL, [f"{prefix}/#", f"{prefix}-ha/#"])
    hub, url, admin = start_hub(root / "hub2", "--no-tls", "--no-zeroconf", env=hub_env(prefix, sensors))
    try:
        hub.wait_for("MQTT bridge connected", 30)
        time.sleep(1.0)
        pid = hub.popen.pid
        cpu0, t0 = cpu_s(pid), time.monotonic()
        sent = 0
        while time.monotonic() - t0 < DURATION_S:
            tick = time.monotonic()
            for i in range(SENSORS):
                watcher.client.publish(f"{prefix}-s/{i}", json.dumps({"t": 20.0 + (sent % 50) / 10}), qos=1)
                sent += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))

        def stored() -> float:
            return ingested(url, admin)

        wait_until(lambda: stored() >= sent, 15, 0.2)
        elapsed = time.monotonic() - t0
        mqtt_cpu = 100 * (cpu_s(pid) - cpu0) / elapsed
        got = stored()

        # baseline: the same readings over HTTP, each of two nodes posting its 50 once a second
        nodes = {}
        for name in ("bench-a", "bench-b"):
            status, body = http("POST", f"{url}/v1/tokens", {"role": "device", "name": name, "node_id": name}, admin)
            nodes[name] = body["token"]
        per_node = SENSORS // len(nodes)
        for n, (name, device) in enumerate(nodes.items()):
            status, body = http("POST", f"{url}/v1/nodes", {"node_id": name, "kind": "sensor", "sensors": [
                {"sensor_id": f"h{n}-{i:03d}"} for i in range(per_node)]}, device)
            assert status == 200, body
        cpu1, t1 = cpu_s(pid), time.monotonic()
        posted = 0
        while time.monotonic() - t1 < DURATION_S:
            tick = time.monotonic()
            stamp = format_time(time.time())
            for n, (name, device) in enumerate(nodes.items()):
                status, body = http("POST", f"{url}/v1/readings", {"node_id": name, "readings": [
                    {"sensor_id": f"h{n}-{i:03d}", "time": stamp, "value": 20.0} for i in range(per_node)]}, device)
                posted += body["accepted"] if status == 202 else 0
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
        http_elapsed = time.monotonic() - t1
        http_cpu = 100 * (cpu_s(pid) - cpu1) / http_elapsed
        return {"sent": sent, "stored": got, "elapsed": elapsed, "cpu": mqtt_cpu,
                "posted": posted, "http_elapsed": http_elapsed, "http_cpu": http_cpu}
    finally:
        hub.stop()
        watcher.clear_retained()
        watcher.close()


def ingested(url: str, token: str) -> float:
    from urllib.request import Request, urlopen

    request = Request(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"})
    with urlopen(request, timeout=10) as response:
        text = response.read().decode()
    for line in text.splitlines():
        if line.startswith('rpymostat_readings_ingested_total{source="mqtt"}'):
            return float(line.split()[-1])
    return 0.0


def ms(values: list[float]) -> str:
    return f"median {1000 * statistics.median(values):6.1f} ms  (min {1000 * min(values):.1f}, " \
           f"max {1000 * max(values):.1f}, n={len(values)})"


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        latency = command_latency(root)
        print(f"baseline  broker round trip alone                {ms(latency['rtt'])}")
        print(f"baseline  PUT /v1/zones/1/hold -> relay switched {ms(latency['api'])}")
        print(f"mqtt      command (HA topic) -> relay switched {ms(latency['mqtt'])}   target < 500 ms",
              flush=True)
        load = ingest_rate(root)
    lost = load["sent"] - load["stored"]
    print(f"baseline  POST /v1/readings, {SENSORS} a second       {load['posted'] / load['http_elapsed']:7.1f} "
          f"readings/s  hub CPU {load['http_cpu']:5.1f} %")
    print(f"mqtt      {SENSORS} sensors at 1 msg/s for {DURATION_S:.0f} s     {load['stored'] / load['elapsed']:7.1f} "
          f"messages/s  hub CPU {load['cpu']:5.1f} %  lost {lost:.0f} of {load['sent']} (target 0)")


if __name__ == "__main__":
    main()

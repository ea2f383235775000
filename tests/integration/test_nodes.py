"""Hub, sensor node and relay node as real processes on loopback, finding each other over
mDNS with no address configured: readings flow, a hub that dies and comes back on
another port is found again with nothing lost or doubled, and a relay whose hub is gone
switches off when the lease ends."""

from __future__ import annotations

import json
import signal
import time

from rpymostat.runtime.monotonic import boot_id
from rpymostat_relay.outputs import JOURNAL_FILE
from tests.integration.procs import (
    command_token,
    http,
    relay_api_url,
    start_advertised_hub,
    start_node,
    stored_readings,
    wait_until,
)

INTERVAL = 5  # the hub's smallest report interval


def hub_up(procs, home):
    proc, url, token = start_advertised_hub(home)
    procs.append(proc)
    return proc, url, token


def test_nodes_find_the_hub_and_survive_its_restart_on_another_port(tmp_path, procs):
    home = tmp_path / "hub"
    hub, url, admin = hub_up(procs, home)
    assert http("PATCH", f"{url}/v1/settings", {"report_interval_s": INTERVAL}, admin)[0] == 200

    started = time.monotonic()
    sensor = start_node("sensor", tmp_path / "sensor")
    procs.append(sensor)
    relay = start_node("relay", tmp_path / "relay", "--listen", "127.0.0.1", "--port", "0")
    procs.append(relay)

    def sensor_values():
        sensors = http("GET", f"{url}/v1/sensors", token=admin)[1]["sensors"]
        return sensors and all(s["last_value"] is not None for s in sensors)

    assert wait_until(sensor_values, 5.0), "\n".join(sensor.lines)
    assert time.monotonic() - started < 5.0

    def both_nodes():
        nodes = http("GET", f"{url}/v1/nodes", token=admin)[1]["nodes"]
        return {n["kind"]: n for n in nodes} if len(nodes) == 2 else None

    nodes = wait_until(both_nodes, 10.0)
    assert nodes, "\n".join(relay.lines)
    relay_url = relay_api_url(relay)
    assert nodes["relay"]["url"] == relay_url + "/"
    assert sorted(nodes["relay"]["outputs"]) == ["sim-cool", "sim-fan", "sim-heat"]

    hub.stop(signal.SIGKILL)  # no goodbye: the nodes must notice by themselves
    before = len(stored_readings(home))
    time.sleep(2.5 * INTERVAL)  # the sensor keeps measuring into its queue
    hub2, url2, _ = hub_up(procs, home)
    assert url2 != url
    sensor.wait_for(r"registered with hub .* at " + url2.replace(".", r"\."), 20.0)
    relay.wait_for(r"registered with hub .* at " + url2.replace(".", r"\."), 20.0)
    # At least the ~3 cycles measured while the hub was away (one sim sensor).
    assert wait_until(lambda: len(stored_readings(home)) >= before + 3, 10.0), "\n".join(sensor.lines)
    sensor.stop()
    rows = stored_readings(home)
    assert len(rows) == len(set(rows)), "no reading is stored twice"
    for sensor_id in {s for s, _ in rows}:
        times = [t for s, t in rows if s == sensor_id]
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert max(gaps) < 1.5 * INTERVAL, f"a cycle's reading of {sensor_id} was lost: {gaps}"
        assert times[-1] - times[0] >= 3 * INTERVAL - 0.5, "the readings span the outage"
    assert sensor.popen.returncode == 0
    assert relay.stop() == 0


def test_a_relay_whose_hub_died_switches_off_when_the_lease_ends(tmp_path, procs):
    home = tmp_path / "hub"
    hub, url, admin = hub_up(procs, home)
    relay = start_node("relay", tmp_path / "relay", "--listen", "127.0.0.1", "--port", "0")
    procs.append(relay)
    relay_url = relay_api_url(relay)
    relay.wait_for(r"registered with hub", 15.0)
    node_id = http("GET", f"{relay_url}/v1/health")[1]["node_id"]
    token = command_token(home, node_id)
    assert http("PUT", f"{relay_url}/v1/outputs/sim-heat", {"state": "on", "lease_s": 30})[0] == 401

    status, body = http("PUT", f"{relay_url}/v1/outputs/sim-heat", {"state": "on", "lease_s": 5}, token)
    commanded = time.monotonic()
    assert status == 200 and body["state"] == "on", body
    assert wait_until(lambda: {o["id"]: o["state"] for o in http("GET", f"{url}/v1/outputs", token=admin)[1]
                               ["outputs"]}.get("sim-heat") == "on", 5.0), "the state report reached the hub"
    hub.stop(signal.SIGKILL)

    def heat_state():
        outputs = http("GET", f"{relay_url}/v1/outputs", token=token)[1]["outputs"]
        return {o["id"]: o["state"] for o in outputs}["sim-heat"]

    assert heat_state() == "on"
    assert wait_until(lambda: heat_state() == "off", 10.0, 0.05)
    assert 4.8 <= time.monotonic() - commanded <= 6.5
    relay.wait_for(r"lease of sim-heat ran out")
    assert relay.stop() == 0
    assert any("rpymostat-relay stopped" in line for line in relay.lines)
    # the journal keeps the off on the machine's monotonic clock, the one this process reads
    off = json.loads((tmp_path / "relay" / JOURNAL_FILE).read_text())["sim-heat"]
    assert off["boot_id"] == boot_id() and 4.8 <= off["monotonic"] - commanded <= 6.5, off

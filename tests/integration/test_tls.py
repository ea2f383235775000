"""HTTPS end to end with real processes on loopback: the hub serves its self-signed
certificate and advertises its fingerprint; a sensor node (found over mDNS) and a relay
node (``--hub https://...``, trust on first use) pin it when they enroll; readings flow and
the hub commands the relay over HTTPS. Then both certificates are replaced (files deleted,
processes restarted): the nodes refuse the hub with one clear line and post nothing, and
the hub does not command the relay that now presents another certificate. The remedy the
line names (``--hub-fingerprint``) brings the sensor back."""

from __future__ import annotations

import json
import re
import secrets
import time

from tests.integration.procs import (
    PINS,
    fingerprint_in_log,
    free_port,
    http,
    relay_api_url,
    start_advertised_hub,
    start_node,
    stored_readings,
    wait_until,
)

SPEED = 30  # the guard's start-up minimum off time (60 s) passes in 2 s


def pinned(data_dir) -> str:
    return json.loads((data_dir / "hub.json").read_text())["hub_fingerprint"]


def replace_certificate(data_dir) -> None:
    for name in ("tls-cert.pem", "tls-key.pem"):
        (data_dir / name).unlink()


def test_nodes_pin_the_hub_and_refuse_it_with_another_certificate(tmp_path, procs):
    home, hub_port, relay_port = tmp_path / "hub", free_port(), free_port()
    clock = ("--speed", str(SPEED), "--epoch", f"{time.time():.3f}")
    system = ("--system", f"tls-{secrets.token_hex(3)}")  # not another test's hub on this loopback

    def hub_up():
        hub, url, admin = start_advertised_hub(home, *system, *clock, port=hub_port)
        procs.append(hub)
        return hub, url, admin

    def relay_up():
        relay = start_node("relay", tmp_path / "relay", "--listen", "127.0.0.1", "--port", str(relay_port),
                           *clock, hub=url)
        procs.append(relay)
        return relay, relay_api_url(relay)

    hub, url, admin = hub_up()
    assert url.startswith("https://")
    old = PINS[url[len("https://"):].rstrip("/")]
    sensor = start_node("sensor", tmp_path / "sensor", *system, *clock)
    procs.append(sensor)
    relay, relay_url = relay_up()
    for node in (sensor, relay):
        node.wait_for(rf"pinned the hub's TLS certificate sha256 {old}", 20)
        node.wait_for(r"registered with hub", 20)
    assert pinned(tmp_path / "sensor") == pinned(tmp_path / "relay") == old
    node = http("GET", f"{url}/v1/nodes", token=admin)[1]["nodes"]
    relay_node = next(n for n in node if n["kind"] == "relay")
    assert relay_node["url"] == relay_url + "/" and relay_url.startswith("https://")
    assert relay_node["tls_fingerprint"] == fingerprint_in_log(relay)

    # Readings flow over HTTPS, and the hub commands the relay over HTTPS.
    assert wait_until(lambda: stored_readings(home), 10), "\n".join(sensor.lines)
    zone = {"name": "Living", "sensors": ["sim-0"], "outputs": {"heat": "sim-heat"},
            "default_target": {"mode": "heat", "heat_setpoint": 35}}
    assert http("POST", f"{url}/v1/zones", zone, admin)[0] == 201
    relay.wait_for(r"sim-heat on for \d+ s \(command\)", 30)

    # Both certificates are replaced.
    assert hub.stop() == 0 and relay.stop() == 0
    replace_certificate(home)
    replace_certificate(tmp_path / "relay")
    before = len(stored_readings(home))
    hub, url2, _ = hub_up()
    new = PINS[url2[len("https://"):].rstrip("/")]
    assert url2 == url and new != old
    relay, _ = relay_up()
    refusal = rf"the hub at {re.escape(url)} presented TLS certificate sha256 {new}, not {old} as pinned: " \
              rf"not talking to it\. .*--hub-fingerprint {new}"
    sensor.wait_for(refusal, 30)
    relay.wait_for(refusal, 30)

    def certificate_alarm():
        alarms = http("GET", f"{url}/v1/zones/1/state", token=admin)[1]["alarms"]
        return [a for a in alarms if a["code"] == "relay_certificate_changed"]

    alarm = wait_until(certificate_alarm, 20)
    assert alarm, "\n".join(hub.lines[-20:])
    assert fingerprint_in_log(relay) in alarm[0]["message"]
    time.sleep(3 * 30 / SPEED)  # three report intervals
    assert len(stored_readings(home)) == before, "the sensor posted nothing to the changed hub"
    assert not [line for line in relay.lines if "(command)" in line], "the relay heard no command"
    assert sum(bool(re.search(refusal, line)) for line in sensor.lines) == 1, "said once, not at every retry"

    # What the line says to do: trust the new certificate explicitly.
    assert sensor.stop() == 0
    sensor = start_node("sensor", tmp_path / "sensor", *system, *clock, "--hub-fingerprint", new)
    procs.append(sensor)
    sensor.wait_for(rf"pinned the hub's TLS certificate sha256 {new}", 20)
    assert wait_until(lambda: len(stored_readings(home)) > before, 10), "\n".join(sensor.lines)
    assert pinned(tmp_path / "sensor") == new

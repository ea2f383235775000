"""Three hosts in network namespaces on a bridge (root only): hub, sensor node and relay
node find each other over mDNS across "machines" and speak HTTPS (each pins the other's
certificate), and a relay cut off from the network switches its output off when the lease
ends.

Addresses exist only inside the namespaces this test creates; the bridge has none. The
namespaces, veths and bridge are removed afterwards, whatever happened."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time

import pytest

from tests.integration.procs import (
    BIN,
    ENROLLMENT_KEY,
    Proc,
    admin_token,
    command_token,
    fingerprint_in_log,
    start_node,
    wait_until,
)

SUBNET = "10.231.0"
HOSTS = {"hub": 1, "sensor": 2, "relay": 3}


def _ip_netns_works() -> str | None:
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    try:
        subprocess.run(["ip", "netns", "list"], check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"ip netns is unavailable: {exc}"
    return None


pytestmark = pytest.mark.skipif(_ip_netns_works() is not None, reason=str(_ip_netns_works()))


def ip(*args: str, check: bool = True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True, timeout=10)


class Lan:
    """A bridge and one namespace per host, each with a veth into the bridge."""

    def __init__(self):
        tag = secrets.token_hex(3)
        self.bridge = f"rpbr{tag}"
        self.ns = {host: f"rpymostat-{host}-{tag}" for host in HOSTS}
        self.veth = {host: f"rp{host[0]}{tag}" for host in HOSTS}

    def up(self):
        ip("link", "add", self.bridge, "type", "bridge")
        ip("link", "set", self.bridge, "up")
        for host, number in HOSTS.items():
            ns, veth = self.ns[host], self.veth[host]
            ip("netns", "add", ns)
            ip("link", "add", veth, "type", "veth", "peer", "name", veth + "b")
            ip("link", "set", veth, "netns", ns)
            ip("link", "set", veth + "b", "master", self.bridge)
            ip("link", "set", veth + "b", "up")
            ip("netns", "exec", ns, "ip", "addr", "add", f"{SUBNET}.{number}/24", "dev", veth)
            ip("netns", "exec", ns, "ip", "link", "set", veth, "up")
            ip("netns", "exec", ns, "ip", "link", "set", "lo", "up")

    def down(self):
        for host in HOSTS:
            ip("netns", "del", self.ns[host], check=False)
            ip("link", "del", self.veth[host] + "b", check=False)
        ip("link", "del", self.bridge, check=False)

    def addr(self, host: str) -> str:
        return f"{SUBNET}.{HOSTS[host]}"

    def exec(self, host: str) -> tuple[str, ...]:
        return ("ip", "netns", "exec", self.ns[host])

    def http(self, host: str, method: str, url: str, body=None, token=None, pin=None):
        """An HTTP call made from inside ``host``'s namespace; https to a certificate ``pin``."""
        code = ("import json,sys; from tests.integration.procs import http; "
                "a=json.loads(sys.argv[1]); print(json.dumps(http(*a)))")
        run = subprocess.run([*self.exec(host), sys.executable, "-c", code,
                              json.dumps([method, url, body, token, 10.0, pin])],
                             capture_output=True, text=True, timeout=30, cwd=os.getcwd())
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)


@pytest.fixture
def lan():
    lan = Lan()
    procs: list[Proc] = []
    try:
        lan.up()
        yield lan, procs
    finally:
        for proc in procs:
            if proc.popen.poll() is None:
                proc.stop(signal.SIGKILL)
        lan.down()
        assert not any(ns in ip("netns", "list").stdout for ns in lan.ns.values())


def test_discovery_across_hosts_and_a_cut_off_relay_switches_off(lan, tmp_path):
    lan, procs = lan
    home = tmp_path / "hub"
    hub = Proc([*lan.exec("hub"), str(BIN / "rpymostat"), "--home", str(home), "hub",
                "--listen", lan.addr("hub"), "--enrollment-key", ENROLLMENT_KEY])
    procs.append(hub)
    hub.wait_for(r"advertised .* on \['10\.231\.0\.1'\]")
    admin = admin_token(hub, 10)
    hub_pin = fingerprint_in_log(hub)
    url = f"https://{lan.addr('hub')}:8573"
    assert lan.http("hub", "PATCH", f"{url}/v1/settings", {"report_interval_s": 5}, admin, hub_pin)[0] == 200

    sensor = start_node("sensor", tmp_path / "sensor", prefix=lan.exec("sensor"), zeroconf=lan.addr("sensor"))
    procs.append(sensor)
    relay = start_node("relay", tmp_path / "relay", prefix=lan.exec("relay"), zeroconf=lan.addr("relay"))
    procs.append(relay)
    sensor.wait_for(rf"registered with hub .* at {url}", 20)
    relay.wait_for(rf"registered with hub .* at {url}", 20)

    def registered():
        nodes = lan.http("hub", "GET", f"{url}/v1/nodes", None, admin, hub_pin)[1]["nodes"]
        sensors = lan.http("hub", "GET", f"{url}/v1/sensors", None, admin, hub_pin)[1]["sensors"]
        if len(nodes) == 2 and sensors and sensors[0]["last_value"] is not None:
            return {n["kind"]: n for n in nodes}
        return None

    nodes = wait_until(registered, 10, 0.5)
    assert nodes, "\n".join(sensor.lines + relay.lines)
    assert nodes["relay"]["url"] == f"https://{lan.addr('relay')}:8574/"
    assert nodes["relay"]["tls_fingerprint"] == fingerprint_in_log(relay)
    assert nodes["sensor"]["address"] == lan.addr("sensor")
    for node in (sensor, relay):
        node.wait_for(rf"pinned the hub's TLS certificate sha256 {hub_pin}")

    relay_url = nodes["relay"]["url"].rstrip("/")
    token = command_token(home, nodes["relay"]["id"])
    status, body = lan.http("hub", "PUT", f"{relay_url}/v1/outputs/sim-heat", {"state": "on", "lease_s": 5},
                            token, nodes["relay"]["tls_fingerprint"])
    commanded = time.monotonic()
    assert status == 200 and body["state"] == "on", body
    ip("link", "set", lan.veth["relay"] + "b", "down")  # the relay's cable is pulled
    relay.wait_for(r"lease of sim-heat ran out", 10)
    assert 4.5 <= time.monotonic() - commanded <= 8.0
    relay.wait_for(r"sim-heat off \(lease_expired\)", 2)
    assert relay.stop() == 0
    assert sensor.stop() == 0
    assert hub.stop() == 0

"""``rpymostat demo``: the whole system on this machine with no hardware.

Starts the hub (SQLite in the home dir), a simulated sensor node and a simulated relay
node as separate processes that find the hub over mDNS on loopback, all sharing one
simulated house and one clock speed; seeds a zone, its sensors and outputs and a weekly
schedule; prints the URL and an admin token; and on Ctrl-C stops everything, outputs off.
Everything stays on loopback, in plain HTTP (``--no-tls``), so that the curl line it
prints works as it is.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from rpymostat.core.settings import system_timezone
from rpymostat.hub.tokens import key_weakness, new_enrollment_key
from rpymostat.runtime.private import write_private

BIN = Path(sys.executable).parent
ZONE = "Home"

SCHEDULE = [
    {"name": "Weekday mornings", "kind": "recurring", "cron": "0 6 * * 1-5", "duration": "PT2H30M",
     "target": {"mode": "heat", "heat_setpoint": 21.0, "sensors": [{"sensor_id": "sim-living"}]}},
    {"name": "Weekend days", "kind": "recurring", "cron": "0 8 * * 6,0", "duration": "PT14H",
     "target": {"mode": "heat", "heat_setpoint": 21.0, "sensors": [{"sensor_id": "sim-living"}]}},
    {"name": "Evenings", "kind": "recurring", "cron": "0 17 * * 1-5", "duration": "PT5H",
     "target": {"mode": "heat", "heat_setpoint": 21.0, "sensors": [{"sensor_id": "sim-living"}]}},
    {"name": "Nights", "kind": "recurring", "cron": "0 22 * * *", "duration": "PT8H",
     "target": {"mode": "heat", "heat_setpoint": 18.5, "sensors": [{"sensor_id": "sim-bedroom"}]}},
]
DEFAULT_TARGET = {"mode": "heat", "heat_setpoint": 17.0,
                  "sensors": [{"sensor_id": "sim-living"}, {"sensor_id": "sim-bedroom"}],
                  "aggregation": "mean"}


class DemoError(RuntimeError):
    pass


class Child:
    """A process of the demo whose output is prefixed and echoed, and searchable."""

    def __init__(self, label: str, args: list[str], echo: bool):
        self.label = label
        self.lines: list[str] = []
        self._seen = threading.Condition()
        self.popen = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, text=True, bufsize=1)
        self._echo = echo
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.popen.stdout:
            line = line.rstrip("\n")
            with self._seen:
                self.lines.append(line)
                self._seen.notify_all()
            if self._echo:
                print(f"[{self.label}] {line}", flush=True)
        with self._seen:
            self._seen.notify_all()

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        compiled = re.compile(pattern)
        deadline = time.monotonic() + timeout
        checked = 0
        with self._seen:
            while True:
                for line in self.lines[checked:]:
                    match = compiled.search(line)
                    if match:
                        return match
                checked = len(self.lines)
                if self.popen.poll() is not None:
                    raise DemoError(f"{self.label} exited ({self.popen.returncode}):\n"
                                    + "\n".join(self.lines[-20:]))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DemoError(f"{self.label} did not print {pattern!r} in {timeout:g} s")
                self._seen.wait(min(remaining, 0.5))

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def api(url: str, method: str, path: str, token: str, body=None):
    request = urllib.request.Request(url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise DemoError(f"{method} {path}: {error.code} {error.read().decode(errors='replace')}") from None
    return json.loads(raw) if raw else None


def seed(url: str, token: str) -> int:
    """The demo zone with its sensors, outputs and weekly schedule; kept if it exists."""
    zones = api(url, "GET", "/v1/zones", token)["zones"]
    existing = [z for z in zones if z["name"] == ZONE]
    if existing:
        return existing[0]["id"]
    api(url, "PATCH", "/v1/settings", token, {"timezone": system_timezone() or "UTC"})
    zone = api(url, "POST", "/v1/zones", token, {
        "name": ZONE, "sensors": ["sim-living", "sim-bedroom"],
        "outputs": {"heat": "sim-heat", "cool": "sim-cool", "fan": "sim-fan"},
        "default_target": DEFAULT_TARGET})
    api(url, "PATCH", "/v1/sensors/sim-living", token, {"alias": "Living room"})
    api(url, "PATCH", "/v1/sensors/sim-bedroom", token, {"alias": "Bedroom"})
    api(url, "PATCH", "/v1/sensors/sim-outdoor", token, {"alias": "Outdoors"})
    for rule in SCHEDULE:
        api(url, "POST", "/v1/rules", token, {"zone_id": zone["id"], **rule})
    return zone["id"]


def wait_for_nodes(url: str, token: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        nodes = api(url, "GET", "/v1/nodes", token)["nodes"]
        outputs = {o for n in nodes for o in n["outputs"]}
        sensors = {s for n in nodes for s in n["sensors"]}
        if {"sim-heat", "sim-cool", "sim-fan"} <= outputs and {"sim-living", "sim-bedroom"} <= sensors:
            return
        time.sleep(0.2)
    raise DemoError(f"the simulated nodes did not register with the hub within {timeout:g} s")


def sign_in_line(url: str, home: Path) -> str:
    """The web UI's one-time sign-in link, when the hub serves the UI (``make webui`` built it)."""
    try:
        with urllib.request.urlopen(url + "/", timeout=10) as response:
            served = response.headers.get_content_type() == "text/html"
    except urllib.error.URLError:
        served = False
    if not served:
        return "  web UI:       not built (make webui needs npm)\n"
    link = subprocess.run([str(BIN / "rpymostat"), "--home", str(home / "hub"), "login-link", "--url", url],
                          capture_output=True, text=True, check=True).stdout.strip()
    return (f"  web UI:       {link}\n"
            f"                (signs one browser in; `rpymostat --home {home / 'hub'} login-link` makes another)\n")


def run_demo(home: Path | None, port: int, speed: float, weather: str, echo: bool = True,
             stop: threading.Event | None = None) -> int:
    temporary = home is None
    home = Path(tempfile.mkdtemp(prefix="rpymostat-demo-")) if temporary else home
    home.mkdir(parents=True, exist_ok=True)
    stop = stop or threading.Event()
    key_file = home / "enrollment-key"
    if not key_file.exists() or key_weakness(key_file.read_text().strip()):
        write_private(key_file, new_enrollment_key())
    key = key_file.read_text().strip()
    system = f"demo-{secrets.token_hex(3)}"
    epoch = time.time()
    # A faster run leaves readings and switches stamped ahead of real time; the next run in
    # the same home continues from where that clock stopped, so time never runs backwards.
    clock_file = home / "clock"
    start = max(epoch, float(clock_file.read_text()) if clock_file.exists() else epoch)
    clock = ["--speed", str(speed), "--epoch", f"{epoch:.3f}", "--clock-start", f"{start:.3f}"]
    children: list[Child] = []

    def on_signal(signum, frame):
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)} \
        if threading.current_thread() is threading.main_thread() else {}
    try:
        token = subprocess.run([str(BIN / "rpymostat"), "--home", str(home / "hub"), "token", "create",
                                "--role", "admin", "--name", "demo"], capture_output=True, text=True,
                               check=True).stdout.strip()
        hub = Child("hub", [str(BIN / "rpymostat"), "--home", str(home / "hub"), "hub", "--port", str(port),
                            "--listen", "127.0.0.1", "--no-tls", "--enrollment-key", key, "--system", system,
                            *clock],
                    echo)
        children.append(hub)
        url = hub.wait_for(r"listening on (http://127\.0\.0\.1:\d+)/", 30).group(1)
        common = ["--enrollment-key", key, "--system", system, "--zeroconf-interface", "127.0.0.1",
                  "--no-tls", "--driver", "sim", *clock]
        house = str(home / "house")
        children.append(Child("relay", [str(BIN / "rpymostat-relay"), "--data-dir", str(home / "relay"),
                                        "--listen", "127.0.0.1", "--port", "0", *common,
                                        "--driver-settings", json.dumps({"house_dir": house})], echo))
        children.append(Child("sensor", [str(BIN / "rpymostat-sensor"), "--data-dir", str(home / "sensor"),
                                         *common, "--driver-settings",
                                         json.dumps({"house": {"dir": house, "weather": weather}})], echo))
        wait_for_nodes(url, token, 60)
        zone_id = seed(url, token)
        print(f"\nRPyMostat demo is running (speed ×{speed:g}, data in {home})\n"
              + sign_in_line(url, home) +
              f"  hub API:      {url}/v1/status\n"
              f"  zone state:   {url}/v1/zones/{zone_id}/state\n"
              f"  admin token:  {token}\n"
              f"  try:          curl -H 'Authorization: Bearer {token}' {url}/v1/zones/{zone_id}/state\n"
              f"Press Ctrl-C to stop.\n", flush=True)
        while not stop.wait(0.5):
            for child in children:
                if child.popen.poll() is not None:
                    raise DemoError(f"{child.label} stopped unexpectedly ({child.popen.returncode})")
        return 0
    except DemoError as error:
        print(f"rpymostat demo: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        for child in reversed(children):
            child.stop()
        clock_file.write_text(f"{start + (time.time() - epoch) * speed:.3f}")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if temporary:
            shutil.rmtree(home, ignore_errors=True)

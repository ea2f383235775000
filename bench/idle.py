"""The cost of a quiet day: the hub's CPU time and memory with a house's worth of sensors.

Runs a real hub (`rpymostat hub --no-tls`, SQLite in a temporary home) with its clock
`--speed` times faster, and feeds it as five sensor nodes with two sensors each would:
every node posts its two readings every 30 s of hub time. Three zones use nine of the
ten sensors, so the control loop decides for each on every tick. First, as the baseline
in the same run, the same hub idles for an hour of hub time with nothing registered.
Prints the hub's CPU seconds (user + system) per hub hour and its RSS, hour by hour.

At a speed factor the per-request and per-tick work is counted per hub hour as it would
be live, while the hub's fixed real-time costs (an idle reactor, token reloads) are
counted `speed` times less. Targets: at most 10 CPU s per hour, RSS at most 60 MB and
flat from hour to hour. Prints figures; never passes or fails on them.

    python bench/idle.py [--hours 3] [--speed 60]
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from api import call  # bench/api.py, beside this script

BIN = Path(sys.executable).parent
NODES = 5
SENSORS_PER_NODE = 2
REPORT_S = 30.0
HOUR = 3600.0


def start_hub(home: Path, speed: float, epoch: float) -> tuple[subprocess.Popen, str, str]:
    proc = subprocess.Popen([str(BIN / "rpymostat"), "--home", str(home), "hub", "--port", "0",
                             "--listen", "127.0.0.1", "--no-zeroconf", "--no-tls", "--speed", f"{speed:g}",
                             "--epoch", f"{epoch:.3f}", "--clock-start", f"{epoch:.3f}"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        found = re.search(r"listening on (http://\S+?)/?$", line.strip())
        if found:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            admin = (home / "admin-token").read_text().strip()  # written by the first start
            return proc, found.group(1).rstrip("/"), admin
    raise SystemExit("the hub did not start")


def furnish(url: str, admin: str) -> dict[str, tuple[str, list[str]]]:
    """Five sensor nodes of two sensors each, three zones of three sensors; each node's
    token and sensors."""
    nodes = {}
    for n in range(NODES):
        node_id = f"idle-node-{n}"
        token = call(url, "POST", "/v1/tokens", {"role": "device", "name": node_id, "node_id": node_id},
                     admin)["token"]
        sensors = [f"28-{n * SENSORS_PER_NODE + i:012x}" for i in range(SENSORS_PER_NODE)]
        call(url, "POST", "/v1/nodes", {"node_id": node_id, "kind": "sensor",
                                        "sensors": [{"sensor_id": s} for s in sensors]}, token)
        nodes[node_id] = (token, sensors)
    every = [s for _, sensors in nodes.values() for s in sensors]
    for z, name in enumerate(("Living", "Bedroom", "Office")):
        call(url, "POST", "/v1/zones", {"name": name, "sensors": every[z * 3:z * 3 + 3],
                                        "default_target": {"mode": "heat", "heat_setpoint": 20}}, admin)
    return nodes


def hub_time(epoch: float, speed: float) -> float:
    return epoch + (time.time() - epoch) * speed


def run(proc: subprocess.Popen, url: str, epoch: float, speed: float, hours: float, nodes: dict,
        label: str) -> list[tuple[float, float]]:
    """(CPU seconds, RSS MB) for each hub hour, posting readings as the nodes would."""
    hub = psutil.Process(proc.pid)
    rnd = random.Random(1)
    values = {s: 20.0 for _, sensors in nodes.values() for s in sensors}
    began = hub_time(epoch, speed)
    next_report, next_hour = began, began + HOUR
    cpu = sum(hub.cpu_times()[:2])
    figures = []
    while len(figures) < hours:
        now = hub_time(epoch, speed)
        if now >= next_report:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 1))
            for node_id, (token, sensors) in nodes.items():
                readings = []
                for sensor in sensors:
                    values[sensor] = round(values[sensor] + rnd.uniform(-0.1, 0.1), 2)
                    readings.append({"sensor_id": sensor, "time": stamp, "value": values[sensor]})
                call(url, "POST", "/v1/readings", {"node_id": node_id, "readings": readings}, token)
            next_report += REPORT_S
        if now >= next_hour:
            spent = sum(hub.cpu_times()[:2])
            figures.append((spent - cpu, hub.memory_info().rss / 2**20))
            cpu = spent
            next_hour += HOUR
            print(f"{label} hour {len(figures)}: {figures[-1][0]:6.2f} CPU s, RSS {figures[-1][1]:5.1f} MB",
                  flush=True)
        time.sleep(max(0.0, min(next_report, next_hour) - hub_time(epoch, speed)) / speed)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=int, default=3, help="hub hours with the house running")
    parser.add_argument("--speed", type=float, default=60, help="how much faster the hub's clock runs")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="rpymostat-idle-"))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in psutil.getloadavg())} "
          f"({psutil.cpu_count()} CPUs); speed {args.speed:g}x", flush=True)
    epoch = time.time()
    proc, url, admin = start_hub(home, args.speed, epoch)
    try:
        empty = run(proc, url, epoch, args.speed, 1, {}, "empty hub")
        nodes = furnish(url, admin)
        house = run(proc, url, epoch, args.speed, args.hours, nodes, "house")
    finally:
        proc.terminate()
        proc.wait()
    per_hour = sum(c for c, _ in house) / len(house)
    rss = [r for _, r in house]
    print(f"\nbaseline (the same hub, nothing registered): {empty[0][0]:.2f} CPU s per hub hour, "
          f"RSS {empty[0][1]:.1f} MB")
    print(f"house ({NODES * SENSORS_PER_NODE} sensors every {REPORT_S:g} s, 3 zones): {per_hour:.2f} CPU s per "
          f"hub hour (target <= 10), RSS at end {rss[-1]:.1f} MB (target <= 60), from hour 1 to "
          f"{len(rss)}: {rss[-1] - rss[0]:+.1f} MB")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in psutil.getloadavg())}")


if __name__ == "__main__":
    main()

"""Node daemons' footprint: idle RSS of rpymostat-sensor and rpymostat-relay (target
≤ 40 MB on a Pi) and the time from start to the first reading the hub accepted, against a
real hub on loopback. Two baselines are measured in the same run: a bare ``python -c``
process, and the stack's floor (bench/stack_floor.py: the asyncio reactor, zeroconf, treq
and twisted.web with nothing of RPyMostat).

    python bench/nodes.py

Prints figures only; nothing passes or fails.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.procs import ENROLLMENT_KEY, Proc, http, start_hub, start_node, wait_until  # noqa: E402

IDLE_S = 3.0


def rss_mb(proc: Proc) -> float:
    return psutil.Process(proc.popen.pid).memory_info().rss / 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        baseline = Proc([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"])
        baseline.wait_for("up")
        time.sleep(0.5)
        base = rss_mb(baseline)
        baseline.stop()
        floor_proc = Proc([sys.executable, str(Path(__file__).parent / "stack_floor.py")])
        floor_proc.wait_for("up")
        time.sleep(IDLE_S)
        floor = rss_mb(floor_proc)
        floor_proc.stop()

        hub, url, admin = start_hub(root / "hub", "--enrollment-key", ENROLLMENT_KEY)
        try:
            hub.wait_for(r"advertised .* port \d+")
            started = time.monotonic()
            sensor = start_node("sensor", root / "sensor")

            def first_reading():
                sensors = http("GET", f"{url}/v1/sensors", token=admin)[1]["sensors"]
                return any(s["last_value"] is not None for s in sensors)

            assert wait_until(first_reading, 30, 0.02), "\n".join(sensor.lines)
            to_first = time.monotonic() - started
            relay_started = time.monotonic()
            relay = start_node("relay", root / "relay", "--listen", "127.0.0.1", "--port", "0")
            relay.wait_for("registered with hub", 30)
            relay_ready = time.monotonic() - relay_started
            time.sleep(IDLE_S)
            sensor_rss, relay_rss, hub_rss = rss_mb(sensor), rss_mb(relay), rss_mb(hub)
            sensor.stop()
            relay.stop()
        finally:
            hub.stop()

    print(f"baseline  bare python -c               RSS {base:6.1f} MB")
    print(f"baseline  reactor+zeroconf+treq, idle   RSS {floor:6.1f} MB  (the floor of the node stack)")
    print(f"sensor    rpymostat-sensor idle         RSS {sensor_rss:6.1f} MB  (+{sensor_rss - base:.1f} over baseline)")
    print(f"relay     rpymostat-relay idle          RSS {relay_rss:6.1f} MB  (+{relay_rss - base:.1f} over baseline)")
    print(f"hub       rpymostat hub (for scale)     RSS {hub_rss:6.1f} MB")
    print(f"sensor    start -> first accepted reading  {to_first:5.2f} s (mDNS discovery + enroll + register)")
    print(f"relay     start -> registered with hub     {relay_ready:5.2f} s")
    print("target: node idle RSS <= 40 MB")


if __name__ == "__main__":
    main()

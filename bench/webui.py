"""The web UI's first load: bytes over the wire (gzip) and the time until the zones
screen shows a temperature, in Debian's Chromium against a real hub on loopback.

The baseline, measured in the same run by the same browser: loading the hub's
``GET /v1/health`` (one tiny JSON answer), the least a page of this hub can cost. The
targets of issue 15: at most 150 KB and 1 s. Prints figures; never passes or fails on them.

    python bench/webui.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.webui.browser import ARGS, CHROMIUM  # noqa: E402

BIN = Path(sys.executable).parent


def start_hub(home: Path) -> tuple[subprocess.Popen, str, str]:
    proc = subprocess.Popen([str(BIN / "rpymostat"), "--home", str(home), "hub", "--port", "0", "--listen",
                             "127.0.0.1", "--no-tls", "--no-zeroconf"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    token = None
    for line in proc.stdout:
        found = re.search(r"Admin token \(shown once, keep it safe\): (\S+)", line)
        token = found.group(1) if found else token
        found = re.search(r"listening on (http://\S+?)/?$", line.strip())
        if found:
            import threading

            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, found.group(1).rstrip("/"), token
    raise SystemExit("the hub did not start")


def call(url: str, method: str, path: str, token: str, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, method=method, data=data,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def seed(home: Path, url: str, admin: str) -> None:
    device = subprocess.run([str(BIN / "rpymostat"), "--home", str(home), "token", "create", "--role", "device",
                             "--node", "hall"], capture_output=True, text=True, check=True).stdout.strip()
    sensors = [f"s-{i}" for i in range(4)]
    call(url, "POST", "/v1/nodes", device,
         {"node_id": "hall", "kind": "sensor", "sensors": [{"sensor_id": s} for s in sensors]})
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    call(url, "POST", "/v1/readings", device, {"node_id": "hall", "readings": [
        {"sensor_id": s, "time": now, "value": 20.0 + i / 10} for i, s in enumerate(sensors)]})
    for i in range(2):
        call(url, "POST", "/v1/zones", admin, {"name": f"Zone {i + 1}", "sensors": sensors[2 * i:2 * i + 2],
                                              "default_target": {"mode": "heat", "heat_setpoint": 19}})


def measure(url: str, admin: str, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    results = {"load_s": [], "baseline_s": [], "bytes": None, "static_bytes": None}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 390, "height": 844})
            context.add_init_script(f"localStorage.setItem('rpymostat.token', {json.dumps(admin)})")
            page = context.new_page()
            sizes: list[tuple[str, dict]] = []
            page.on("requestfinished", lambda request, sizes=sizes: sizes.append((request.url, request.sizes())))
            started = time.perf_counter()
            page.goto(url + "/#/zones")
            page.wait_for_function("() => /\\d °C/.test(document.querySelector('.zone .temp')?.textContent || '')")
            results["load_s"].append(time.perf_counter() - started)
            page.wait_for_timeout(200)
            total = sum(s["responseBodySize"] + s["responseHeadersSize"] for _, s in sizes)
            static = sum(s["responseBodySize"] + s["responseHeadersSize"] for u, s in sizes if "/v1/" not in u)
            results["bytes"], results["static_bytes"] = total, static
            context.close()
            context = browser.new_context()
            page = context.new_page()
            started = time.perf_counter()
            page.goto(url + "/v1/health")
            results["baseline_s"].append(time.perf_counter() - started)
            context.close()
        browser.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from tests.webui.browser import why_not

    missing = why_not()
    if missing:
        print(f"bench/webui.py: not run: {missing}")
        return 0
    with tempfile.TemporaryDirectory() as home:
        proc, url, admin = start_hub(Path(home))
        try:
            seed(Path(home), url, admin)
            found = measure(url, admin, args.runs)
        finally:
            proc.terminate()
            proc.wait(20)
    load = statistics.median(found["load_s"])
    base = statistics.median(found["baseline_s"])
    print(f"web UI first load, {args.runs} runs, Chromium on loopback, a phone-sized window:")
    print(f"  transferred (gzip, with headers): {found['bytes'] / 1024:.1f} KB in all, "
          f"{found['static_bytes'] / 1024:.1f} KB of it the app's files (target ≤ 150 KB)")
    print(f"  until the zones screen shows a temperature: median {load * 1000:.0f} ms, "
          f"worst {max(found['load_s']) * 1000:.0f} ms (target ≤ 1000 ms)")
    print(f"  baseline, GET /v1/health in the same browser: median {base * 1000:.0f} ms "
          f"(the UI costs {load / base:.1f}× that)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

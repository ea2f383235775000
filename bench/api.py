"""Hub API throughput and latency, idle memory and start-up time.

Runs a real hub (`rpymostat hub --no-tls`, SQLite in a temporary home) furnished with
three zones, eight sensors and four rules, and, as the baseline in the same run, a bare
twisted.web resource (bench/bare_web.py) that answers the bytes the hub answered for each
read route and, for readings, parses the same JSON and inserts into SQLite with one
transaction per request. Both serve plain HTTP on loopback and are driven the same
way. (The hub on HTTPS, its default, also loads pyOpenSSL: about 13 MB more.) The load
comes from wrk (a C load generator: `apt-get install wrk`) when it is installed, else
from Python client processes, which on a 2-core machine compete with the servers for CPU
and flatten the difference. Prints figures and the load average; never passes or fails on them.

    python bench/api.py [--clients 8] [--seconds 5] [--python-clients]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent


def start(args: list[str]) -> tuple[subprocess.Popen, str, list[str]]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        match = re.search(r"listening on (http://\S+?)/?$", line.strip())
        if match:
            return proc, match.group(1).rstrip("/"), lines
    raise SystemExit("server did not start:\n" + "".join(lines))


def drain(proc):
    """Keep reading the server's output so it never blocks on a full pipe."""
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()


def call(url, method, path, body=None, token=None):
    request = urllib.request.Request(url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def client(url, method, path, bodies, token, seconds, out):
    host, port = url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port))
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    latencies = []
    deadline = time.perf_counter() + seconds
    index = 0
    while time.perf_counter() < deadline:
        body = bodies[index % len(bodies)] if bodies else None
        index += 1
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status >= 400:
            raise SystemExit(f"{method} {path} answered {response.status}")
    out.put(latencies)


def load(url, method, path, bodies_per_client, token, clients, seconds):
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=client, args=(url, method, path, bodies_per_client[i], token,
                                                          seconds, out)) for i in range(clients)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    latencies = [x for _ in procs for x in out.get()]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"rps": len(latencies) / elapsed,
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
            "n": len(latencies)}


def wrk(url, script, args, clients, seconds):
    out = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--latency", "-s",
                          str(HERE / script), url, "--", *map(str, args)],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{url} {args}: some requests failed:\n{out}")

    def ms(label):
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": ms("50"), "p99_ms": ms("99")}


def reading_bodies(node_id, sensors, batch, count, start_time, offset):
    bodies = []
    for i in range(count):
        t0 = start_time - 86400 + (offset + i) * batch
        readings = [{"sensor_id": sensors[j % len(sensors)],
                     "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0 + j)) + "Z",
                     "value": 20.0 + (j % 10) / 10} for j in range(batch)]
        bodies.append(json.dumps({"node_id": node_id, "readings": readings}).encode())
    return bodies


def startup_and_rss(home: Path) -> tuple[float, float]:
    started = time.perf_counter()
    proc, url, _ = start([str(BIN / "rpymostat"), "--home", str(home), "hub", "--port", "0",
                          "--listen", "127.0.0.1", "--no-tls"])
    drain(proc)
    while True:
        try:
            call(url, "GET", "/v1/health")
            break
        except OSError:
            time.sleep(0.01)
    elapsed = time.perf_counter() - started
    time.sleep(3)
    rss = psutil.Process(proc.pid).memory_info().rss / 2**20
    proc.terminate()
    proc.wait()
    return elapsed, rss


READS = ("/v1/status", "/v1/zones", "/v1/zones/1/state", "/v1/zones/1/timeline")
TARGETS = {"/v1/status": 0.5, "/v1/zones": 0.5, "/v1/zones/1/state": 0.5, "/v1/zones/1/timeline": 0.5,
           "POST /v1/readings, batch 1": 0.8, "POST /v1/readings, batch 100": 1.0}
RULES = [("weekday mornings", "0 6 * * 1-5", "PT2H", 20), ("evenings", "30 17 * * *", "PT5H30M", 21),
         ("weekend days", "0 8 * * 0,6", "PT14H", 20.5), ("nights", "0 23 * * *", "PT7H", 17)]


def furnish(url: str, admin: str) -> str:
    """A house: one sensor node with 8 sensors, three zones, four rules on zone 1, a
    reading for every sensor. Returns the node's device token."""
    device = call(url, "POST", "/v1/tokens", {"role": "device", "name": "bench", "node_id": "bench-node"},
                  admin)["token"]
    sensors = [f"28-{i:012x}" for i in range(8)]
    call(url, "POST", "/v1/nodes", {"node_id": "bench-node", "kind": "sensor",
                                    "sensors": [{"sensor_id": s} for s in sensors]}, device)
    for index, name in enumerate(("Living", "Bedroom", "Office")):
        call(url, "POST", "/v1/zones", {"name": name, "sensors": sensors[index * 2:index * 2 + 2],
                                        "default_target": {"mode": "heat", "heat_setpoint": 16}}, admin)
    for name, cron, duration, setpoint in RULES:
        call(url, "POST", "/v1/rules", {"zone_id": 1, "name": name, "kind": "recurring", "cron": cron,
                                        "duration": duration,
                                        "target": {"mode": "heat", "heat_setpoint": setpoint}}, admin)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    call(url, "POST", "/v1/readings", {"node_id": "bench-node", "readings": [
        {"sensor_id": s, "time": stamp, "value": 20.5} for s in sensors]}, device)
    return device


def fetch(url: str, path: str, token: str) -> bytes:
    request = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        return response.read()


def measure(use_wrk: bool, url: str, token: str, method: str, path: str, batch: int, clients: int,
            seconds: float, now: float) -> dict:
    if method == "GET":
        if use_wrk:
            return wrk(url, "status.lua", [token, path], clients, seconds)
        return load(url, "GET", path, [None] * clients, token or None, clients, seconds)
    if use_wrk:
        start_time = int(now) - 1_200_000 * batch  # after 1970, and every time in the past
        return wrk(url, "readings.lua", [token, start_time, batch, "/v1/readings"], clients, seconds)
    count = 60000 // batch
    bodies = [reading_bodies("bench-node", [f"28-{i:012x}" for i in range(8)], batch, count, now, c * count)
              for c in range(clients)]
    return load(url, "POST", "/v1/readings", bodies, token or None, clients, seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8,
                        help="concurrent keep-alive connections, as from many nodes and browsers (at "
                             "most 4 with Python clients)")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--python-clients", action="store_true", help="do not use wrk")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up and RSS figures")
    args = parser.parse_args()
    use_wrk = shutil.which("wrk") is not None and not args.python_clients
    if not use_wrk:
        args.clients = min(args.clients, 4)  # Python client processes: more only steal CPU
    home = Path(tempfile.mkdtemp(prefix="rpymostat-bench-"))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in psutil.getloadavg())} "
          f"({psutil.cpu_count()} CPUs)")

    if not args.no_startup:
        first_start, first_rss = startup_and_rss(home)
        starts = [startup_and_rss(home) for _ in range(3)]
        print(f"start-up to first answer: first start {first_start:.2f} s (creates the database), "
              f"then median {statistics.median(s for s, _ in starts):.2f} s   (target <= 2 s)")
        print(f"idle RSS: first start {first_rss:.1f} MB, then median "
              f"{statistics.median(r for _, r in starts):.1f} MB   (target <= 80 MB)")

    hub, url, lines = start([str(BIN / "rpymostat"), "--home", str(home / "load"), "hub", "--port", "0",
                             "--listen", "127.0.0.1", "--no-zeroconf", "--no-tls"])
    drain(hub)
    admin = (home / "load" / "admin-token").read_text().strip()  # written by the first start
    device = furnish(url, admin)
    bodies = home / "bodies.json"
    bodies.write_text(json.dumps({path: fetch(url, path, admin).decode() for path in READS}))
    bare, bare_url, _ = start([sys.executable, str(HERE / "bare_web.py"), "--bodies", str(bodies),
                               "--db", str(home / "bare.db")])
    drain(bare)
    now = time.time()
    rows = []
    try:
        plan = [(path, "GET", path, 0, admin) for path in READS] + [
            (f"POST /v1/readings, batch {batch}", "POST", "/v1/readings", batch, device) for batch in (1, 100)]
        for label, method, path, batch, token in plan:
            base = measure(use_wrk, bare_url, "", method, path, batch, args.clients, args.seconds, now)
            real = measure(use_wrk, url, token, method, path, batch, args.clients, args.seconds, now)
            size = len(json.loads(bodies.read_text()).get(path, "")) if method == "GET" else 0
            rows.append((label + (f" ({size} B)" if size else ""), real, base, TARGETS[label]))
    finally:
        hub.terminate()
        bare.terminate()
        hub.wait()
        bare.wait()
    driver = "wrk" if use_wrk else "Python client processes"
    print(f"\n{args.clients} keep-alive connections from {driver}, {args.seconds:g} s each; baseline = a bare "
          f"twisted.web resource answering the hub's bytes (reads), parsing the same JSON and inserting into "
          f"SQLite, one transaction per request (writes)\n")
    print(f"{'route':44} {'hub req/s':>9} {'p50 ms':>7} {'p99 ms':>7} | {'bare req/s':>10} "
          f"{'p50 ms':>7} {'p99 ms':>7} | {'ratio':>6} {'target':>6}")
    for label, real, base, target in rows:
        ratio = real["rps"] / base["rps"]
        print(f"{label:44} {real['rps']:9.0f} {real['p50_ms']:7.2f} {real['p99_ms']:7.2f} | "
              f"{base['rps']:10.0f} {base['p50_ms']:7.2f} {base['p99_ms']:7.2f} | "
              f"{ratio:6.2f} {'>= ' if ratio >= target else '< '}{target:g}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in psutil.getloadavg())}")


if __name__ == "__main__":
    main()

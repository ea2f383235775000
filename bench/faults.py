"""Faults, measured from the outside against real processes on loopback:

1. readings lost when the hub is killed (SIGKILL) at random moments while sensor-node
   connections post batches (hub on plain HTTP, SQLite): every reading the hub answered
   202 for is looked up in its database afterwards;
2. seconds from a hub frozen (SIGSTOP) while heating to the relay node switching its
   output off, beside the bound, the lease (hub and relay node on HTTPS, their default);
3. ``GET /v1/health`` latency with 2,000 idle sockets open, beside the same with none
   (hub on plain HTTP);
4. wrong-token requests answered (401) before the hub throttles the client's address (429),
   from one address and from 200 (Linux lets a client bind any 127.0.0.0/8 address),
   beside the same requests with a valid token.

The freeze measurement's hub starts first: its guard holds equipment off for the minimum
off time after start-up (60 s at least), and the kill rounds run in the meantime. Every
process started here is stopped at the end, after a failure or Ctrl-C too.

    python bench/faults.py [--kills 10] [--seed N]

Prints figures; never passes or fails.
"""

from __future__ import annotations

import argparse
import bisect
import json
import multiprocessing
import random
import resource
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection, HTTPException, HTTPResponse
from pathlib import Path
from urllib.parse import urlsplit

import attrs
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rpymostat.core.timeutil import parse_time  # noqa: E402
from rpymostat.hub.auth import MISS_RELOAD_S  # noqa: E402
from rpymostat.runtime.config import DEFAULT_LIMITS  # noqa: E402
from rpymostat.web.gate import FailureLimit  # noqa: E402
from tests.integration.procs import (  # noqa: E402
    ENROLLMENT_KEY,
    Proc,
    command_token,
    free_port,
    http,
    relay_api_url,
    start_hub,
    start_node,
    stored_readings,
    wait_until,
)

CONNECTIONS = 4          # sensor-node connections posting during the kill rounds
BATCH = 10               # readings per POST
LEASE_S = 30             # the hub's smallest lease
MIN_OFF_S = 60           # the guard's smallest minimum off time, counted from start-up
IDLE_SOCKETS = 2000
HEALTH_REQUESTS = 200
ADDRESSES = 200          # client addresses of the wrong-token flood
WORKERS = 4              # client processes sharing those addresses
FLOOD_S = 24.0
BASELINE_S = 4.0
BEFORE_THROTTLE = 1100   # wrong tokens answered per second before the throttle (issue 10)
HEAT, COLD_C, SETPOINT_C = "sim-heat", 15.0, 21.0
WRONG = "x" * 43         # the length of a real token


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def connection(url: str, source: str | None = None, timeout: float = 10.0) -> HTTPConnection:
    parts = urlsplit(url)
    return HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                          source_address=(source, 0) if source else None)


def stop_children() -> None:
    """Stop every process this script started (hubs, relay node, client workers), also
    those a failed start left behind: a frozen hub is woken first so that it can stop."""
    children = psutil.Process().children(recursive=True)
    for child in children:
        try:
            child.send_signal(signal.SIGCONT)
            child.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(children, timeout=15)
    for child in alive:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass


def sensor_node(url: str, admin: str, node_id: str, sensors: list[str]) -> str:
    """A registered sensor node's device token."""
    status, made = http("POST", f"{url}/v1/tokens", {"role": "device", "name": node_id, "node_id": node_id},
                        admin)
    assert status == 201, made
    status, body = http("POST", f"{url}/v1/nodes", {"node_id": node_id, "kind": "sensor",
                                                     "sensors": [{"sensor_id": s} for s in sensors]},
                        made["token"])
    assert status == 200, body
    return made["token"]


# -- 1. readings across kill -9 ---------------------------------------------------------


class Poster(threading.Thread):
    """One keep-alive connection of a sensor node posting batches of its own sensor's
    readings, each a new (sensor, time) pair, noting which ones the hub acknowledged (202)
    and which it was sent but never answered. A batch without an answer is not sent again:
    whether it was stored is what the count of unanswered readings leaves open."""

    def __init__(self, url: str, token: str, sensor_id: str, first_time: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.url, self.token, self.sensor_id, self.stop = url, token, sensor_id, stop
        self.next_time = first_time
        self.acknowledged: list[tuple[str, float]] = []
        self.unanswered: list[tuple[str, float]] = []
        self.refused = 0

    def run(self) -> None:
        conn = None
        while not self.stop.is_set():
            conn = conn or self._connect()
            if conn is None:
                self.stop.wait(0.02)  # the hub is down: try again shortly
                continue
            batch = [(self.sensor_id, float(self.next_time + i)) for i in range(BATCH)]
            self.next_time += BATCH
            if not self._post(conn, batch):
                conn.close()
                conn = None

    def _connect(self) -> HTTPConnection | None:
        conn = connection(self.url)
        try:
            conn.connect()
        except OSError:
            return None
        return conn

    def _post(self, conn: HTTPConnection, batch: list[tuple[str, float]]) -> bool:
        """Whether the connection may be used again."""
        body = json.dumps({"node_id": "bench-ingest", "readings": [
            {"sensor_id": sensor, "time": iso(t), "value": 20.5} for sensor, t in batch]})
        try:
            conn.request("POST", "/v1/readings", body=body, headers={
                "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
            response = conn.getresponse()
            answer = json.loads(response.read() or b"null")
        except (OSError, HTTPException):
            self.unanswered.extend(batch)
            return False
        if response.status != 202:
            self.refused += len(batch)
            return True
        rejected = {error["index"] for error in answer["errors"]}
        self.acknowledged.extend(r for i, r in enumerate(batch) if i not in rejected)
        self.refused += len(rejected)
        return True


@attrs.frozen
class Ingest:
    kills: int
    seconds: float
    acknowledged: int
    lost: int
    unanswered: int
    unanswered_stored: int
    refused: int


def kill_rounds(root: Path, kills: int, rng: random.Random) -> Ingest:
    home, port = root / "ingest", free_port()
    hub, url, admin = start_hub(home, "--no-zeroconf", "--no-tls", port=port)
    sensors = [f"28-0000000001{k:02x}" for k in range(CONNECTIONS)]
    token = sensor_node(url, admin, "bench-ingest", sensors)
    first_time = int(time.time()) - 30 * 86400
    stop = threading.Event()
    posters = [Poster(url, token, sensor, first_time, stop) for sensor in sensors]
    started = time.monotonic()
    for poster in posters:
        poster.start()
    for _ in range(kills):
        time.sleep(rng.uniform(0.5, 2.5))
        hub.stop(signal.SIGKILL)
        hub, _, _ = start_hub(home, "--no-zeroconf", "--no-tls", port=port)
    time.sleep(1.0)  # the last hub takes some readings too
    stop.set()
    for poster in posters:
        poster.join()
    seconds = time.monotonic() - started
    hub.stop()
    return tally(posters, set(stored_readings(home)), kills, seconds)


def tally(posters: list[Poster], stored: set[tuple[str, float]], kills: int, seconds: float) -> Ingest:
    if not all(p.acknowledged for p in posters):
        raise SystemExit("a connection had no reading acknowledged: the load did not run")
    acknowledged = {r for p in posters for r in p.acknowledged}
    unanswered = {r for p in posters for r in p.unanswered}
    return Ingest(kills, seconds, len(acknowledged), len(acknowledged - stored), len(unanswered),
                  len(unanswered & stored), sum(p.refused for p in posters))


# -- 2. freeze to relay off -------------------------------------------------------------


@attrs.frozen
class FreezeRig:
    hub: Proc
    relay: Proc
    url: str
    sensor_token: str
    relay_url: str
    command_token: str


@attrs.frozen
class Freeze:
    seconds: float
    lease_left_s: float
    heat_on_after_s: float


def heating_zone(root: Path) -> FreezeRig:
    """A hub on HTTPS with the smallest lease and minimum off time, a relay node (sim
    driver), and a zone whose only sensor reads well below its heat setpoint."""
    home = root / "freeze"
    hub, url, admin = start_hub(home, "--no-zeroconf", "--enrollment-key", ENROLLMENT_KEY)
    settings = {"lease_s": LEASE_S, "min_off_s": MIN_OFF_S, "control_interval_s": 5}
    assert http("PATCH", f"{url}/v1/settings", settings, admin)[0] == 200
    relay = start_node("relay", root / "relay", "--listen", "127.0.0.1", "--port", "0", hub=url)
    relay_url = relay_api_url(relay)
    relay.wait_for(r"registered with hub", 30)
    node_id = http("GET", f"{relay_url}/v1/health")[1]["node_id"]
    sensor_token = sensor_node(url, admin, "bench-freeze", ["28-000000000201"])
    post_cold(url, sensor_token)
    zone = {"name": "Bench", "sensors": ["28-000000000201"], "outputs": {"heat": HEAT},
            "default_target": {"mode": "heat", "heat_setpoint": SETPOINT_C}}
    status, body = http("POST", f"{url}/v1/zones", zone, admin)
    assert status == 201, body
    return FreezeRig(hub, relay, url, sensor_token, relay_url, command_token(home, node_id))


def post_cold(url: str, token: str) -> None:
    reading = {"sensor_id": "28-000000000201", "time": iso(time.time()), "value": COLD_C}
    status, body = http("POST", f"{url}/v1/readings", {"node_id": "bench-freeze", "readings": [reading]}, token)
    assert status == 202 and body["accepted"] == 1, body


def heat_output(rig: FreezeRig) -> dict:
    outputs = http("GET", f"{rig.relay_url}/v1/outputs", token=rig.command_token)[1]["outputs"]
    return next(o for o in outputs if o["id"] == HEAT)


def freeze_to_off(rig: FreezeRig, hub_started: float) -> Freeze:
    """Once the relay's output is on, freeze the hub and time the relay switching it off."""
    posted = 0.0
    while heat_output(rig)["state"] != "on":
        if time.monotonic() - hub_started > MIN_OFF_S + 60:
            raise SystemExit("the relay's output did not go on:\n" + "\n".join(rig.hub.lines[-20:]))
        if time.monotonic() - posted > 10:
            post_cold(rig.url, rig.sensor_token)  # keep the zone's sensor fresh
            posted = time.monotonic()
        time.sleep(0.2)
    heat_on_after = time.monotonic() - hub_started
    rig.hub.popen.send_signal(signal.SIGSTOP)
    frozen = time.monotonic()
    try:
        lease_left = parse_time(heat_output(rig)["lease_until"]).timestamp() - time.time()
        off = wait_until(lambda: heat_output(rig)["state"] == "off", LEASE_S + 15, 0.05)
        seconds = time.monotonic() - frozen
    finally:
        rig.hub.popen.send_signal(signal.SIGCONT)
    if not off:
        raise SystemExit(f"the relay kept {HEAT} on {seconds:.0f} s after the hub froze")
    return Freeze(seconds, lease_left, heat_on_after)


# -- 3. health with idle sockets ----------------------------------------------------------


@attrs.frozen
class Latency:
    p50_ms: float
    p99_ms: float


@attrs.frozen
class Idle:
    opened: int
    kept_by_hub: int
    quiet: Latency
    loaded: Latency


def health_latency(url: str) -> Latency:
    """Each request on a new connection, as a monitoring probe makes them."""
    times = []
    for _ in range(HEALTH_REQUESTS):
        started = time.perf_counter()
        conn = connection(url)
        conn.request("GET", "/v1/health")
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status == 200
        times.append((time.perf_counter() - started) * 1000)
    return Latency(statistics.median(times), statistics.quantiles(times, n=100)[98])


def room_for(sockets: int) -> int:
    """How many idle sockets this process can open: its soft descriptor limit raised
    towards what they need (the hub raises its own)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = sockets + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return sockets if soft == resource.RLIM_INFINITY else min(sockets, soft - 256)


def still_open(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except ConnectionResetError:
        return False


def idle_sockets(url: str) -> Idle:
    quiet = health_latency(url)
    parts = urlsplit(url)
    sockets = []
    try:
        for _ in range(room_for(IDLE_SOCKETS)):
            sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
            sock.setblocking(False)
            sockets.append(sock)
        wait_until(lambda: sum(map(still_open, sockets)) <= DEFAULT_LIMITS.max_connections, 20.0)
        loaded = health_latency(url)
        kept = sum(map(still_open, sockets))
    finally:
        for sock in sockets:
            sock.close()
    return Idle(len(sockets), kept, quiet, loaded)


# -- 4. wrong tokens ------------------------------------------------------------------------


@attrs.frozen
class OneAddress:
    answered: int
    retry_after_s: int
    after_waiting: int


@attrs.frozen
class Flood:
    seconds: float
    unauthorized: int
    throttled: int
    other: int
    burst_401s: int
    burst_s: float
    steady_per_s: float

    @property
    def burst_per_s(self) -> float:
        return self.burst_401s / self.burst_s


@attrs.frozen
class Guesses:
    one: OneAddress
    flood: Flood
    valid_per_s: float


def send(conn: HTTPConnection, token: str) -> bool:
    try:
        conn.request("GET", "/v1/zones", headers={"Authorization": f"Bearer {token}"})
        return True
    except (OSError, HTTPException):
        conn.close()  # reopened by the next request
        return False


def receive(conn: HTTPConnection) -> HTTPResponse | None:
    try:
        response = conn.getresponse()
        response.read()
        return response
    except (OSError, HTTPException):
        conn.close()
        return None


def volley(conns: list[HTTPConnection], token: str) -> list[HTTPResponse | None]:
    """The request on every connection, then every answer: they are in the hub together,
    as an attacker's are (a wrong token waits for the hub's next read of its tokens, so
    one connection alone would get about one answer a second)."""
    sent = [send(conn, token) for conn in conns]
    return [receive(conn) if ok else None for conn, ok in zip(conns, sent)]


def one_address(url: str) -> OneAddress:
    """Volleys from one address until none is answered 401; then, once its Retry-After
    has passed, one more volley."""
    conns = [connection(url, "127.0.0.2") for _ in range(2 * FailureLimit().burst)]
    answered, retry_after = 0, None
    for _ in range(5):
        answers = [r for r in volley(conns, WRONG) if r is not None]
        unauthorized = sum(1 for r in answers if r.status == 401)
        answered += unauthorized
        retry_after = next((int(r.getheader("Retry-After")) for r in answers if r.status == 429), retry_after)
        if not unauthorized:
            break
    if retry_after is None:
        raise SystemExit("one address was never throttled")
    time.sleep(retry_after)
    after = sum(1 for r in volley(conns, WRONG) if r is not None and r.status == 401)
    for conn in conns:
        conn.close()
    return OneAddress(answered, retry_after, after)


def client(url: str, addresses: list[str], token: str, start_at: float, seconds: float, out) -> None:
    """Volleys over one keep-alive connection per address until the time is up; reports
    each address's 401 times and first 429 time (on the shared monotonic clock) and how
    many answers were 200, 429 or anything else."""
    conns = [connection(url, address) for address in addresses]
    fails: dict[str, list[float]] = {address: [] for address in addresses}
    first_429: dict[str, float] = {}
    counts = {200: 0, 401: 0, 429: 0, None: 0}
    time.sleep(max(0.0, start_at - time.monotonic()))
    while time.monotonic() < start_at + seconds:
        answers = volley(conns, token)
        at = time.monotonic() - start_at
        for address, response in zip(addresses, answers):
            status = None if response is None else response.status
            if status == 401:
                fails[address].append(at)
            elif status == 429:
                first_429.setdefault(address, at)
            counts[status if status in counts else None] += 1
    out.put((fails, first_429, counts))


def run_clients(url: str, addresses: list[str], token: str, seconds: float):
    out = multiprocessing.Queue()
    start_at = time.monotonic() + 1.0
    shares = [addresses[i::WORKERS] for i in range(WORKERS)]
    workers = [multiprocessing.Process(target=client, args=(url, share, token, start_at, seconds, out))
               for share in shares]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=seconds + 60) for _ in workers]
    for worker in workers:
        worker.join()
    return results


def flood(url: str) -> Flood:
    addresses = [f"127.0.1.{i}" for i in range(1, ADDRESSES + 1)]
    results = run_clients(url, addresses, WRONG, FLOOD_S)
    fails = sorted(t for r in results for times in r[0].values() for t in times)
    first_429 = [t for r in results for t in r[1].values()]
    if len(first_429) < ADDRESSES:
        raise SystemExit(f"only {len(first_429)} of {ADDRESSES} addresses were throttled in {FLOOD_S:g} s")
    burst_s = max(first_429)
    return Flood(FLOOD_S, len(fails), sum(r[2][429] for r in results), sum(r[2][None] for r in results),
                 bisect.bisect_right(fails, burst_s), burst_s, steady_rate(fails, burst_s))


def steady_rate(fails: list[float], burst_s: float) -> float:
    """401s per second once every address spent its burst, over whole periods of the
    throttle's ``every_s`` (each address earns one try per period; a part of a period
    would count some addresses' tries and not others')."""
    every_s = FailureLimit().every_s
    periods_s = every_s * ((FLOOD_S - burst_s) // every_s)
    if not periods_s:
        return float("nan")
    return (bisect.bisect_right(fails, burst_s + periods_s) - bisect.bisect_right(fails, burst_s)) / periods_s


def valid_rate(url: str, admin: str) -> float:
    addresses = [f"127.0.2.{i}" for i in range(1, ADDRESSES + 1)]
    results = run_clients(url, addresses, admin, BASELINE_S)
    return sum(r[2][200] for r in results) / BASELINE_S


def guesses(url: str, admin: str) -> Guesses:
    return Guesses(one_address(url), flood(url), valid_rate(url, admin))


# -- report ---------------------------------------------------------------------------------


def report_ingest(r: Ingest) -> None:
    print(f"\n1. kill -9 during ingest: {r.kills} SIGKILLs of the hub (plain HTTP, SQLite) in {r.seconds:.0f} s, "
          f"{CONNECTIONS} connections posting batches of {BATCH}")
    print(f"   acknowledged (202) {r.acknowledged:,}, of them stored {r.acknowledged - r.lost:,}, "
          f"lost {r.lost}   (target 0)")
    print(f"   sent without an answer (in flight at a kill) {r.unanswered:,}, of them stored "
          f"{r.unanswered_stored:,}: a node that got no answer sends them again and the hub skips duplicates")
    if r.refused:
        print(f"   answered but refused {r.refused:,}")


def report_freeze(r: Freeze) -> None:
    print(f"\n2. hub frozen (SIGSTOP) while heating (HTTPS), lease_s {LEASE_S}: the relay switched "
          f"{HEAT} off {r.seconds:.1f} s later ({r.seconds / LEASE_S:.2f} of the lease)")
    print(f"   the lease the hub last gave had {r.lease_left_s:.1f} s left at the freeze (the hub renews it "
          f"every third of it), so the output went off {r.seconds - r.lease_left_s:.2f} s after its lease ended")
    print(f"   heat went on {r.heat_on_after_s:.0f} s after the hub started (its minimum off time, {MIN_OFF_S} s, "
          f"counts from start-up)")


def report_idle(r: Idle) -> None:
    print(f"\n3. GET /v1/health, {HEALTH_REQUESTS} requests each on a new connection (plain HTTP)")
    print(f"   no idle sockets:        median {r.quiet.p50_ms:6.2f} ms  p99 {r.quiet.p99_ms:6.2f} ms")
    print(f"   {r.opened:,} idle sockets open: median {r.loaded.p50_ms:6.2f} ms  p99 {r.loaded.p99_ms:6.2f} ms"
          f"   (target <= 50 ms)")
    print(f"   the hub kept {r.kept_by_hub} of them open at the end (its cap closes the longest idle first)")


def report_guesses(r: Guesses) -> None:
    f, limit = r.flood, FailureLimit()
    print(f"\n4. wrong tokens (GET /v1/zones, plain HTTP), sent in volleys: {2 * limit.burst} at once from one "
          f"address, {ADDRESSES} at once from {ADDRESSES} addresses")
    print(f"   one address: {r.one.answered} answered 401, then 429 with Retry-After {r.one.retry_after_s} s; "
          f"after waiting that, {r.one.after_waiting} more 401, then 429 again")
    print(f"   {ADDRESSES} addresses for {f.seconds:g} s: {f.unauthorized:,} answered 401, {f.throttled:,} "
          f"answered 429, {f.other} other")
    print(f"     the first {f.burst_401s:,} in {f.burst_s:.1f} s ({f.burst_per_s:,.0f}/s: each wrong token waits "
          f"for the hub's next read of its tokens, at most one per {MISS_RELOAD_S:g} s), then "
          f"{f.steady_per_s:.0f}/s (one per address per {limit.every_s:g} s)")
    print(f"   baseline: the same requests with a valid token, {r.valid_per_s:,.0f} answered/s; "
          f"before the throttle about {BEFORE_THROTTLE:,} wrong tokens/s were answered")
    print(f"   meaning: an attacker on one address gets {r.one.answered} tries, then one per {limit.every_s:g} s; "
          f"with {ADDRESSES} addresses about {f.burst_401s:,} in the first {f.burst_s:.0f} s, then "
          f"{ADDRESSES / limit.every_s:.0f}/s")


def report_table(ingest: Ingest, freeze: Freeze, idle: Idle, guess: Guesses) -> None:
    f = guess.flood
    rows = [
        (f"readings lost over {ingest.kills} hub kill -9s", f"{ingest.lost}",
         f"of {ingest.acknowledged:,} acked", "target 0"),
        ("seconds from hub freeze to relay off", f"{freeze.seconds:.1f} s", f"lease {LEASE_S} s",
         f"{freeze.seconds / LEASE_S:.2f}"),
        (f"health median, {idle.opened:,} idle sockets", f"{idle.loaded.p50_ms:.1f} ms",
         f"{idle.quiet.p50_ms:.1f} ms with none", f"{idle.loaded.p50_ms / idle.quiet.p50_ms:.1f}x"),
        (f"health p99, {idle.opened:,} idle sockets", f"{idle.loaded.p99_ms:.1f} ms",
         f"{idle.quiet.p99_ms:.1f} ms with none", f"{idle.loaded.p99_ms / idle.quiet.p99_ms:.1f}x"),
        ("wrong tokens answered, one address", f"{guess.one.answered}",
         f"then 1 per {FailureLimit().every_s:g} s", ""),
        (f"wrong tokens/s, {ADDRESSES} addresses, bursts", f"{f.burst_per_s:,.0f}/s",
         f"{guess.valid_per_s:,.0f}/s valid token", f"{f.burst_per_s / guess.valid_per_s:.2f}"),
        (f"wrong tokens/s, {ADDRESSES} addresses, after", f"{f.steady_per_s:,.0f}/s",
         f"{BEFORE_THROTTLE:,}/s unthrottled", f"{f.steady_per_s / BEFORE_THROTTLE:.2f}"),
    ]
    print(f"\n{'figure':44} {'value':>9}  {'baseline / bound':22} {'ratio':>8}")
    for label, value, base, ratio in rows:
        print(f"{label:44} {value:>9}  {base:22} {ratio:>8}")


def run(root: Path, kills: int, seed: int) -> None:
    hub_started = time.monotonic()
    rig = heating_zone(root)
    print(f"kill moments from seed {seed}")
    ingest = kill_rounds(root, kills, random.Random(seed))
    report_ingest(ingest)
    freeze = freeze_to_off(rig, hub_started)
    report_freeze(freeze)
    rig.relay.stop()
    rig.hub.stop()
    probe, url, admin = start_hub(root / "probe", "--no-zeroconf", "--no-tls")
    idle = idle_sockets(url)
    report_idle(idle)
    guess = guesses(url, admin)
    report_guesses(guess)
    probe.stop()
    report_table(ingest, freeze, idle, guess)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=10, help="SIGKILLs of the hub during ingest")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random kill moments")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="rpymostat-faults-") as scratch:
        try:
            run(Path(scratch), args.kills, seed)
        except KeyboardInterrupt:
            raise SystemExit("interrupted") from None
        finally:
            stop_children()


if __name__ == "__main__":
    main()

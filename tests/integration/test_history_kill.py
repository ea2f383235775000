"""A hub killed with SIGKILL while a client posts readings and while compaction runs: after a
restart the database opens cleanly and ``GET /v1/history`` returns every reading whose POST
was acknowledged before the kill."""

import signal
import sqlite3
import threading
import time

from rpymostat.core.timeutil import format_time
from tests.integration.procs import ENROLLMENT_KEY, http, start_hub, wait_until

SENSORS = ("28-00000000000a", "28-00000000000b", "28-00000000000c", "28-00000000000d")
DAYS = 5


def enrolled_sensor_node(url: str) -> str:
    status, answer = http("POST", f"{url}/v1/enroll", {"node_id": "n1"}, ENROLLMENT_KEY)
    assert status == 201, answer
    token = answer["token"]
    status, answer = http("POST", f"{url}/v1/nodes", {"node_id": "n1", "kind": "sensor",
                                                     "sensors": [{"sensor_id": s} for s in SENSORS]}, token)
    assert status == 200, answer
    return token


def post(url: str, token: str, readings: list[tuple[str, float, float]]) -> bool:
    body = {"node_id": "n1", "readings": [{"sensor_id": s, "time": format_time(t), "value": v}
                                          for s, t, v in readings]}
    try:
        status, answer = http("POST", f"{url}/v1/readings", body, token, timeout=30)
    except OSError:
        return False
    return status == 202 and answer["rejected"] == 0


class Client(threading.Thread):
    """Posts batches of fresh readings until told to stop or the hub goes; keeps those
    acknowledged."""

    def __init__(self, url: str, token: str, start: float):
        super().__init__(daemon=True)
        self.url, self.token, self.next = url, token, start
        self.acked: list[tuple[str, float, float]] = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            batch = [(s, self.next + i, 20.0 + (i % 50) / 10) for i in range(50) for s in SENSORS]
            self.next += 50
            if not post(self.url, self.token, batch):
                return
            self.acked.extend(batch)


def stored(url: str, token: str, sensor: str, start: float, end: float) -> dict[str, float]:
    """Every raw point of the sensor in [start, end), asked for five days at a time (at most
    7200 points, under the most one answer carries)."""
    points: dict[str, float] = {}
    for begin in range(int(start), int(end), 5 * 86_400):
        window = f"from={format_time(begin)}&to={format_time(min(begin + 5 * 86_400, end))}"
        status, answer = http("GET", f"{url}/v1/history?series=sensor/{sensor}&{window}&max_points=10000",
                              token=token)
        assert status == 200, answer
        (series,) = answer["series"]
        assert series["resolution"] == "raw", series["resolution"]
        points.update((point["time"], point["mean"]) for point in series["points"])
    return points


def test_acknowledged_readings_survive_sigkill_during_ingest_and_compaction(tmp_path):
    home = tmp_path / "home"
    now = time.time()
    first = now - DAYS * 86_400 - 3600
    old = [(s, first + 60 * i, round(18 + (i % 200) / 20, 2)) for i in range(DAYS * 1440) for s in SENSORS]
    proc, url, admin = start_hub(home, "--no-zeroconf", "--enrollment-key", ENROLLMENT_KEY)
    try:
        device = enrolled_sensor_node(url)
        for begin in range(0, len(old), 4000):
            assert post(url, device, old[begin:begin + 4000])
    finally:
        assert proc.stop() == 0

    # Restarted, the hub compacts the settled days at once, a step a second; meanwhile a
    # client posts fresh readings. Both are under way when the hub is killed.
    proc, url, _ = start_hub(home, "--no-zeroconf", "--enrollment-key", ENROLLMENT_KEY)
    client = Client(url, device, now - 600)
    client.start()
    try:
        assert wait_until(lambda: len(client.acked) >= 2000, 60), "the client could not post"
        database = sqlite3.connect(f"file:{home / 'rpymostat.db'}?mode=ro", uri=True)
        try:
            assert wait_until(lambda: database.execute("SELECT count(*) FROM history_chunks").fetchone()[0], 60), \
                "compaction did not start"
            settled_left = database.execute("SELECT count(*) FROM history_raw WHERE time_ms < ?",
                                            (int((now - 7200) * 1000),)).fetchone()[0]
        finally:
            database.close()
        assert settled_left, "compaction finished before the kill"
    finally:
        proc.stop(signal.SIGKILL)
        client.stop.set()
        client.join(30)
    acked = old + client.acked

    proc, url, _ = start_hub(home, "--no-zeroconf", "--enrollment-key", ENROLLMENT_KEY)
    try:
        status, answer = http("GET", f"{url}/v1/history/series", token=admin)
        assert status == 200 and {f"sensor/{s}" for s in SENSORS} <= set(answer["series"])
        for sensor in SENSORS:
            found = stored(url, admin, sensor, first - 1, client.next + 1)
            expected = {format_time(t): v for s, t, v in acked if s == sensor}
            missing = set(expected) - set(found)
            assert not missing, f"{len(missing)} acknowledged readings of {sensor} lost, e.g. {sorted(missing)[:3]}"
            assert all(found[t] == v for t, v in expected.items())
    finally:
        assert proc.stop() == 0
    assert "Traceback" not in "\n".join(proc.lines), "\n".join(proc.lines[-40:])

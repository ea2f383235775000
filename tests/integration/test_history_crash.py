"""The history store killed with SIGKILL while it appends and compacts: the database opens
cleanly and holds every point whose append had returned, once, and its rollups agree."""

import random
import signal
import sqlite3
import subprocess
import sys
import time

from rpymostat.hub.store.store import Store
from tests.integration.history_writer import SERIES, T0, batch, last_acked

KILLS = 5


def check(url: str, db_path, acked: int) -> int:
    assert sqlite3.connect(db_path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = Store(url)
    store.open(T0)
    try:
        history = store.history
        for series in SERIES:
            times = [t for t, _ in history.raw_points(series, 0, 2e9)]
            assert times == sorted(set(times)), "no point twice, whether raw or in a chunk"
            assert {t for s, t, _ in batch_points(acked) if s == series} <= set(times), "an acknowledged point lost"
            assert len(times) <= 30 * (acked + 2), "at most the batch in flight beyond the acknowledged"
            (whole,) = history.query(series, 0, 2e9, 1).points
            assert whole[4] == len(times), "the rollups count each point once"
        return len(times)
    finally:
        store.close()


def batch_points(acked: int):
    return [p for k in range(acked + 1) for p in batch(k)]


def test_a_killed_writer_loses_no_acknowledged_point(tmp_path):
    db_path, ack_path = tmp_path / "history.db", tmp_path / "acked"
    url = f"sqlite:///{db_path}"
    rng = random.Random(12)
    counts = []
    for _ in range(KILLS):
        writer = subprocess.Popen([sys.executable, "-m", "tests.integration.history_writer", url, str(ack_path)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started = time.monotonic()
        while last_acked(str(ack_path)) < 0 and time.monotonic() - started < 60 and writer.poll() is None:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.3, 1.5))
        assert writer.poll() is None, writer.stderr.read().decode()
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        acked = last_acked(str(ack_path))
        counts.append(check(url, db_path, acked))
    assert counts == sorted(counts) and counts[-1] > counts[0], "each run carried on from the last"
    with sqlite3.connect(db_path) as db:
        chunks = db.execute("SELECT COUNT(*) FROM history_chunks").fetchone()[0]
    assert chunks > len(SERIES), "days were compacted between the kills"

"""The history store against a plain table: a year of one-minute readings of 10 sensors.

The store (rpymostat/hub/store/history.py, on a SQLite file) takes the readings an hour of
all sensors per append, compacting each day once it has settled, as the hub's job does.
The baseline, in the same run, is the table readings used to live in: one row per
reading (id, sensor, time, value, time received, unique on sensor and time), filled with
the same batches. Both then answer the same queries for one sensor: a year downsampled
to at most 1000 points (the store reads its daily rollup; the baseline groups its rows by
day), a day of raw points, a week at most 1000 points (15-minute buckets). Latencies
are medians of several runs. Prints figures; never passes or fails.

    .venv/bin/python bench/history.py            # 365 days: 5.3 M points, a few minutes
    .venv/bin/python bench/history.py --quick    # 30 days
"""

from __future__ import annotations

import argparse
import math
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from rpymostat.core.history.names import sensor_series
from rpymostat.hub.store.store import Store

START = 1_767_225_600.0  # 2026-01-01 00:00 UTC
DAY = 86400
SENSORS = [f"28-{i:012x}" for i in range(1, 11)]
RUNS = 9
TARGETS = {"bytes/point": "<= 8", "1-year chart": "<= 50", "1-day raw": "<= 20", "ingest": ">= 100,000"}


def day_of_readings(day: int, rng: random.Random, drift: dict[str, float]) -> list[list[tuple[str, float, float]]]:
    """Each hour of one day: every sensor's reading of each minute, a daily swing plus a
    slow random walk, in the 1/16 °C steps of a DS18B20."""
    hours = []
    for hour in range(24):
        batch = []
        for n, sensor in enumerate(SENSORS):
            for minute in range(60):
                t = START + day * DAY + hour * 3600 + minute * 60
                drift[sensor] = max(-3.0, min(3.0, drift[sensor] + rng.gauss(0, 0.02)))
                value = 20 + n * 0.3 + 1.5 * math.sin(2 * math.pi * (t % DAY) / DAY) + drift[sensor]
                batch.append((sensor_series(sensor), t, round(value * 16) / 16))
        hours.append(batch)
    return hours


def fill(days: int, store_history, baseline: sqlite3.Connection) -> dict[str, float]:
    """Seconds spent by each, on the wall clock and in CPU time (the process's: what a
    machine shared with other work still tells about the code)."""
    rng, drift = random.Random(2026), {s: 0.0 for s in SENSORS}
    spent = {key: 0.0 for key in ("store", "store cpu", "compaction", "baseline", "baseline cpu")}
    insert = ("INSERT INTO readings (sensor_id, time, value, received_at) VALUES (?, ?, ?, ?) "
              "ON CONFLICT (sensor_id, time) DO NOTHING")
    for day in range(days):
        for batch in day_of_readings(day, rng, drift):
            t0, c0 = time.perf_counter(), time.process_time()
            store_history.append(batch)
            t1, c1 = time.perf_counter(), time.process_time()
            with baseline:
                baseline.executemany(insert, [(name[7:], t, v, t) for name, t, v in batch])
            spent["store"] += t1 - t0
            spent["store cpu"] += c1 - c0
            spent["baseline"] += time.perf_counter() - t1
            spent["baseline cpu"] += time.process_time() - c1
        t0 = time.perf_counter()
        while store_history.compact_step(START + (day + 1) * DAY, 100_000):
            pass
        spent["compaction"] += time.perf_counter() - t0
    return spent


def median_ms(action) -> float:
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        action()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def baseline_buckets(db: sqlite3.Connection, sensor: str, start: float, end: float, step: int) -> list:
    return db.execute(f"SELECT CAST(time / {step} AS INTEGER) * {step} AS bucket, min(value), avg(value), "
                      f"max(value), count(*) FROM readings WHERE sensor_id = ? AND time >= ? AND time < ? "
                      f"GROUP BY bucket ORDER BY bucket", (sensor, start, end)).fetchall()


def baseline_raw(db: sqlite3.Connection, sensor: str, start: float, end: float) -> list:
    return db.execute("SELECT time, value FROM readings WHERE sensor_id = ? AND time >= ? AND time < ? "
                      "ORDER BY time", (sensor, start, end)).fetchall()


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def compacted_size(url_path: Path, engine) -> int:
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return file_size(url_path)


def open_baseline(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE readings (id INTEGER PRIMARY KEY AUTOINCREMENT, sensor_id VARCHAR(128) NOT NULL, "
               "time FLOAT NOT NULL, value FLOAT NOT NULL, received_at FLOAT NOT NULL, "
               "CONSTRAINT uq_readings_sensor_time UNIQUE (sensor_id, time))")
    return db


def queries(history, baseline: sqlite3.Connection, end: float, old: float) -> list[tuple[str, float, float, str]]:
    """The store's and the baseline's answers to the same questions about the last sensor;
    ``old`` starts a day compacted long ago."""
    series, sensor = sensor_series(SENSORS[-1]), SENSORS[-1]
    year = history.query(series, START, end, 1000)
    week = history.query(series, end - 7 * DAY, end, 1000)
    day = history.query(series, end - DAY, end, 2000)
    old_day = history.query(series, old, old + DAY, 2000)
    assert len(baseline_buckets(baseline, sensor, START, end, int(year.step_s))) == len(year.points)
    return [
        (f"whole range, <= 1000 points ({year.resolution}: {len(year.points)}), ms",
         median_ms(lambda: history.query(series, START, end, 1000)),
         median_ms(lambda: baseline_buckets(baseline, sensor, START, end, int(year.step_s))), "1-year chart"),
        (f"1 day raw, today's raw rows ({len(day.points)} points), ms",
         median_ms(lambda: history.query(series, end - DAY, end, 2000)),
         median_ms(lambda: baseline_raw(baseline, sensor, end - DAY, end)), "1-day raw"),
        (f"1 day raw, a compacted day ({len(old_day.points)} points), ms",
         median_ms(lambda: history.query(series, old, old + DAY, 2000)),
         median_ms(lambda: baseline_raw(baseline, sensor, old, old + DAY)), "1-day raw"),
        (f"1 week, <= 1000 points ({week.resolution}: {len(week.points)}), ms",
         median_ms(lambda: history.query(series, end - 7 * DAY, end, 1000)),
         median_ms(lambda: baseline_buckets(baseline, sensor, end - 7 * DAY, end, int(week.step_s))), ""),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 days instead of 365")
    parser.add_argument("--days", type=int, help="how many days of readings")
    args = parser.parse_args()
    days = args.days or (30 if args.quick else 365)
    with tempfile.TemporaryDirectory(prefix="rpymostat-bench-history-") as tmp:
        store_path, baseline_path = Path(tmp) / "store.db", Path(tmp) / "baseline.db"
        store = Store(f"sqlite:///{store_path}")
        store.open(START)
        baseline = open_baseline(baseline_path)
        points = days * 1440 * len(SENSORS)
        print(f"history store vs one row per reading: {days} days x {len(SENSORS)} sensors x 1440 = "
              f"{points:,} points, appended an hour of all sensors ({60 * len(SENSORS)} points) at a time")
        spent = fill(days, store.history, baseline)
        end = START + days * DAY
        # Today stays raw, as on a running hub: compaction takes a day once it has settled.
        store_bytes = compacted_size(store_path, store.engine)
        baseline.execute("VACUUM")
        baseline.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        baseline_bytes = file_size(baseline_path)
        rows = [("ingest, points/s", points / spent["store"], points / spent["baseline"], "ingest"),
                ("ingest, points per CPU second", points / spent["store cpu"], points / spent["baseline cpu"],
                 "ingest"),
                ("compaction in the background, points/s", points / spent["compaction"], float("nan"), ""),
                ("bytes per point on disk (rollups and indexes too)", store_bytes / points, baseline_bytes / points,
                 "bytes/point")]
        rows += queries(store.history, baseline, end, START + days // 2 * DAY)
        print(f"{'':58} {'store':>12} {'baseline':>12}  target")
        for label, ours, theirs, target in rows:
            print(f"{label:58} {fmt(ours):>12} {fmt(theirs):>12}  {TARGETS.get(target, '')}")
        baseline.close()
        store.close()


def fmt(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:,.0f}" if value >= 1000 else f"{value:.2f}"


if __name__ == "__main__":
    main()

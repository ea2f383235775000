"""The sensor node's store-and-forward queue: readings wait on disk until the hub has them.

A reading is appended as soon as it is taken; the sender takes the oldest batch with
``peek``, posts it, and removes exactly that batch with ``ack`` once the hub answered. A
crash between post and ack re-sends the same readings with the same times, which the hub
de-duplicates by (sensor_id, time); the queue itself never holds the same (sensor_id, time)
twice (the first value wins).

Times are normalised on the way in to UTC ISO 8601 with ``Z`` (``timeutil.format_time``),
so that two spellings of one instant are one reading.

Bounds: ``prune(now)`` drops readings older than ``retention_s`` (default 7 days); the
queue never holds more than ``max_entries`` (the oldest go first), checked on every append.

The file is created 0600 and checked at every open (:mod:`rpymostat.runtime.private`): readings
are the household's business.

Threads: one SQLite connection guarded by a lock, so any thread of the daemon's pool can
call any method. WAL journal with ``synchronous=NORMAL``: a crashed process loses nothing
committed; a power cut may lose the last few appends but never corrupts the file.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Iterable

import attrs

from rpymostat.core.timeutil import format_time, is_finite_number, parse_time, to_timestamp
from rpymostat.runtime.private import private_sqlite

DEFAULT_RETENTION_S = 7 * 24 * 3600.0
DEFAULT_MAX_ENTRIES = 100_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    sensor_id TEXT NOT NULL,
    time TEXT NOT NULL,
    ts REAL NOT NULL,
    value REAL NOT NULL,
    UNIQUE (sensor_id, time)
);
CREATE INDEX IF NOT EXISTS readings_by_age ON readings (ts, seq);
"""


@attrs.frozen
class QueuedReading:
    """One reading as it goes to the hub: ``time`` is UTC ISO 8601 text."""

    sensor_id: str
    time: str
    value: float


def normalised(reading: QueuedReading) -> tuple[str, str, float, float]:
    if not isinstance(reading.sensor_id, str) or not reading.sensor_id:
        raise ValueError("a reading needs a sensor id")
    if not is_finite_number(reading.value):
        raise ValueError(f"not a finite temperature: {reading.value!r}")
    instant = parse_time(reading.time)
    return reading.sensor_id, format_time(instant), to_timestamp(instant), float(reading.value)


class ReadingQueue:
    def __init__(
        self,
        path: str | Path,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        retention_s: float = DEFAULT_RETENTION_S,
    ):
        if max_entries < 1 or retention_s <= 0:
            raise ValueError("max_entries and retention_s must be positive")
        self.max_entries = max_entries
        self.retention_s = retention_s
        self._lock = threading.Lock()
        private_sqlite(path)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def append(self, readings: Iterable[QueuedReading]) -> int:
        """Store readings; returns how many were new (duplicates are ignored)."""
        rows = [normalised(r) for r in readings]
        with self._lock, self._db:
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO readings (sensor_id, time, ts, value) VALUES (?, ?, ?, ?)",
                rows,
            )
            added = self._db.total_changes - before
            self._cap()
        return added

    def peek(self, limit: int) -> list[QueuedReading]:
        """The oldest readings (by time, then arrival), left in the queue."""
        with self._lock:
            rows = self._db.execute(
                "SELECT sensor_id, time, value FROM readings ORDER BY ts, seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [QueuedReading(*row) for row in rows]

    def ack(self, batch: Iterable[QueuedReading]) -> int:
        """Remove exactly these readings; returns how many were still queued."""
        keys = [(r.sensor_id, format_time(parse_time(r.time))) for r in batch]
        with self._lock, self._db:
            before = self._db.total_changes
            self._db.executemany("DELETE FROM readings WHERE sensor_id = ? AND time = ?", keys)
            return self._db.total_changes - before

    def prune(self, now: float) -> int:
        """Drop readings older than ``now`` (POSIX seconds) minus the retention, then cap."""
        with self._lock, self._db:
            before = self._db.total_changes
            self._db.execute("DELETE FROM readings WHERE ts < ?", (now - self.retention_s,))
            self._cap()
            return self._db.total_changes - before

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM readings").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _cap(self) -> None:
        excess = self._db.execute("SELECT count(*) FROM readings").fetchone()[0] - self.max_entries
        if excess > 0:
            self._db.execute(
                "DELETE FROM readings WHERE seq IN "
                "(SELECT seq FROM readings ORDER BY ts, seq LIMIT ?)",
                (excess,),
            )

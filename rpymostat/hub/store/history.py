"""The history store: every series the hub records, on its own database (docs/history.md).

Points arrive as rows of ``history_raw`` and, in the same transaction, are added to the
rollups (15 minutes, an hour, a day), so a chart of any length reads a bounded number of
rollup rows. In the background, :meth:`HistoryStore.compact_step` moves each settled day
of a series into one compressed chunk (:mod:`rpymostat.core.history.codec`): the delete of
the raw rows and the write of the chunk are one transaction, so a crash at any moment
leaves either the rows or the chunk, never both and never neither.

Every method blocks on the database: the hub calls them off the reactor, through
``AsyncStore.history``.
"""

from __future__ import annotations

import bisect
import functools
import heapq
from typing import NamedTuple, Optional, Sequence

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine

from rpymostat.core.history.buckets import (
    ROLLUP_STEPS,
    Bucket,
    SeriesData,
    Summary,
    ceil_to,
    choose_step,
    cover,
    floor_to,
    rollup_rows,
    source_step,
)
from rpymostat.core.history.codec import (
    CHUNK_MS,
    VALUE_SCALE,
    chunk_start,
    decode,
    encode,
    merge,
    quantize,
    to_ms,
)
from rpymostat.hub.store.rawsql import Dialect, driver_cursor
from rpymostat.hub.store.schema import (
    history_chunks,
    history_raw,
    history_rollups,
    history_series,
    meta,
)

# A day is compacted once it has been over this long: readings a node kept while the hub
# was away still arrive as raw rows; later ones are merged into the day's chunk.
SETTLE_S = 3600.0
RAW_FROM_KEY = "history_raw_from_ms"  # in ``meta``: raw points before this were removed by retention
_INSERT_ROWS = 1000
_LOCK_ID = 0x5250_4D48  # PostgreSQL advisory lock taken by compaction and retention

Key = tuple[int, int]  # (series id, time in ms)


class Appended(NamedTuple):
    """What :meth:`HistoryStore.append_on` did: the series' ids (for
    :meth:`HistoryStore.remember` once committed), each point's key in the order given, and
    the keys of the points that were new."""

    ids: dict[str, int]
    keys: list[Key]
    new: set[Key]


def _ms_range(start: float, end: float) -> tuple[int, int]:
    return to_ms(start), to_ms(end)


class HistoryStore:
    def __init__(self, engine: Engine, settle_s: float = SETTLE_S):
        self.engine = engine
        self.settle_ms = int(settle_s * 1000)
        self._ids: dict[str, int] = {}  # series known to be committed (see remember)

    # -- writing ---------------------------------------------------------

    def append(self, points: Sequence[tuple[str, float, float]]) -> int:
        """Store ``(series, unix seconds, value)`` points in one transaction; a point whose
        series and time are stored already is skipped. Returns how many were new."""
        with self.engine.begin() as conn:
            appended = self.append_on(conn, points)
        self.remember(appended.ids)
        return len(appended.new)

    def append_on(self, conn: Connection, points: Sequence[tuple[str, float, float]]) -> Appended:
        """:meth:`append` inside the caller's transaction. Within one call the first point
        for a time wins."""
        ids = self._series_ids(conn, {point[0] for point in points})
        keys = [(ids[name], to_ms(time)) for name, time, _ in points]
        rows: dict[Key, int] = {}
        for key, (_, _, value) in zip(keys, points):
            if key not in rows:
                rows[key] = quantize(value)
        if not rows:
            return Appended(ids, keys, set())
        dialect = Dialect.of(conn)
        cursor = driver_cursor(conn)
        try:
            new = self._insert_raw(cursor, dialect, rows)
            new -= self._already_compacted(cursor, dialect, new)
            if len(new) == len(rows):  # the usual case: every point is new
                self._add_to_rollups(cursor, dialect, [(sid, t, value) for (sid, t), value in rows.items()])
            else:
                self._add_to_rollups(cursor, dialect, [(sid, t, rows[sid, t]) for sid, t in new])
        finally:
            cursor.close()
        return Appended(ids, keys, new)

    def remember(self, ids: dict[str, int]) -> None:
        """Keep series ids known to be committed, so that appends need not look them up.
        Only committed ones: a series made by a transaction that rolled back has no row,
        and its id may go to another series."""
        self._ids.update(ids)

    def _series_ids(self, conn: Connection, names: set[str]) -> dict[str, int]:
        ids = {name: self._ids[name] for name in names if name in self._ids}
        missing = sorted(names - ids.keys())
        if missing:
            ids.update(self._lookup(conn, missing))
            created = [name for name in missing if name not in ids]
            if created:
                conn.execute(text("INSERT INTO history_series (name) VALUES (:name) ON CONFLICT (name) DO NOTHING"),
                             [{"name": name} for name in created])
                ids.update(self._lookup(conn, created))
        return ids

    @staticmethod
    def _lookup(conn: Connection, names: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for part in range(0, len(names), 500):
            found.update(conn.execute(select(history_series.c.name, history_series.c.id)
                                      .where(history_series.c.name.in_(names[part:part + 500]))).all())
        return found

    @staticmethod
    def _insert_raw(cursor, dialect: Dialect, rows: dict[Key, int]) -> set[Key]:
        flat = [v for (sid, time_ms), value in rows.items() for v in (sid, time_ms, value)]
        new: set[Key] = set()
        step = 3 * _INSERT_ROWS
        for part in range(0, len(flat), step):
            values = flat[part:part + step]
            cursor.execute(dialect.sql(_insert_raw_sql(len(values) // 3)), values)
            new.update(cursor.fetchall())
        return new

    @staticmethod
    def _already_compacted(cursor, dialect: Dialect, new: set[Key]) -> set[Key]:
        """Points just inserted as raw rows that a chunk holds already (a re-sent reading
        of a day that was compacted since): their rows are taken out again."""
        days = {(sid, time_ms - time_ms % CHUNK_MS) for sid, time_ms in new}
        if not days:
            return set()
        sids = {sid for sid, _ in days}
        starts = [day for _, day in days]
        cursor.execute(dialect.sql(_chunks_in_sql(len(sids))), [*sids, min(starts), max(starts)])
        hit = days.intersection(map(tuple, cursor.fetchall()))
        if not hit:
            return set()
        present: set[Key] = set()
        for sid, day in sorted(hit):
            cursor.execute(dialect.sql(_CHUNK_DATA), (sid, day))
            times = set(decode(cursor.fetchone()[0])[0])
            present.update((s, t) for s, t in new if s == sid and t in times)
        if present:
            cursor.executemany(dialect.sql(_DELETE_RAW), sorted(present))
        return present

    @staticmethod
    def _add_to_rollups(cursor, dialect: Dialect, points: list[tuple[int, int, int]]) -> None:
        """In key order, so that two transactions adding to the same buckets on PostgreSQL
        lock them in the same order."""
        totals = sorted(rollup_rows(points).items())
        for part in range(0, len(totals), _INSERT_ROWS):
            rollups = totals[part:part + _INSERT_ROWS]
            cursor.execute(dialect.sql(_add_rollups_sql(len(rollups))),
                           [v for key, summary in rollups for v in (*key, *summary)])

    # -- compaction and retention -----------------------------------------

    def compact_step(self, now: float, budget: int) -> bool:
        """Compact settled days, a day of one series per transaction, until about ``budget``
        points have moved. True while more is left to do."""
        cutoff = floor_to(to_ms(now) - self.settle_ms, CHUNK_MS)
        with self.engine.connect() as conn:
            series_ids = list(conn.execute(select(history_series.c.id).order_by(history_series.c.id)).scalars())
        moved = 0
        for index, sid in enumerate(series_ids):
            while True:
                if moved >= budget:
                    with self.engine.connect() as conn:
                        return any(self._settled_day(conn, other, cutoff) is not None
                                   for other in series_ids[index:])
                with self.engine.begin() as conn:
                    self._lock(conn)
                    day = self._settled_day(conn, sid, cutoff)
                    if day is None:
                        break
                    moved += self._compact_day(conn, sid, day)
        return False

    @staticmethod
    def _settled_day(conn: Connection, sid: int, cutoff: int) -> Optional[int]:
        """The oldest day of a series with raw points, if it ended before ``cutoff``."""
        oldest = conn.execute(select(func.min(history_raw.c.time_ms))
                              .where(history_raw.c.series_id == sid)).scalar()
        if oldest is None or chunk_start(oldest) >= cutoff:
            return None
        return chunk_start(oldest)

    @staticmethod
    def _compact_day(conn: Connection, sid: int, day: int) -> int:
        """Move a day's raw points into its chunk; returns how many moved. The raw rows are
        deleted and returned by one statement, so a point appended meanwhile is either
        moved or stays raw."""
        moved = conn.execute(text("DELETE FROM history_raw WHERE series_id = :sid AND time_ms >= :lo "
                                  "AND time_ms < :hi RETURNING time_ms, value"),
                             {"sid": sid, "lo": day, "hi": day + CHUNK_MS}).all()
        key = (history_chunks.c.series_id == sid) & (history_chunks.c.start_ms == day)
        old = conn.execute(select(history_chunks.c.data).where(key)).scalar()
        times, values = merge(zip(*decode(old)) if old is not None else (), moved)
        chunk = {"count": len(times), "data": encode(times, values)}
        if old is None:
            conn.execute(insert(history_chunks).values(series_id=sid, start_ms=day, **chunk))
        else:
            conn.execute(update(history_chunks).where(key).values(**chunk))
        return len(moved)

    def apply_retention(self, now: float, raw_keep_s: Optional[float], rollup_keep_s: Optional[float]) -> int:
        """Remove raw points older than ``raw_keep_s`` (whole days: the rollups keep their
        summary) and rollup buckets that ended more than ``rollup_keep_s`` ago; None keeps
        for ever. Returns the rows removed."""
        removed = 0
        with self.engine.begin() as conn:
            self._lock(conn)
            if raw_keep_s is not None:
                cut = floor_to(to_ms(now - raw_keep_s), CHUNK_MS)
                removed += conn.execute(delete(history_chunks).where(history_chunks.c.start_ms < cut)).rowcount
                removed += conn.execute(delete(history_raw).where(history_raw.c.time_ms < cut)).rowcount
                if cut > self._raw_from(conn):
                    mark = update(meta).where(meta.c.key == RAW_FROM_KEY).values(value=str(cut))
                    if conn.execute(mark).rowcount == 0:
                        conn.execute(insert(meta).values(key=RAW_FROM_KEY, value=str(cut)))
            if rollup_keep_s is not None:
                cut_s = int(now - rollup_keep_s)
                removed += conn.execute(delete(history_rollups).where(
                    history_rollups.c.start_s + history_rollups.c.step_s <= cut_s)).rowcount
        return removed

    @staticmethod
    def _lock(conn: Connection) -> None:
        """Compactions and retention take turns on PostgreSQL, where the hub writes from
        several threads; SQLite has one writer anyway."""
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})

    # -- reading ---------------------------------------------------------

    def series_names(self, prefix: str = "") -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(history_series.c.name)
                                     .where(history_series.c.name.startswith(prefix, autoescape=True))
                                     .order_by(history_series.c.name)).scalars())

    def last_point(self, series: str) -> Optional[tuple[float, float]]:
        with self.engine.connect() as conn:
            sid = self._series_id(conn, series)
            if sid is None:
                return None
            candidates = list(conn.execute(select(history_raw.c.time_ms, history_raw.c.value)
                                           .where(history_raw.c.series_id == sid)
                                           .order_by(history_raw.c.time_ms.desc()).limit(1)).all())
            data = conn.execute(select(history_chunks.c.data).where(history_chunks.c.series_id == sid)
                                .order_by(history_chunks.c.start_ms.desc()).limit(1)).scalar()
        if data is not None:
            times, values = decode(data)
            candidates.append((times[-1], values[-1]))
        if not candidates:
            return None
        time_ms, value = max(candidates)
        return time_ms / 1000, value / VALUE_SCALE

    def raw_points(self, series: str, start: float, end: float) -> list[tuple[float, float]]:
        """Every point kept in [start, end), oldest first."""
        lo, hi = _ms_range(start, end)
        with self.engine.connect() as conn:
            sid = self._series_id(conn, series)
            points = self._points(conn, sid, lo, hi) if sid is not None else []
        return [(time_ms / 1000, value / VALUE_SCALE) for time_ms, value in points]

    def query(self, series: str, start: float, end: float, max_points: int) -> SeriesData:
        """The points in [start, end): raw when there are at most ``max_points`` (and none
        were removed by retention there), else buckets of the finest rollup that gives at
        most ``max_points`` of them, with min/mean/max/count exact over the range."""
        if max_points < 1:
            raise ValueError("max_points must be at least 1")
        lo, hi = _ms_range(start, end)
        with self.engine.connect() as conn:
            sid = self._series_id(conn, series)
            if sid is None or hi <= lo:
                return SeriesData(series, "raw", None, ())
            if lo >= self._raw_from(conn) and self._count(conn, sid, lo, hi, max_points) <= max_points:
                points = tuple((t / 1000, v / VALUE_SCALE, v / VALUE_SCALE, v / VALUE_SCALE, 1)
                               for t, v in self._points(conn, sid, lo, hi))
                return SeriesData(series, "raw", None, points)
            name, step_s = choose_step(lo, hi, max_points)
            buckets = self._buckets(conn, sid, lo, hi, step_s)
        return SeriesData(series, name, float(step_s), tuple(b.as_point() for b in buckets))

    def _series_id(self, conn: Connection, series: str) -> Optional[int]:
        """On a connection that wrote nothing, a series found is a committed one."""
        if series not in self._ids:
            self._ids.update(self._lookup(conn, [series]))
        return self._ids.get(series)

    @staticmethod
    def _raw_from(conn: Connection) -> int:
        rows = _fetch(conn, "SELECT value FROM meta WHERE key = ?", RAW_FROM_KEY)
        return int(rows[0][0]) if rows else -(2**62)

    @staticmethod
    def _chunks(conn: Connection, sid: int, lo: int, hi: int) -> list[tuple[list[int], list[int]]]:
        """The chunks that meet [lo, hi), decoded and cut to it."""
        cut = []
        for (data,) in _fetch(conn, _CHUNKS, sid, lo - CHUNK_MS, hi):
            times, values = _decoded(bytes(data))
            a, b = bisect.bisect_left(times, lo), bisect.bisect_left(times, hi)
            cut.append((times[a:b], values[a:b]))
        return cut

    def _points(self, conn: Connection, sid: int, lo: int, hi: int) -> list[tuple[int, int]]:
        compacted = [p for times, values in self._chunks(conn, sid, lo, hi) for p in zip(times, values)]
        raw = _fetch(conn, _RAW, sid, lo, hi)
        if not compacted or not raw:
            return compacted or raw
        return list(heapq.merge(compacted, raw))

    def _count(self, conn: Connection, sid: int, lo: int, hi: int, enough: int) -> int:
        """How many points lie in [lo, hi): whole chunks by their count, the chunks at the
        ends decoded, the raw rows counted; stops early once past ``enough``."""
        ((whole,),) = _fetch(conn, _CHUNK_COUNT, sid, lo, hi - CHUNK_MS)
        if whole > enough:
            return int(whole)
        ((raw,),) = _fetch(conn, _RAW_COUNT, sid, lo, hi)
        ends = 0
        for start in {chunk_start(lo), chunk_start(hi - 1)}:
            if not (start >= lo and start + CHUNK_MS <= hi):
                ends += sum(len(times) for times, _ in self._chunks(conn, sid, max(lo, start),
                                                                    min(hi, start + CHUNK_MS)))
        return int(whole) + raw + ends

    def _buckets(self, conn: Connection, sid: int, lo: int, hi: int, step_s: int) -> list[Bucket]:
        """Buckets of ``step_s`` over [lo, hi): whole ones from the rollup rows, the partial
        ones at the ends summed from finer rollups and raw points, so that they count only
        what lies in the range."""
        step_ms, source = step_s * 1000, source_step(step_s)
        inner_lo, inner_hi = ceil_to(lo, step_ms), floor_to(hi, step_ms)
        totals: dict[int, Summary] = {}
        for start_s, low, high, total, count in _fetch(conn, _ROLLUPS, sid, source, inner_lo // 1000,
                                                       inner_hi // 1000):
            key = floor_to(start_s, step_s)
            totals[key] = Summary(low, high, total, count).merge(totals.get(key))
        # Both ends in one bucket, or a partial bucket at each end (with whole ones between, or none).
        ends = ((lo, hi),) if inner_lo > inner_hi else ((lo, inner_lo), (inner_hi, hi))
        finer = tuple(step for step in reversed(ROLLUP_STEPS) if step < step_s)
        for a, b in ends:
            summary = self._summary(conn, sid, a, b, finer)
            if summary is not None:
                key = floor_to(a, step_ms) // 1000
                totals[key] = summary.merge(totals.get(key))
        return [totals[key].bucket(float(key)) for key in sorted(totals)]

    def _summary(self, conn: Connection, sid: int, lo: int, hi: int, steps: tuple[int, ...]) -> Optional[Summary]:
        """Exact where the raw points are kept; where retention removed them, the finest
        rollup bucket around the piece stands in for it."""
        total: Optional[Summary] = None
        raw_from = self._raw_from(conn)
        for step, a, b in cover(lo, hi, steps):
            if step is not None:
                part = self._rollup_summary(conn, sid, step, a, b)
            elif a >= raw_from:
                part = Summary.of(value for _, value in self._points(conn, sid, a, b))
            else:
                finest = ROLLUP_STEPS[0] * 1000
                part = self._rollup_summary(conn, sid, ROLLUP_STEPS[0], floor_to(a, finest), b)
            if part is not None:
                total = part.merge(total)
        return total

    @staticmethod
    def _rollup_summary(conn: Connection, sid: int, step: int, lo: int, hi: int) -> Optional[Summary]:
        ((low, high, whole, count),) = _fetch(conn, _ROLLUP_SUM, sid, step, lo // 1000, hi // 1000)
        return Summary(low, high, int(whole), int(count)) if count else None


# The append path and the query path's reads in plain SQL (see rawsql.py): every reading
# is appended, and a day of raw points is 1440 rows, which SQLAlchemy's result machinery
# would take longer to hand over than the database takes to find.
_RAW = "SELECT time_ms, value FROM history_raw WHERE series_id = ? AND time_ms >= ? AND time_ms < ? ORDER BY time_ms"
_RAW_COUNT = "SELECT COUNT(*) FROM history_raw WHERE series_id = ? AND time_ms >= ? AND time_ms < ?"
_CHUNKS = "SELECT data FROM history_chunks WHERE series_id = ? AND start_ms > ? AND start_ms < ? ORDER BY start_ms"
_CHUNK_COUNT = ("SELECT COALESCE(SUM(count), 0) FROM history_chunks "
                "WHERE series_id = ? AND start_ms >= ? AND start_ms <= ?")
_ROLLUPS = ("SELECT start_s, low, high, total, count FROM history_rollups "
            "WHERE series_id = ? AND step_s = ? AND start_s >= ? AND start_s < ?")
_ROLLUP_SUM = ("SELECT MIN(low), MAX(high), SUM(total), SUM(count) FROM history_rollups "
               "WHERE series_id = ? AND step_s = ? AND start_s >= ? AND start_s < ?")

_CHUNK_DATA = "SELECT data FROM history_chunks WHERE series_id = ? AND start_ms = ?"
_DELETE_RAW = "DELETE FROM history_raw WHERE series_id = ? AND time_ms = ?"


@functools.cache
def _insert_raw_sql(count: int) -> str:
    return ("INSERT INTO history_raw (series_id, time_ms, value) VALUES " + ", ".join(["(?, ?, ?)"] * count)
            + " ON CONFLICT (series_id, time_ms) DO NOTHING RETURNING series_id, time_ms")


@functools.cache
def _chunks_in_sql(series: int) -> str:
    return (f"SELECT series_id, start_ms FROM history_chunks WHERE series_id IN ({', '.join(['?'] * series)}) "
            f"AND start_ms >= ? AND start_ms <= ?")


@functools.cache
def _add_rollups_sql(count: int) -> str:
    """One statement for all of a batch's buckets (their keys are distinct, as PostgreSQL
    requires of one upsert): one step through the database instead of one a bucket."""
    r = "history_rollups"
    return (f"INSERT INTO {r} (series_id, step_s, start_s, low, high, total, count) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * count)
            + f" ON CONFLICT (series_id, step_s, start_s) DO UPDATE SET "
            f"low = LEAST({r}.low, excluded.low), high = GREATEST({r}.high, excluded.high), "
            f"total = {r}.total + excluded.total, count = {r}.count + excluded.count")


# The chunks a chart reads are mostly the same few (today's, yesterday's): decoding is
# cheap, and cheaper when the bytes are the same as last time.
_decoded = functools.lru_cache(maxsize=64)(decode)


def _fetch(conn: Connection, sql: str, *params) -> list[tuple]:
    cursor = driver_cursor(conn)
    try:
        cursor.execute(Dialect.of(conn).sql(sql), params)
        return cursor.fetchall()
    finally:
        cursor.close()

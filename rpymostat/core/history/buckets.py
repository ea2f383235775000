"""Downsampling: time buckets, their min/mean/max/count, and which resolution a query reads.

Buckets sit on a grid counted from the Unix epoch (a 15-minute bucket starts at :00,
:15, ...; a day at 00:00 UTC), so a coarser bucket is exactly a run of finer ones and the
rollups of every resolution can be kept up to date as points arrive. Summaries are kept
in integers (hundredths, see :mod:`codec`) so that adding them up is exact.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Optional, TypeVar

import attrs

from rpymostat.core.history.codec import VALUE_SCALE

# The rollups kept, finest first: (name, step in seconds).
ROLLUPS: tuple[tuple[str, int], ...] = (("15m", 900), ("1h", 3600), ("1d", 86400))
ROLLUP_STEPS = tuple(step for _, step in ROLLUPS)
DAY_S = 86400

Point = tuple[float, float, float, float, int]  # (time, min, mean, max, count)


@attrs.frozen
class Bucket:
    start: float
    min: float
    mean: float
    max: float
    count: int

    def as_point(self) -> Point:
        return (self.start, self.min, self.mean, self.max, self.count)


@attrs.frozen
class Summary:
    """What a rollup row holds: the extremes, the total and the count, in hundredths."""

    low: int
    high: int
    total: int
    count: int

    @classmethod
    def of(cls, values: Iterable[int]) -> Optional["Summary"]:
        kept = list(values)
        if not kept:
            return None
        return cls(min(kept), max(kept), sum(kept), len(kept))

    def merge(self, other: Optional["Summary"]) -> "Summary":
        if other is None:
            return self
        return Summary(min(self.low, other.low), max(self.high, other.high),
                       self.total + other.total, self.count + other.count)

    def bucket(self, start_s: float) -> Bucket:
        return Bucket(start_s, self.low / VALUE_SCALE, self.total / self.count / VALUE_SCALE,
                      self.high / VALUE_SCALE, self.count)


@attrs.frozen
class SeriesData:
    """A query's answer: raw points (``resolution`` "raw", ``step_s`` None, each point's
    min = mean = max and count 1) or buckets of one resolution."""

    series: str
    resolution: str
    step_s: Optional[float]
    points: tuple[Point, ...]


def floor_to(time_ms: int, step_ms: int) -> int:
    return time_ms - time_ms % step_ms


def ceil_to(time_ms: int, step_ms: int) -> int:
    return -floor_to(-time_ms, step_ms)


def buckets_spanned(start_ms: int, end_ms: int, step_s: int) -> int:
    """How many buckets of the grid meet [start, end)."""
    step_ms = step_s * 1000
    if end_ms <= start_ms:
        return 0
    return (ceil_to(end_ms, step_ms) - floor_to(start_ms, step_ms)) // step_ms


def choose_step(start_ms: int, end_ms: int, max_points: int) -> tuple[str, int]:
    """The finest rollup that gives at most ``max_points`` buckets; past the coarsest, a
    whole number of days (``"7d"``), built from the daily rollup."""
    if max_points < 1:
        raise ValueError("max_points must be at least 1")
    for name, step in ROLLUPS:
        if buckets_spanned(start_ms, end_ms, step) <= max_points:
            return name, step
    days = max(2, -(-buckets_spanned(start_ms, end_ms, DAY_S) // max_points))
    while buckets_spanned(start_ms, end_ms, days * DAY_S) > max_points:
        days += 1
    return f"{days}d", days * DAY_S


def source_step(step_s: int) -> int:
    """The rollup a bucket of ``step_s`` is built from."""
    return step_s if step_s in ROLLUP_STEPS else DAY_S


def cover(start_ms: int, end_ms: int, steps: tuple[int, ...]) -> list[tuple[Optional[int], int, int]]:
    """[start, end) cut into pieces ``(step_s, lo, hi)`` each of whole buckets of one rollup
    (coarsest first in ``steps``), and ``(None, lo, hi)`` for the bits no bucket fits,
    read from the raw points. A summary over any range is then exact and reads little."""
    if start_ms >= end_ms:
        return []
    if not steps:
        return [(None, start_ms, end_ms)]
    step_ms = steps[0] * 1000
    lo, hi = ceil_to(start_ms, step_ms), floor_to(end_ms, step_ms)
    if lo >= hi:
        return cover(start_ms, end_ms, steps[1:])
    return cover(start_ms, lo, steps[1:]) + [(steps[0], lo, hi)] + cover(hi, end_ms, steps[1:])


K = TypeVar("K")
Totals = tuple[int, int, int, int]  # a Summary's fields, as the rollup upsert takes them


def rollup_rows(points: Iterable[tuple[K, int, int]], steps: tuple[int, ...] = ROLLUP_STEPS
                ) -> dict[tuple[K, int, int], Totals]:
    """New points (series, ms, hundredths) summarized as (low, high, total, count) per
    (series, step, bucket start in s), to be added to the rollups. Each step divides the
    next, so the coarser rows are sums of the finest: the points are grouped once. Plain
    tuples, since this runs for every batch of readings."""
    finest_ms = steps[0] * 1000
    groups: defaultdict[tuple[K, int], list[int]] = defaultdict(list)
    for series, time_ms, value in points:
        groups[series, time_ms - time_ms % finest_ms].append(value)
    rows: dict[tuple[K, int, int], Totals] = {}
    for (series, start_ms), values in groups.items():
        low, high, total, count = min(values), max(values), sum(values), len(values)
        rows[series, steps[0], start_ms // 1000] = (low, high, total, count)
        for step in steps[1:]:
            key = (series, step, floor_to(start_ms, step * 1000) // 1000)
            had = rows.get(key)
            rows[key] = (low, high, total, count) if had is None else (
                min(had[0], low), max(had[1], high), had[2] + total, had[3] + count)
    return rows

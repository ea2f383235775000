"""The history store's interface on a real database: idempotent appends, compaction that
loses and duplicates nothing, the choice between raw points and rollups, retention."""

import math

import pytest

from rpymostat.core.history.codec import quantize
from rpymostat.hub.store.schema import history_chunks, history_raw, history_rollups
from tests.history.conftest import T0, count_rows

DAY = 86400.0


def minutes(series: str, start: float, count: int, value=lambda i: 20 + (i % 40) / 16):
    return [(series, start + 60 * i, value(i)) for i in range(count)]


def kept(value: float) -> float:
    """A value as the store keeps it: to the hundredth, halves away from zero."""
    return quantize(value) / 100


def test_append_is_idempotent_and_creates_series(history):
    points = minutes("sensor/28-a", T0, 100)
    assert history.append(points) == 100
    assert history.append(points[50:] + minutes("sensor/28-b", T0, 3)) == 3
    assert history.append([("sensor/28-a", T0, 99.0), ("sensor/28-a", T0, 98.0)]) == 0
    assert history.series_names() == ["sensor/28-a", "sensor/28-b"]
    assert history.series_names("sensor/28-b") == ["sensor/28-b"]
    assert history.last_point("sensor/28-a") == (T0 + 99 * 60, kept(points[-1][2]))
    assert history.last_point("sensor/none") is None
    assert [v for _, v in history.raw_points("sensor/28-a", T0, T0 + 120)] == [20.0, 20.06]


def test_a_refused_batch_stores_nothing_and_leaves_no_series_behind(history):
    with pytest.raises(ValueError, match="cannot store the value nan"):
        history.append([("sensor/a", T0, 20.0), ("sensor/b", T0, math.nan)])
    assert history.series_names() == []
    assert history.append([("sensor/c", T0, 2.0)]) == 1
    assert history.append([("sensor/a", T0, 3.0)]) == 1
    assert history.raw_points("sensor/a", T0, T0 + 1) == [(T0, 3.0)]
    assert history.raw_points("sensor/c", T0, T0 + 1) == [(T0, 2.0)]


def test_prefixes_are_literal(history):
    history.append([("zone/1_x/temperature", T0, 1.0), ("zone/1%/temperature", T0, 1.0),
                    ("zone/12/temperature", T0, 1.0)])
    assert history.series_names("zone/1_") == ["zone/1_x/temperature"]
    assert history.series_names("zone/1%") == ["zone/1%/temperature"]


def test_values_keep_hundredths_and_times_milliseconds(history):
    history.append([("outdoor/temperature", T0 + 0.0004, -3.125), ("outdoor/temperature", T0 + 1.2345, 20.0049)])
    assert history.raw_points("outdoor/temperature", T0 - 1, T0 + 2) == [(T0, -3.13), (T0 + 1.235, 20.0)]


def test_compaction_moves_settled_days_in_steps_and_keeps_every_point(history):
    points = minutes("sensor/a", T0, 3 * 1440) + minutes("sensor/b", T0, 3 * 1440)
    history.append(points)
    now = T0 + 2 * DAY + 2 * 3600  # the third day is not over: it stays raw
    steps = []
    while True:
        steps.append(history.compact_step(now, 1000))
        if not steps[-1]:
            break
    assert steps == [True] * 3 + [False], "a day of one series per transaction, until 1000 points moved"
    assert count_rows(history, history_chunks) == 4
    assert count_rows(history, history_raw) == 2 * 1440
    for series in ("sensor/a", "sensor/b"):
        assert history.raw_points(series, T0, T0 + 3 * DAY) == [(t, kept(v)) for s, t, v in points if s == series]
    assert history.compact_step(now, 1000) is False


def test_a_resent_point_is_not_stored_twice_after_its_day_was_compacted(history):
    points = minutes("sensor/a", T0, 1440)
    history.append(points)
    history.compact_step(T0 + 2 * DAY, 10_000)
    assert count_rows(history, history_raw) == 0
    assert history.append(points[10:20] + [("sensor/a", T0 + 30, 5.0)]) == 1
    assert history.query("sensor/a", T0, T0 + DAY, 10).points[0][4] == 1441, "the rollups count it once"
    assert count_rows(history, history_raw) == 1
    history.compact_step(T0 + 2 * DAY, 10_000)
    assert count_rows(history, history_raw) == 0 and count_rows(history, history_chunks) == 1
    stored = history.raw_points("sensor/a", T0, T0 + DAY)
    assert len(stored) == 1441 and stored[1] == (T0 + 30, 5.0)
    assert history.last_point("sensor/a") == (T0 + 1439 * 60, kept(points[-1][2]))


def test_query_answers_raw_points_up_to_max_points_then_the_finest_rollup_that_fits(history):
    history.append(minutes("sensor/a", T0, 7 * 1440, value=lambda i: float(i % 7)))
    history.compact_step(T0 + 5 * DAY, 100_000)
    day = history.query("sensor/a", T0, T0 + DAY, 1440)
    assert (day.resolution, day.step_s, len(day.points)) == ("raw", None, 1440)
    assert day.points[3] == (T0 + 180, 3.0, 3.0, 3.0, 1)
    quarter = history.query("sensor/a", T0, T0 + DAY, 1439)
    assert (quarter.resolution, quarter.step_s, len(quarter.points)) == ("15m", 900.0, 96)
    assert sum(p[4] for p in quarter.points) == 1440
    week = history.query("sensor/a", T0, T0 + 7 * DAY, 200)
    assert (week.resolution, len(week.points)) == ("1h", 168)
    assert week.points[0] == (T0, 0.0, sum(i % 7 for i in range(60)) / 60, 6.0, 60)
    days = history.query("sensor/a", T0, T0 + 7 * DAY, 7)
    assert (days.resolution, len(days.points)) == ("1d", 7)
    assert history.query("sensor/a", T0, T0 + 7 * DAY, 3).resolution == "3d"
    assert history.query("sensor/none", T0, T0 + DAY, 10).points == ()


def test_buckets_cut_by_the_range_count_only_what_lies_in_it(history):
    history.append(minutes("sensor/a", T0, 2 * 1440, value=lambda i: float(i)))
    history.compact_step(T0 + 3 * DAY, 100_000)
    start, end = T0 + 3600 + 600, T0 + DAY + 7200 + 300  # 01:10 to 02:05 the next day
    answer = history.query("sensor/a", start, end, 30)
    assert answer.resolution == "1h"
    first, last = answer.points[0], answer.points[-1]
    assert first == (T0 + 3600, 70.0, (70 + 119) / 2, 119.0, 50)
    assert last == (T0 + DAY + 7200, 1560.0, 1562.0, 1564.0, 5)
    assert sum(p[4] for p in answer.points) == (end - start) / 60


def test_retention_removes_old_raw_days_and_old_rollups(history):
    history.append(minutes("sensor/a", T0, 4 * 1440))
    history.compact_step(T0 + 5 * DAY, 100_000)
    before = history.query("sensor/a", T0, T0 + 4 * DAY, 100)
    assert history.apply_retention(T0 + 5 * DAY, raw_keep_s=3 * DAY, rollup_keep_s=None) == 2
    assert history.raw_points("sensor/a", T0, T0 + 4 * DAY)[0][0] == T0 + 2 * DAY
    raw_gone = history.query("sensor/a", T0, T0 + 2 * DAY, 5000)
    assert raw_gone.resolution == "15m", "where raw points were removed, the rollups answer"
    assert history.query("sensor/a", T0, T0 + 4 * DAY, 100) == before
    removed = history.apply_retention(T0 + 5 * DAY, raw_keep_s=None, rollup_keep_s=2 * DAY)
    assert removed == 3 * (96 + 24 + 1) and count_rows(history, history_rollups) == 96 + 24 + 1
    assert history.apply_retention(T0 + 5 * DAY, raw_keep_s=3 * DAY, rollup_keep_s=2 * DAY) == 0


def test_readings_resent_after_their_day_was_compacted_count_as_duplicates(store):
    readings = [{"sensor_id": "28-a", "time": T0 + 60 * i, "value": 20 + i / 100, "received_at": T0}
                for i in range(100)]
    assert store.add_reading_batches([("node-1", readings[:60], T0), ("node-1", readings[40:], T0)]) == [60, 40]
    store.history.compact_step(T0 + 2 * DAY, 10_000)
    assert count_rows(store.history, history_raw) == 0
    late = {"sensor_id": "28-a", "time": T0 + 30, "value": 7.0, "received_at": T0 + 2 * DAY}
    assert store.add_reading_batches([("node-1", readings[90:] + [late], T0 + 2 * DAY),
                                      ("node-1", [late], T0 + 2 * DAY)]) == [1, 0]
    times = [r["time"] for r in store.readings_for("28-a", T0, T0 + DAY)]
    assert times == sorted([T0 + 60 * i for i in range(100)] + [T0 + 30])

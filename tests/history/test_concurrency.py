"""Appends and compaction at once, from two threads (as the hub's database threads run them
on PostgreSQL): re-sent points of days being compacted are stored once, and the rollups
count each point once."""

import threading

from tests.history.conftest import T0

DAY = 86400
SERIES = ("sensor/a", "sensor/b")


def batch(k: int) -> list[tuple[str, float, float]]:
    """An hour of one-minute points per series, and again the points of six hours before."""
    def hour(h):
        return [(s, T0 + h * 3600 + 60 * j, (h * 7 + j) % 90 / 4) for s in SERIES for j in range(60)]
    return hour(k) + (hour(k - 6) if k >= 6 else [])


def test_appends_and_compaction_at_once_store_every_point_once(history):
    errors, done = [], threading.Event()
    hours = 5 * 24

    def append():
        try:
            for k in range(hours):
                history.append(batch(k))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            done.set()

    def compact():
        try:
            k = 0
            while not done.is_set() or k < 3:
                history.compact_step(T0 + hours * 3600 + DAY, 500)
                k += 1
        except Exception as exc:  # as above
            errors.append(exc)

    threads = [threading.Thread(target=append), threading.Thread(target=compact)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    for series in SERIES:
        times = [t for t, _ in history.raw_points(series, 0, 2e9)]
        assert times == [T0 + 60 * i for i in range(hours * 60)]
        (whole,) = history.query(series, 0, 2e9, 1).points
        assert whole[4] == hours * 60

import sqlite3
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rpymostat.core.timeutil import format_time
from rpymostat_sensor.queue import QueuedReading, ReadingQueue

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
DAY = 86400.0


def r(sensor_id, seconds, value=20.0):
    return QueuedReading(sensor_id, format_time(T0 + seconds), value)


@pytest.fixture
def queue(tmp_path):
    q = ReadingQueue(tmp_path / "queue.sqlite")
    yield q
    q.close()


def test_oldest_first_whatever_the_append_order(queue):
    queue.append([r("a", 30), r("b", 10)])
    queue.append([r("a", 20)])
    assert queue.peek(10) == [r("b", 10), r("a", 20), r("a", 30)]


def test_peek_is_a_batch_and_does_not_remove(queue):
    queue.append([r("a", s) for s in range(5)])
    assert queue.peek(2) == [r("a", 0), r("a", 1)]
    assert queue.peek(2) == [r("a", 0), r("a", 1)]
    assert len(queue) == 5


def test_ack_removes_exactly_the_batch(queue):
    queue.append([r("a", s) for s in range(5)])
    batch = queue.peek(2)
    queue.append([r("a", -10)])  # arrives (older) while the batch is in flight
    assert queue.ack(batch) == 2
    assert queue.peek(10) == [r("a", -10), r("a", 2), r("a", 3), r("a", 4)]
    assert queue.ack(batch) == 0


def test_duplicates_are_never_stored(queue):
    assert queue.append([r("a", 0, 20.0), r("a", 0, 21.0), r("b", 0)]) == 2
    assert queue.append([r("a", 0, 22.0)]) == 0
    assert queue.peek(10) == [r("a", 0, 20.0), r("b", 0)]


def test_two_spellings_of_one_instant_are_one_reading(queue):
    queue.append([QueuedReading("a", "2026-01-01T01:00:00+01:00", 20.0)])
    queue.append([QueuedReading("a", "2026-01-01T00:00:00Z", 21.0)])
    assert queue.peek(10) == [QueuedReading("a", "2026-01-01T00:00:00Z", 20.0)]


@pytest.mark.parametrize("bad", [
    QueuedReading("a", "2026-01-01T00:00:00", 20.0),  # no offset
    QueuedReading("a", "yesterday", 20.0),
    QueuedReading("a", "2026-01-01T00:00:00Z", float("nan")),
    QueuedReading("a", "2026-01-01T00:00:00Z", None),
    QueuedReading("", "2026-01-01T00:00:00Z", 20.0),
])
def test_invalid_readings_are_refused_whole_batch(queue, bad):
    with pytest.raises(ValueError):
        queue.append([r("a", 0), bad])
    assert len(queue) == 0


def test_retention_relative_to_injected_now(queue):
    queue.append([r("a", 0), r("a", DAY), r("a", 7 * DAY)])
    assert queue.prune(now=T0 + 7 * DAY + 1) == 1
    assert queue.peek(10) == [r("a", DAY), r("a", 7 * DAY)]
    assert queue.prune(now=T0 + 7 * DAY + 1) == 0


def test_custom_retention(tmp_path):
    q = ReadingQueue(tmp_path / "q.sqlite", retention_s=3600)
    q.append([r("a", 0), r("a", 1800)])
    q.prune(now=T0 + 3600 + 900)
    assert q.peek(10) == [r("a", 1800)]


def test_cap_drops_the_oldest(tmp_path):
    q = ReadingQueue(tmp_path / "q.sqlite", max_entries=3)
    q.append([r("a", s) for s in (5, 1, 4, 2)])
    q.append([r("a", 3)])
    assert q.peek(10) == [r("a", 3), r("a", 4), r("a", 5)]


def test_survives_restart(tmp_path):
    path = tmp_path / "q.sqlite"
    q = ReadingQueue(path)
    q.append([r("a", 0, 19.5), r("b", 1, 20.25)])
    in_flight = q.peek(10)
    q.close()  # crash between send and ack

    q = ReadingQueue(path)
    assert q.peek(10) == in_flight  # the same readings, with the same times
    q.append(in_flight)
    assert len(q) == 2
    q.ack(in_flight)
    q.close()
    assert len(ReadingQueue(path)) == 0


def test_concurrent_appends_from_threads(queue):
    def worker(sensor):
        for s in range(50):
            queue.append([r(sensor, s)])

    threads = [threading.Thread(target=worker, args=(f"s{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(queue) == 200


def test_file_is_plain_sqlite(tmp_path):
    path = tmp_path / "q.sqlite"
    q = ReadingQueue(path)
    q.append([r("a", 0)])
    q.close()
    rows = sqlite3.connect(path).execute("SELECT sensor_id, time, value FROM readings").fetchall()
    assert rows == [("a", "2026-01-01T00:00:00Z", 20.0)]


events = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.lists(
            st.tuples(st.sampled_from("abc"), st.integers(0, 30)), max_size=5)),
        st.tuples(st.just("ack"), st.integers(0, 6)),
    ),
    max_size=30,
)


@settings(max_examples=50)
@given(events=events)
def test_matches_a_simple_model(tmp_path_factory, events):
    q = ReadingQueue(tmp_path_factory.mktemp("q") / "q.sqlite", max_entries=10)
    model = {}  # (sensor, second) -> arrival number
    arrivals = 0
    for kind, arg in events:
        if kind == "append":
            for sensor, second in arg:
                if (sensor, second) not in model:
                    model[(sensor, second)] = arrivals = arrivals + 1
            while len(model) > 10:
                del model[min(model, key=lambda k: (k[1], model[k]))]
            q.append([r(sensor, second) for sensor, second in arg])
        else:
            q.ack(q.peek(arg))
            for key in sorted(model, key=lambda k: (k[1], model[k]))[:arg]:
                del model[key]
        expected = [r(sensor, second) for sensor, second in
                    sorted(model, key=lambda k: (k[1], model[k]))]
        assert q.peek(100) == expected
    q.close()


def test_the_queue_file_is_private_whatever_the_umask_and_an_open_one_is_tightened(tmp_path):
    import os
    import stat

    from twisted.logger import capturedLogs

    def modes():
        return {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}

    previous = os.umask(0o022)
    try:
        q = ReadingQueue(tmp_path / "queue.sqlite3")
        q.append([r("a", 1)])
        assert modes() == {"queue.sqlite3": 0o600, "queue.sqlite3-wal": 0o600, "queue.sqlite3-shm": 0o600}
        q.close()
        os.chmod(tmp_path / "queue.sqlite3", 0o644)
        with capturedLogs() as events:
            again = ReadingQueue(tmp_path / "queue.sqlite3")
        assert modes()["queue.sqlite3"] == 0o600 and len(again) == 1
        assert [e for e in events if e["log_level"].name == "warn" and "queue.sqlite3" in e["path"]]
        again.close()
    finally:
        os.umask(previous)

"""The InfluxDB sink without a server: line protocol, the bounded buffer and its drop
counter, retries with backoff, a refused batch; and when the hub attaches it."""

import threading

import pytest
from twisted.logger import globalLogPublisher

from rpymostat.hub.config import load_hub_config
from rpymostat.hub.influx import (
    Backoff,
    ExportingHistory,
    InfluxExport,
    InfluxSink,
    Refused,
    attach_influx,
    layout,
    line,
)


@pytest.mark.parametrize("series, expected", [
    ("sensor/28-0316a2795aff", ("temperature", {"sensor": "28-0316a2795aff"}, "value")),
    ("zone/3/target_low", ("zone", {"zone": "3"}, "target_low")),
    ("output/phidget-523456/2/state", ("output", {"output": "phidget-523456/2"}, "state")),
    ("outdoor/temperature", ("outdoor", {}, "temperature")),
    ("weather/wind speed", ("weather", {"series": "wind speed"}, "value")),
])
def test_each_kind_of_series_has_its_measurement_tags_and_field(series, expected):
    assert layout(series) == expected


def test_a_point_is_one_line_with_escaped_tags_and_milliseconds():
    assert line(("sensor/a b,c=d", 1_790_000_000.5, 20.25), {"system": "home"}) == \
        "temperature,sensor=a\\ b\\,c\\=d,system=home value=20.25 1790000000500"
    assert line(("zone/1/mode", 1_790_000_000, 3), {}) == "zone,zone=1 mode=3.0 1790000000000"


class Server:
    """A write function that fails while ``down`` and records what it was given."""

    def __init__(self, down=0, refuse=False):
        self.down = down
        self.refuse = refuse
        self.batches = []

    def __call__(self, lines):
        if self.refuse:
            raise Refused("bad line")
        if self.down:
            self.down -= 1
            raise ConnectionRefusedError("connection refused")
        self.batches.append(list(lines))


class Waits:
    """Stands in for the stop event's ``wait``: records each delay, waits for none."""

    def __init__(self, sink):
        self.delays = []
        self.sink = sink
        sink._stopping = self

    def wait(self, delay):
        self.delays.append(delay)
        return False

    def is_set(self):
        return False

    def set(self):
        pass

    def clear(self):
        pass


def points(count, start=0):
    return [("sensor/s1", 1_790_000_000.0 + i, 20.0 + i / 100) for i in range(start, start + count)]


def test_a_full_buffer_drops_new_points_and_counts_them():
    server = Server()
    sink = InfluxSink(server, capacity=10, batch=4)
    assert sink.offer(points(15)) == 10
    assert sink.dropped == 5
    for _ in range(3):
        sink.send(sink._take())
        sink._done()
    assert [len(b) for b in server.batches] == [4, 4, 2]
    assert server.batches[0][0].endswith(" 1790000000000")
    assert sink.written == 10 and sink.dropped == 5
    assert sink.offer(points(3, start=20)) == 3  # room again


def test_a_failed_batch_is_retried_with_doubling_delays_until_written():
    server = Server(down=5)
    sink = InfluxSink(server, backoff=Backoff(first_s=1, most_s=8))
    waits = Waits(sink)
    assert sink.send(points(3))
    assert waits.delays == [1, 2, 4, 8, 8]
    assert sink.retries == 5 and sink.written == 3 and len(server.batches) == 1


@pytest.mark.logs_errors("the InfluxDB server refused 2 points")
def test_a_refused_batch_is_not_retried():
    sink = InfluxSink(Server(refuse=True))
    waits = Waits(sink)
    assert not sink.send(points(2))
    assert sink.rejected == 2 and waits.delays == []


def test_the_thread_writes_what_is_offered_and_stops():
    server = Server()
    sink = InfluxSink(server, batch=100)
    sink.start()
    try:
        sink.offer(points(250))
        assert sink.drain(10)
    finally:
        sink.stop()
    assert sum(len(b) for b in server.batches) == 250
    assert not any(t.name == "rpymostat-influx" and t.is_alive() for t in threading.enumerate())


def test_stopping_gives_up_a_batch_the_server_keeps_failing():
    server = Server(down=10**9)
    sink = InfluxSink(server, backoff=Backoff(first_s=0.01, most_s=0.01))
    sink.start()
    sink.offer(points(5))
    sink.stop(timeout_s=10)
    assert sink.written == 0 and sink.dropped == 5


def config(tmp_path, **env):
    return load_hub_config(tmp_path, environ={f"RPYMOSTAT_{k.upper()}": v for k, v in env.items()})


class History:
    """Stands in for the store's history: what the export wraps."""


class Store:
    history = History()


def test_the_export_is_attached_only_when_configured(tmp_path):
    store = Store()
    assert attach_influx(config(tmp_path), store) is None and isinstance(store.history, History)
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    export = attach_influx(config(tmp_path, influxdb_url="http://127.0.0.1:9", influxdb_token_file=str(token),
                                  system="attic"), store)
    assert isinstance(export, InfluxExport) and isinstance(store.history, ExportingHistory)
    assert export.sink.tags == {"system": "attic"}


@pytest.mark.logs_errors("the InfluxDB export is off: its token file cannot be read")
def test_an_unreadable_token_file_leaves_the_export_off_and_says_so(tmp_path):
    said = []
    globalLogPublisher.addObserver(said.append)
    try:
        store = Store()
        assert attach_influx(config(tmp_path, influxdb_url="http://127.0.0.1:9",
                                    influxdb_token_file=str(tmp_path / "missing")), store) is None
    finally:
        globalLogPublisher.removeObserver(said.append)
    assert isinstance(store.history, History)
    (error,) = [e for e in said if e["log_level"].name == "error"]
    assert "influxdb_token_file" in error["log_format"] and "missing" in str(error["why"])

"""Sampling does not wait for delivery: readings are taken on the node's schedule whatever
the hub does (frozen, refusing, gone), and delivery catches up from the queue beside it,
one batch at a time, with its own backoff."""

from __future__ import annotations

import sqlite3

import pytest
from twisted.internet.defer import Deferred, maybeDeferred

from rpymostat_sensor.daemon import Delivery, Sampling, measure
from rpymostat_sensor.drivers import Reading, SensorInfo
from tests.hubkit import Hub
from tests.sensor.sensorkit import Node, stored

INTERVAL = 5


@pytest.fixture
def hub(tmp_path):
    hub = Hub(f"sqlite:///{tmp_path / 'hub.db'}")
    hub.call("PATCH", "/v1/settings", {"report_interval_s": INTERVAL})
    yield hub
    hub.close()


def grid(start: float, first: int, last: int) -> list[float]:
    return [start + INTERVAL * i for i in range(first, last + 1)]


def test_a_frozen_hub_delays_no_reading_and_gets_them_all_in_order_when_it_answers(hub, tmp_path):
    node = Node(hub, tmp_path / "node")
    start = hub.clock.seconds()
    node.start()
    assert [t for _, t in stored(hub)] == [start, start]

    node.http.frozen = True  # every request now hangs until its 10 s timeout
    node.advance(120)
    assert node.queued_times() == grid(start, 1, 24), "one sample every interval, none waiting for the hub"
    assert node.http.most_in_flight["/v1/readings"] == 1, "one batch in flight at a time"
    assert node.node.link.client is None, "the link noticed the hub is gone"

    node.http.frozen = False
    node.advance(90)
    times = [t for _, t in stored(hub)]
    assert times == sorted(times), "delivered oldest first"
    assert sorted(set(times)) == grid(start, 0, 42)
    assert len(times) == 2 * len(set(times)), "both sensors, each reading once"
    assert len(node.queue) == 0
    node.stop()


def test_a_refusing_hub_delays_no_reading_and_gets_them_all_once_it_takes_them(hub, tmp_path):
    node = Node(hub, tmp_path / "node")
    start = hub.clock.seconds()
    node.start()
    node.http.canned["/v1/readings"] = (503, {"error": {"code": "busy", "message": "later"}})
    node.advance(12 * INTERVAL)
    assert node.queued_times() == grid(start, 1, 12)
    assert node.node.delivery.state in (Delivery.BACKING_OFF, Delivery.OFFLINE)

    del node.http.canned["/v1/readings"]
    node.advance(30)
    times = [t for _, t in stored(hub)]
    assert times == sorted(times) and sorted(set(times)) == grid(start, 0, 18)
    assert len(node.queue) == 0
    node.stop()


def test_delivery_retries_on_a_backoff_of_its_own_that_a_success_resets(hub, tmp_path):
    hub.call("PATCH", "/v1/settings", {"report_interval_s": 3600})  # no new sample to help
    node = Node(hub, tmp_path / "node")
    posted_at = []
    request = node.http.request

    def timed(method, url, **kwargs):
        if url.endswith("/v1/readings"):
            posted_at.append(hub.clock.seconds() - start)
        return request(method, url, **kwargs)

    node.http.request = timed
    node.http.canned["/v1/readings"] = (500, {"error": {"code": "oops", "message": "oops"}})
    start = hub.clock.seconds()
    node.start()
    node.advance(60, step=0.5)
    assert posted_at[:3] == [0, 1, 3], "1 s, then 2 s"
    assert len(posted_at) <= 10 and posted_at[-1] - posted_at[-2] >= 8, "the gaps grow"
    assert len(node.queue) == 2

    del node.http.canned["/v1/readings"]
    node.advance(30, step=0.5)
    assert len(node.queue) == 0
    node.http.canned["/v1/readings"] = (500, {"error": {"code": "oops", "message": "oops"}})
    node.advance(3600 - 90 - 1)
    posted_at.clear()
    node.advance(4.5, step=0.5)
    assert posted_at == [3600, 3601, 3603], "after a success the backoff starts again at 1 s"
    node.stop()


def test_readings_keep_coming_while_no_hub_was_ever_found(hub, tmp_path):
    node = Node(hub, tmp_path / "node", enrollment_key=None)
    start = hub.clock.seconds()
    node.start()
    node.advance(60)
    assert node.queued_times() == [start + 30 * i for i in range(3)], "the node's own 30 s until the hub says"
    assert node.node.delivery.state is Delivery.OFFLINE
    node.stop()


class HeldRun:
    """A ``run`` that holds calls of the functions in ``held`` until ``release()``."""

    def __init__(self, held):
        self.held = set(held)
        self.waiting: list[tuple[Deferred, object, tuple]] = []

    def __call__(self, f, *args):
        if f in self.held:
            d = Deferred()
            self.waiting.append((d, f, args))
            return d
        return maybeDeferred(f, *args)

    def release(self):
        waiting, self.waiting = self.waiting, []
        for d, f, args in waiting:
            maybeDeferred(f, *args).chainDeferred(d)


def test_stop_waits_for_the_measurement_in_progress_and_queues_its_readings(hub, tmp_path):
    node = Node(hub, tmp_path / "node")
    node.start()
    held = node.node.run = HeldRun({measure})
    node.advance(30)
    assert node.node.sampling.state is Sampling.MEASURING and len(node.queue) == 0
    stopping = node.node.stop()
    assert not stopping.called
    held.release()
    assert stopping.called and len(node.queue) == 2, "the last sample is kept for the next start"
    node.advance(60)
    assert len(node.queue) == 2 and node.node.sampling.state is Sampling.STOPPED
    node.queue.close()


def test_stop_cancels_the_post_in_flight_and_keeps_its_batch(hub, tmp_path):
    node = Node(hub, tmp_path / "node")
    node.start()
    node.http.frozen = True
    node.advance(INTERVAL)
    assert node.node.delivery.state is Delivery.SENDING and node.http.in_flight["/v1/readings"] == 1
    assert node.node.stop().called
    assert node.http.in_flight["/v1/readings"] == 0
    assert len(node.queue) == 2
    node.queue.close()


class BrokenDriver:
    """Breaks the driver contract (a failed read is a Reading, never an exception)."""

    def discover(self):
        return [SensorInfo("28-000000000001", "DS18B20", "one")]

    def read(self, sensor_id):
        raise RuntimeError("driver bug")


def test_an_unexpected_error_stops_the_node_instead_of_being_logged_and_ignored(hub, tmp_path):
    node = Node(hub, tmp_path / "node", driver=BrokenDriver())
    node.start()
    failures = []
    node.node.crashed.addErrback(failures.append)
    assert failures and failures[0].check(RuntimeError)
    assert node.node.sampling.state is Sampling.STOPPED and node.node.delivery.state is Delivery.STOPPED
    node.advance(60)
    assert node.http.posts("/v1/readings") == 0
    node.queue.close()


class FullDisk:
    """A queue whose appends fail as SQLite does on a full disk."""

    def __init__(self, queue):
        self.queue = queue
        self.full = True

    def append(self, readings):
        if self.full:
            raise sqlite3.OperationalError("database or disk is full")
        return self.queue.append(readings)

    def __getattr__(self, name):
        return getattr(self.queue, name)


def test_a_queue_that_cannot_be_written_loses_that_sample_and_sampling_goes_on(hub, tmp_path):
    node = Node(hub, tmp_path / "node")
    disk = node.node.queue = FullDisk(node.queue)
    start = hub.clock.seconds()
    node.start()
    node.advance(INTERVAL)
    assert stored(hub) == []
    disk.full = False
    node.advance(INTERVAL)
    assert [t for _, t in stored(hub)] == [start + 2 * INTERVAL] * 2
    assert not node.node.crashed.called
    node.stop()


def test_a_reading_taken_while_delivery_is_sending_waits_for_the_next_batch(hub, tmp_path):
    """The sample that arrives during a post does not start a second one."""
    node = Node(hub, tmp_path / "node")
    node.start()
    node.http.frozen = True
    node.advance(INTERVAL)
    node.advance(INTERVAL)  # a sample while the first post still hangs
    assert node.http.posts("/v1/readings") == 2, "the first start's post, then one for both samples"
    node.http.frozen = False
    node.advance(10)
    assert len(node.queue) == 0 and node.http.most_in_flight["/v1/readings"] == 1
    node.stop()


def test_sensor_readings_are_stamped_with_the_sample_time():
    class Driver:
        def discover(self):
            return [SensorInfo("a", "sim", "a")]

        def read(self, sensor_id):
            return Reading.good(sensor_id, 21.5)

    result = measure(Driver(), 1_790_000_000.0)
    assert [(r.sensor_id, r.time, r.value) for r in result.readings] == [("a", "2026-09-21T14:13:20Z", 21.5)]

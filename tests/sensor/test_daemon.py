"""The sensor node's cycle against the in-memory hub, on a Clock: enrollment, reports at
the hub's interval, the queue across outages and restarts, what is dropped and what kept."""

from __future__ import annotations

import pytest

from rpymostat.core.timeutil import format_time
from rpymostat.node.credentials import load_credentials
from rpymostat.node.link import HubLink
from tests.hubkit import Hub
from tests.sensor.sensorkit import Node, stored


def test_enrolls_registers_and_reports_at_once_then_every_interval(hub, tmp_path):
    node = Node(hub, tmp_path / "node")
    start = hub.clock.seconds()
    node.start()
    credentials = load_credentials(tmp_path / "node")
    assert credentials.hub_id == hub.hub_id and credentials.token
    assert (tmp_path / "node" / "hub.json").stat().st_mode & 0o077 == 0
    assert stored(hub) == [("28-000000000001", start), ("28-000000000002", start)]
    sensors = hub.call("GET", "/v1/sensors").body["sensors"]
    assert {s["id"] for s in sensors} == {"28-000000000001", "28-000000000002"}

    node.advance(29)
    assert len(stored(hub)) == 2
    node.advance(1)
    assert len(stored(hub)) == 4, "the hub's report_interval_s (30 s by default) sets the pace"
    assert len(node.queue) == 0
    node.stop()


def test_report_interval_follows_the_hub(hub, tmp_path):
    assert hub.call("PATCH", "/v1/settings", {"report_interval_s": 10}).status == 200
    node = Node(hub, tmp_path / "node")
    node.start()
    assert node.node.report_interval_s == 10
    node.advance(30)
    assert len(stored(hub)) == 2 * 4
    node.stop()


def test_outage_keeps_readings_and_replays_them_oldest_first_with_their_times(hub, tmp_path):
    node = Node(hub, tmp_path / "node")
    start = hub.clock.seconds()
    node.start()
    node.http.down = True
    node.advance(30 * 5)  # five cycles while the hub is away
    assert len(node.queue) == 10
    assert node.node.link.client is None, "three failed calls drop the link"
    node.http.down = False
    node.advance(40)  # backoff retries at most 30 s apart find the hub again
    times = [t for _, t in stored(hub)]
    assert times == sorted(times)
    expected = [start + 30 * i for i in range(len(times) // 2)]
    assert sorted(set(times)) == expected, "every cycle's reading arrives with its own time"
    assert len(times) == len(set(stored(hub))) == 2 * len(expected) >= 2 * 7
    assert len(node.queue) == 0
    node.stop()


def test_readings_survive_a_node_restart_and_are_never_stored_twice(hub, tmp_path):
    node = Node(hub, tmp_path / "node")
    node.start()
    node.http.down = True
    node.advance(60)
    queued = len(node.queue)
    node.stop()
    assert queued == 4
    hub.clock.advance(1)

    again = Node(hub, tmp_path / "node")
    again.start()
    assert again.http.posts("/v1/enroll") == 0, "the stored token is reused"
    assert len(stored(hub)) == 2 + queued + 2
    assert len(again.queue) == 0
    # The same batch sent twice (say the node died before it removed it) is stored once.
    again.queue.append(node_queue_copy(hub))
    again.advance(30)
    assert len(stored(hub)) == len(set(stored(hub)))
    assert again.node.stats["duplicates"] == 2
    again.stop()


def node_queue_copy(hub: Hub):
    from rpymostat_sensor.queue import QueuedReading

    sensor_id, when = stored(hub)[0]
    return [QueuedReading(sensor_id, format_time(when), 20.0), QueuedReading("28-000000000002",
                                                                               format_time(when), 20.0)]


@pytest.mark.parametrize("status", [400, 413, 422])
def test_a_batch_the_hub_calls_invalid_is_dropped_not_retried(hub, tmp_path, status):
    node = Node(hub, tmp_path / "node")
    node.http.canned["/v1/readings"] = (status, {"error": {"code": "invalid", "message": "no"}})
    node.start()
    assert len(node.queue) == 0 and node.node.stats["dropped"] == 2
    posts = node.http.posts("/v1/readings")
    node.advance(30)
    assert node.http.posts("/v1/readings") == posts + 1, "one post per new cycle, no retry loop"
    assert stored(hub) == []
    node.stop()


@pytest.mark.parametrize("status", [500, 503, 401, 403, 404])
def test_server_errors_and_refused_tokens_keep_the_readings(hub, tmp_path, status):
    node = Node(hub, tmp_path / "node")
    node.start()
    node.http.canned["/v1/readings"] = (status, {"error": {"code": "x", "message": "y"}})
    node.advance(30)
    assert len(node.queue) == 2
    del node.http.canned["/v1/readings"]
    node.advance(60)
    assert len(node.queue) == 0 and len(stored(hub)) == 2 * 4
    node.stop()


def test_per_reading_rejections_are_dropped_and_failed_driver_readings_never_sent(hub, tmp_path):
    from rpymostat_sensor.queue import QueuedReading

    node = Node(hub, tmp_path / "node")
    node.source.broken.add("28-000000000002")
    node.start()
    assert stored(hub) == [("28-000000000001", hub.clock.seconds())]
    node.source.broken.clear()
    node.queue.append([QueuedReading("28-000000000001", format_time(hub.clock.seconds() - 1), 99.0)])
    node.advance(30)
    assert node.node.stats["rejected"] == 1 and len(node.queue) == 0
    assert len(stored(hub)) == 3
    hub.call("DELETE", "/v1/nodes/pi-1")  # the hub forgets the node and revokes its token
    node.advance(32)  # the next cycle's post is refused; delivery tries again after its backoff
    assert node.http.posts("/v1/enroll") == 2, "the forgotten node enrolled anew with its key"
    assert len(node.queue) == 0 and len(stored(hub)) == 5, "a 401 is not the readings' fault: they are kept"
    node.stop()


def test_a_hub_with_another_hub_id_is_not_used(hub, tmp_path):
    node = Node(hub, tmp_path / "node")
    node.start()
    node.stop()
    other = Node(hub, tmp_path / "node")
    other.http.canned["/v1/nodes"] = (200, {"node": {"sensors": []}, "hub_id": "someone-else",
                                            "settings": {}})
    other.start()
    other.advance(5)
    assert other.node.link.client is None
    assert other.http.posts("/v1/readings") == 0
    assert len(other.queue) == 2, "readings wait for the hub the node enrolled with"
    other.stop()


def test_without_token_or_enrollment_key_the_node_only_queues(hub, tmp_path):
    node = Node(hub, tmp_path / "node", enrollment_key=None)
    node.start()
    node.advance(60)
    assert node.http.posts("/v1/enroll") == 0 and node.node.link.client is None
    assert len(node.queue) == 6
    node.stop()


def test_a_configured_device_token_is_used_without_enrolling_and_pins_the_hub(hub, tmp_path):
    node = Node(hub, tmp_path / "node", enrollment_key=None, token=hub.node_token("pi-1"))
    node.start()
    assert node.http.posts("/v1/enroll") == 0
    assert len(stored(hub)) == 2
    assert load_credentials(tmp_path / "node").hub_id == hub.hub_id
    node.stop()


def test_a_shorter_interval_from_the_hub_applies_to_the_cycle_already_waiting(hub, tmp_path):
    hub.call("PATCH", "/v1/settings", {"report_interval_s": 5})
    node = Node(hub, tmp_path / "node")
    node.node.link.start = lambda: None  # the first cycle runs before the hub is found
    node.start()
    assert node.node.report_interval_s == 30 and len(node.queue) == 2
    HubLink.start(node.node.link)
    node.flush()
    assert node.node.report_interval_s == 5 and len(stored(hub)) == 2
    node.advance(5)
    assert len(stored(hub)) == 4
    node.stop()

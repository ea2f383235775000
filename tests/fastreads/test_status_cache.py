"""GET /v1/status is built and encoded once per change, and never answers stale."""

from __future__ import annotations

from rpymostat.core.timeutil import format_time
from tests.hubkit import START, sensor_node


def built(hub) -> list:
    calls = []
    inner = hub.api.status_now

    def counting(now):
        calls.append(now)
        return inner(now)

    hub.api.status_now = counting
    return calls


def status(hub) -> dict:
    reply = hub.call("GET", "/v1/status")
    assert reply.status == 200
    return reply.body


def test_the_same_second_with_no_change_is_built_once(hub):
    calls = built(hub)
    first = status(hub)
    hub.clock.advance(0.5)
    assert status(hub) == first and len(calls) == 1
    assert first["time"] == format_time(START)


def test_a_reading_a_change_or_the_next_second_shows_at_once(hub):
    sensor_node(hub)
    hub.call("POST", "/v1/zones", {"name": "Living", "sensors": ["28-000000000001"]})
    calls = built(hub)
    assert status(hub)["zones"][0]["temperature"] is None
    hub.call("POST", "/v1/readings", {"node_id": "node-1", "readings": [
        {"sensor_id": "28-000000000001", "time": format_time(START), "value": 20.5}]}, token="device")
    assert status(hub)["zones"][0]["temperature"] == 20.5
    hub.call("PATCH", "/v1/zones/1", {"name": "Lounge"})
    assert status(hub)["zones"][0]["name"] == "Lounge"
    hub.call("PATCH", "/v1/settings", {"report_interval_s": 10})
    hub.clock.advance(1)
    later = status(hub)
    assert later["time"] == format_time(START + 1) and later["uptime_s"] == 1
    hub.clock.advance(60)
    assert status(hub)["zones"][0]["temperature"] is None  # stale after 3 missed reports
    assert len(calls) == 5  # one per answer: each followed a change

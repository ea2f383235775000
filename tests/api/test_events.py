"""GET /v1/events: readings, changes and decisions as Server-Sent Events, a heartbeat on the
events' clock, and resuming after Last-Event-ID (or a reset when that cannot be done)."""

import json

import pytest
import treq
from twisted.internet.error import ConnectionDone

from rpymostat.hub.events import HEARTBEAT_S, Events
from tests.hubkit import sensor_node


def parse(raw: bytes) -> list[tuple[str | None, str, dict | None]]:
    """(id, event, data) of each event block; comments (heartbeats) as ("", ":", None)."""
    found = []
    for block in raw.decode().split("\n\n"):
        if not block:
            continue
        if block.startswith(":"):
            found.append(("", ":", None))
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        if "event" in fields:
            found.append((fields.get("id"), fields["event"], json.loads(fields["data"])))
    return found


class Stream:
    def __init__(self, hub, last_id=None, token="admin"):
        self.hub = hub
        self.chunks: list[bytes] = []
        self.responses = []
        self.closing = False
        headers = {"Host": "hub", "Authorization": f"Bearer {hub.admin_token if token == 'admin' else token}"}
        if last_id:
            headers["Last-Event-ID"] = last_id
        self.sent = hub.client.request("GET", "http://hub/v1/events", headers=headers)
        self.sent.addCallback(self._opened)
        self.sent.addErrback(lambda failure: failure.trap(ConnectionDone))
        hub.client.flush()

    def _opened(self, response):
        self.responses.append(response)
        return treq.collect(response, self._collect)

    def _collect(self, data: bytes) -> None:
        if self.closing:
            raise ConnectionDone("the client went away")  # treq then closes the connection
        self.chunks.append(data)

    def close(self):
        """The client goes: the next bytes the hub sends (a heartbeat) meet a closed connection."""
        self.closing = True
        self.hub.clock.advance(HEARTBEAT_S)
        self.hub.client.flush()

    def events(self):
        self.hub.client.flush()
        return parse(b"".join(self.chunks))


@pytest.fixture
def streaming(hub):
    sensor_node(hub)
    return hub


def post_reading(hub, value, time="2026-09-21T14:13:00Z", sensor="28-000000000001"):
    reply = hub.call("POST", "/v1/readings", {"node_id": "node-1", "readings": [
        {"sensor_id": sensor, "time": time, "value": value}]}, token="device")
    assert reply.status == 202, reply.body


def test_a_stream_says_hello_then_carries_readings_and_changes(streaming):
    stream = Stream(streaming)
    assert stream.responses[0].code == 200
    assert stream.responses[0].headers.getRawHeaders("content-type") == ["text/event-stream; charset=utf-8"]
    post_reading(streaming, 20.5)
    streaming.call("PATCH", "/v1/sensors/28-000000000001", {"alias": "Sofa"})
    events = stream.events()
    assert [kind for _, kind, _ in events] == ["hello", "reading", "change"]
    assert events[1][2] == {"sensor_id": "28-000000000001", "value": 20.5, "time": "2026-09-21T14:13:00Z"}
    assert events[2][2] == {"kind": "sensors"}


def test_an_older_reading_is_no_event(streaming):
    post_reading(streaming, 20.5, time="2026-09-21T14:13:00Z")
    stream = Stream(streaming)
    post_reading(streaming, 19.0, time="2026-09-21T14:00:00Z")
    assert [kind for _, kind, _ in stream.events()] == ["hello"]


def test_heartbeats_on_the_events_clock_and_the_stream_ends_with_its_client(streaming):
    stream = Stream(streaming)
    events = streaming.api.events
    assert events.listeners == 1
    streaming.clock.advance(HEARTBEAT_S)
    streaming.clock.advance(HEARTBEAT_S)
    assert [kind for _, kind, _ in stream.events()] == ["hello", ":", ":"]
    stream.close()
    assert events.listeners == 0
    assert not [call for call in streaming.clock.getDelayedCalls() if "heartbeat" in repr(call)]


def test_a_dropped_stream_resumes_after_its_last_event(streaming):
    first = Stream(streaming)
    post_reading(streaming, 20.5, time="2026-09-21T14:13:00Z")
    last_id = first.events()[-1][0]
    first.close()
    post_reading(streaming, 20.7, time="2026-09-21T14:13:30Z")
    post_reading(streaming, 20.9, time="2026-09-21T14:14:00Z")
    again = Stream(streaming, last_id=last_id)
    assert [(kind, data and data.get("value")) for _, kind, data in again.events()] == [
        ("hello", None), ("reading", 20.7), ("reading", 20.9)]


def test_a_stream_that_drops_before_any_event_resumes_from_its_hello(streaming):
    first = Stream(streaming)
    hello_id = first.events()[0][0]
    first.close()
    post_reading(streaming, 21.0)
    again = Stream(streaming, last_id=hello_id)
    assert [(kind, data and data.get("value")) for _, kind, data in again.events()] == [
        ("hello", None), ("reading", 21.0)]


@pytest.mark.parametrize("last_id", ["another-run.3", "garbage", "", "x" * 500])
def test_an_id_that_cannot_be_resumed_gets_a_reset(streaming, last_id):
    stream = Stream(streaming, last_id=last_id or None)
    kinds = [kind for _, kind, _ in stream.events()]
    assert kinds == (["hello"] if not last_id else ["reset"])


def test_the_kept_window_is_bounded_and_older_ids_reset():
    events = Events(size=3)
    first = events.publish("change", {"kind": "zones"})
    for _ in range(4):
        events.publish("change", {"kind": "rules"})
    assert events.since(f"{events.boot}.{first.number}") is None
    assert [e.number for e in events.since(f"{events.boot}.2")] == [3, 4, 5]
    assert events.since(events.last_id) == []
    assert events.since(f"{events.boot}.99") is None


def test_decisions_raise_alarm_events_only_when_the_alarms_change():
    events = Events()
    seen = []
    events.subscribe(seen.append)
    quiet = {"action": "idle", "alarms": []}
    alarm = {"action": "idle", "alarms": [{"code": "no_temperature", "message": "no valid fresh temperature"}]}
    for state in (quiet, alarm, alarm, quiet):
        events.decided(1, state)
    assert [e.kind for e in seen] == ["decision", "decision", "alarm", "decision", "decision", "alarm"]
    assert seen[2].data == {"zone_id": 1, "alarms": alarm["alarms"]}


def test_streams_need_an_admin_token(streaming):
    assert streaming.call("GET", "/v1/events", token=None).status == 401
    assert streaming.call("GET", "/v1/events", token="device").status == 403
    assert streaming.api.events.listeners == 0


def test_a_revoked_token_ends_its_stream(streaming):
    made = streaming.call("POST", "/v1/tokens", {"role": "admin", "name": "browser: phone"}).body
    stream = Stream(streaming, token=made["token"])
    kept = Stream(streaming)
    assert streaming.call("DELETE", f"/v1/tokens/{made['id']}").status == 204
    streaming.clock.advance(HEARTBEAT_S)
    streaming.client.flush()
    assert stream.sent.called and streaming.api.events.listeners == 1
    assert [kind for _, kind, _ in stream.events()] == ["hello"]
    assert [kind for _, kind, _ in kept.events()] == ["hello", ":"]

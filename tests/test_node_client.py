"""The nodes' hub client on its own: what each call sends, and which failures are
``HubUnreachable`` (try later) and which ``HubRefused`` (the hub said no), against a hub
served in memory on a Clock."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from treq.testing import StubTreq
from twisted.internet.defer import fail
from twisted.internet.error import ConnectionLost, ConnectionRefusedError
from twisted.internet.task import Clock
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from rpymostat.node.client import DEFAULT_TIMEOUT_S, HubClient, HubRefused, HubUnreachable
from rpymostat.runtime.tls import Pins


class Hub(Resource):
    """Answers every request with ``answer`` = (status, raw body), or never (None); keeps
    each request as (method, path, headers, body)."""

    isLeaf = True

    def __init__(self):
        super().__init__()
        self.answer: tuple[int, bytes] | None = (200, b'{"ok": true}')
        self.seen: list[tuple[str, str, dict, object]] = []

    def render(self, request):
        raw = request.content.read()
        headers = {k.decode(): v[0].decode() for k, v in request.requestHeaders.getAllRawHeaders()}
        self.seen.append((request.method.decode(), request.uri.decode(), headers, json.loads(raw) if raw else None))
        if self.answer is None:
            return NOT_DONE_YET
        request.setResponseCode(self.answer[0])
        return self.answer[1]


class Bench:
    def __init__(self, url: str = "http://hub.lan:8573/", token: str | None = "device-token"):
        self.clock = Clock()
        self.hub = Hub()
        self.stub = StubTreq(self.hub)
        self.client = HubClient(self.stub, self.clock, url, token=token)

    def run(self, d):
        """The outcome of a call: its result, or the exception it failed with."""
        outcome = []
        d.addCallbacks(outcome.append, lambda f: outcome.append(f.value))
        self.stub.flush()
        return outcome[0] if outcome else None


def error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def test_each_call_sends_its_method_path_token_and_body():
    b = Bench()
    b.run(b.client.health())
    b.run(b.client.register({"node_id": "pi-1", "kind": "sensor"}))
    b.run(b.client.post_readings("pi-1", [{"sensor_id": "28-1", "time": "2026-09-21T14:13:20Z", "value": 20.5}]))
    b.run(b.client.report_output_state("phidget-1/2", "off", "2026-09-21T14:13:20Z", "lease_expired"))
    b.run(b.client.enroll("the-key", "pi-1", "Pi 1"))
    seen = [(method, path, headers.get("Authorization"), body) for method, path, headers, body in b.hub.seen]
    assert seen == [
        ("GET", "/v1/health", "Bearer device-token", None),
        ("POST", "/v1/nodes", "Bearer device-token", {"node_id": "pi-1", "kind": "sensor"}),
        ("POST", "/v1/readings", "Bearer device-token",
         {"node_id": "pi-1", "readings": [{"sensor_id": "28-1", "time": "2026-09-21T14:13:20Z", "value": 20.5}]}),
        ("PUT", "/v1/outputs/phidget-1%2F2/state", "Bearer device-token",
         {"state": "off", "time": "2026-09-21T14:13:20Z", "reason": "lease_expired"}),
        ("POST", "/v1/enroll", "Bearer the-key", {"node_id": "pi-1", "name": "Pi 1"}),
    ]
    assert all(headers["Accept"] == "application/json" for _, _, headers, _ in b.hub.seen)
    assert [headers.get("Content-Type") for _, _, headers, _ in b.hub.seen] == [
        None, "application/json", "application/json", "application/json", "application/json"]


def test_a_node_without_token_sends_no_authorization():
    b = Bench(token=None)
    b.run(b.client.health())
    assert "Authorization" not in b.hub.seen[0][2]


def test_a_2xx_answer_is_its_decoded_json_and_an_empty_one_is_none():
    b = Bench()
    assert b.run(b.client.health()) == {"ok": True}
    b.hub.answer = (204, b"")
    assert b.run(b.client.health()) is None


def test_a_body_that_is_not_json_cannot_be_sent():
    b = Bench()
    assert isinstance(b.run(b.client.post_readings("pi-1", [{"value": float("nan")}])), ValueError)
    assert b.hub.seen == []


@pytest.mark.parametrize("status, code, message", [
    (400, "malformed", "not JSON"), (401, "unauthorized", "the token is not valid"),
    (403, "forbidden", "admin only"), (409, "conflict", "known node"), (422, "invalid", "value out of range"),
])
def test_a_4xx_is_refused_with_the_hubs_code_and_message(status, code, message):
    b = Bench()
    b.hub.answer = (status, error(code, message))
    refused = b.run(b.client.register({}))
    assert isinstance(refused, HubRefused)
    assert (refused.status, refused.code, refused.message) == (status, code, message)


def test_a_4xx_without_error_body_is_still_refused():
    b = Bench()
    b.hub.answer = (404, b"<html>not here</html>")
    refused = b.run(b.client.health())
    assert isinstance(refused, HubRefused)
    assert (refused.status, refused.code, refused.message) == (404, "unknown", "no message")


def test_too_many_failed_logins_is_worth_trying_later():
    b = Bench()
    b.hub.answer = (429, error("too_many", "slow down"))
    unreachable = b.run(b.client.health())
    assert isinstance(unreachable, HubUnreachable) and "slow down" in str(unreachable)


@pytest.mark.parametrize("answer", [(500, error("internal", "oops")), (503, b"busy"), (200, b"<html>proxy</html>")])
def test_a_5xx_or_a_2xx_that_is_not_json_is_unreachable(answer):
    b = Bench()
    b.hub.answer = answer
    assert isinstance(b.run(b.client.health()), HubUnreachable)


def test_a_call_times_out_on_the_injected_clock():
    b = Bench()
    b.hub.answer = None
    d = b.client.post_readings("pi-1", [])
    outcome = []
    d.addCallbacks(outcome.append, lambda f: outcome.append(f.value))
    b.stub.flush()
    b.clock.advance(DEFAULT_TIMEOUT_S - 0.1)
    assert outcome == []
    b.clock.advance(0.1)
    b.stub.flush()
    assert isinstance(outcome[0], HubUnreachable)
    assert "POST http://hub.lan:8573/v1/readings" in str(outcome[0])


class Down:
    def __init__(self, exception: Exception):
        self.exception = exception

    def request(self, method, url, **kwargs):
        return fail(self.exception)


@pytest.mark.parametrize("exception", [ConnectionRefusedError("refused"), ConnectionLost("reset")])
def test_a_connection_that_fails_is_unreachable(exception):
    client = HubClient(Down(exception), Clock(), "http://hub.lan:8573")
    failed = []
    client.health().addErrback(lambda f: failed.append(f.value))
    assert isinstance(failed[0], HubUnreachable)
    assert type(exception).__name__ in str(failed[0])


def test_a_bug_in_the_http_layer_is_not_taken_for_an_unreachable_hub():
    client = HubClient(Down(TypeError("a bug")), Clock(), "http://hub.lan:8573")
    failed = []
    client.health().addErrback(lambda f: failed.append(f.value))
    assert isinstance(failed[0], TypeError)


class Handshake:
    """The TLS handshake of ``rpymostat.runtime.tls``: the hub presents ``presented``,
    and the pins decide whether the request goes out at all."""

    def __init__(self, inner, pins: Pins, presented: str):
        self.inner, self.pins, self.presented = inner, pins, presented

    def request(self, method, url, **kwargs):
        parts = urlsplit(url)
        if not self.pins.check(parts.hostname, parts.port, self.presented):
            return fail(ConnectionLost("TLS handshake refused"))
        return self.inner.request(method, url, **kwargs)

    def content(self, response):
        return self.inner.content(response)


def test_a_hub_presenting_another_certificate_gets_nothing_and_the_refusal_is_kept():
    b = Bench(url="https://hub.lan:8573")
    pins = Pins()
    pins.expect("https://hub.lan:8573", "aa" * 32)
    client = HubClient(Handshake(b.stub, pins, "bb" * 32), b.clock, "https://hub.lan:8573", token="secret")
    assert isinstance(b.run(client.health()), HubUnreachable)
    assert b.hub.seen == [], "not even the token left the node"
    refusal = pins.take_refusal("https://hub.lan:8573")
    assert (refusal.expected, refusal.presented) == ("aa" * 32, "bb" * 32)

    trusting = Pins()
    trusting.expect("https://hub.lan:8573", "aa" * 32)
    client = HubClient(Handshake(b.stub, trusting, "aa" * 32), b.clock, "https://hub.lan:8573", token="secret")
    assert b.run(client.health()) == {"ok": True}
    assert trusting.take_refusal("https://hub.lan:8573") is None

"""The site's connection limits, driven byte by byte over in-memory transports on a Clock:
the cap closes the connection idle the longest and never a busy one; the idle, header and
body deadlines close connections on time, however slowly the bytes trickle in."""

from __future__ import annotations

import json
import resource

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport, StringTransportWithDisconnection
from twisted.logger import capturedLogs
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from rpymostat.runtime.config import DEFAULT_LIMITS
from rpymostat.web.site import EVICTABLE, OPEN, TRANSITIONS, Event, Phase, QuietSite, descriptor_plan, fit_descriptors

GET = b"GET /fast HTTP/1.1\r\nHost: hub\r\n\r\n"
SLOW = b"GET /slow HTTP/1.1\r\nHost: hub\r\n\r\n"


class Answers(Resource):
    """``/slow`` stays in progress until the test finishes it; anything else answers at once."""

    isLeaf = True

    def __init__(self):
        super().__init__()
        self.waiting = []

    def render(self, request):
        if request.path == b"/slow":
            self.waiting.append(request)
            return NOT_DONE_YET
        request.setHeader(b"content-type", b"application/json")
        return b'{"ok":true}'


class LettingGo(StringTransportWithDisconnection):
    """A transport that lets go of its connection at once, as the reactor would on its next turn."""

    def loseConnection(self):
        self.disconnecting = True
        super().loseConnection()


class Client:
    """One connection to the site. Closing it reaches the channel at once, as the reactor
    would a moment later, unless ``lingers`` (then the test delivers it with ``let_go``)."""

    def __init__(self, site, lingers: bool = False):
        self.transport = StringTransport() if lingers else LettingGo()
        self.protocol = site.buildProtocol(IPv4Address("TCP", "192.0.2.7", 40000))
        if self.protocol is not None:
            self.transport.protocol = self.protocol
            self.protocol.makeConnection(self.transport)

    def send(self, data: bytes):
        self.protocol.dataReceived(data)

    @property
    def closed(self) -> bool:
        return self.transport.disconnecting

    def answers(self) -> list[bytes]:
        """Each response written so far, from its status code on."""
        return self.transport.value().split(b"HTTP/1.1 ")[1:]

    def error(self) -> tuple[int, dict]:
        """The status and JSON body of the last response."""
        head, body = self.answers()[-1].split(b"\r\n\r\n", 1)
        return int(head.split()[0]), json.loads(body)

    def let_go(self):
        from twisted.internet.error import ConnectionDone
        from twisted.python.failure import Failure

        self.protocol.connectionLost(Failure(ConnectionDone()))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def answers():
    return Answers()


def site_with(answers, clock, **limits):
    return QuietSite(answers, attrs.evolve(DEFAULT_LIMITS, **limits), reactor=clock)


def test_over_the_cap_the_connection_idle_the_longest_is_closed(answers, clock):
    site = site_with(answers, clock, max_connections=3)
    a, b, c = Client(site), Client(site), Client(site)
    clock.advance(1)
    a.send(GET)  # a has just been answered: b is now the one idle the longest
    assert len(a.answers()) == 1

    d = Client(site)

    assert b.closed
    assert not any(x.closed for x in (a, c, d))
    assert len(site.connections) == 3
    e = Client(site)
    assert c.closed and not any(x.closed for x in (a, d, e))


def test_a_connection_answering_a_request_is_never_closed_by_the_cap(answers, clock):
    site = site_with(answers, clock, max_connections=2)
    busy, idle = Client(site), Client(site)
    busy.send(SLOW)

    newer = Client(site)
    newest = Client(site)

    assert not busy.closed
    assert idle.closed and newer.closed and not newest.closed
    answers.waiting.pop().finish()
    assert len(busy.answers()) == 1 and not busy.closed


def test_when_every_connection_is_busy_a_new_one_is_refused_with_a_json_503(answers, clock):
    site = site_with(answers, clock, max_connections=2)
    first, second = Client(site), Client(site)
    first.send(SLOW)
    second.send(SLOW)

    refused = Client(site)

    assert refused.closed
    status, body = refused.error()
    assert status == 503 and body["error"]["code"] == "busy"
    assert b"Retry-After: 1" in refused.transport.value()
    assert not first.closed and not second.closed
    answers.waiting[0].finish()
    later = Client(site)
    assert first.closed and not later.closed and not second.closed


def test_connections_that_have_not_let_go_yet_count_against_the_descriptors(answers, clock):
    site = site_with(answers, clock, max_connections=2)
    first, second = Client(site, lingers=True), Client(site, lingers=True)
    Client(site, lingers=True)
    Client(site, lingers=True)  # first and second are closing but still hold their sockets

    assert first.closed and second.closed
    assert Client(site, lingers=True).protocol is None, "over twice the cap in sockets: dropped at once"
    first.let_go()
    assert Client(site, lingers=True).protocol is not None


def test_a_kept_alive_connection_is_closed_after_the_idle_timeout(answers, clock):
    site = site_with(answers, clock, idle_timeout_s=60)
    client = Client(site)
    client.send(GET)
    clock.advance(59.9)
    assert not client.closed
    clock.advance(0.2)
    assert client.closed
    assert len(site.connections) == 0


def test_a_connection_that_says_nothing_is_closed_at_the_header_timeout(answers, clock):
    site = site_with(answers, clock, header_timeout_s=10, idle_timeout_s=60)
    client = Client(site)
    clock.advance(9.9)
    assert not client.closed
    clock.advance(0.2)
    assert client.closed and client.transport.value() == b""
    assert len(site.connections) == 0


def test_headers_trickled_in_are_cut_off_at_the_header_deadline(answers, clock):
    site = site_with(answers, clock, header_timeout_s=10, idle_timeout_s=60)
    client = Client(site)
    client.send(b"GET /fast HTTP/1.1\r\n")
    for second in range(1, 10):
        clock.advance(1)
        client.send(b"X-Slow: %d\r\n" % second)
    assert not client.closed
    clock.advance(1)

    assert client.closed
    status, body = client.error()
    assert status == 408 and body["error"]["code"] == "request_timeout"
    assert "headers" in body["error"]["message"]


def test_a_body_trickled_in_is_cut_off_at_the_body_deadline(answers, clock):
    site = site_with(answers, clock, header_timeout_s=10, body_timeout_s=30, idle_timeout_s=60)
    client = Client(site)
    client.send(b"POST /fast HTTP/1.1\r\nHost: hub\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(29):
        clock.advance(1)
        client.send(b"x")
    assert not client.closed, "the header deadline ended with the headers"
    clock.advance(1)

    assert client.closed
    status, body = client.error()
    assert status == 408 and "body" in body["error"]["message"]


def test_a_slow_request_inside_its_deadlines_is_answered(answers, clock):
    site = site_with(answers, clock, header_timeout_s=10, body_timeout_s=30)
    client = Client(site)
    client.send(b"POST /fast HTTP/1.1\r\nHost: hub\r\n")
    clock.advance(9)
    client.send(b"Content-Length: 4\r\n\r\n")
    clock.advance(29)
    client.send(b"{}{}")
    assert [a[:3] for a in client.answers()] == [b"200"]
    clock.advance(59)
    assert not client.closed and len(client.answers()) == 1


def test_each_request_on_a_kept_alive_connection_gets_its_own_header_deadline(answers, clock):
    site = site_with(answers, clock, header_timeout_s=10, idle_timeout_s=60)
    client = Client(site)
    client.send(GET)
    clock.advance(55)
    client.send(b"GET /fast HTTP/1.1\r\n")
    clock.advance(9.9)
    assert not client.closed
    clock.advance(0.2)
    assert client.closed
    assert [a[:3] for a in client.answers()] == [b"200", b"408"]


def test_a_busy_connection_outlives_every_deadline(answers, clock):
    site = site_with(answers, clock, header_timeout_s=10, body_timeout_s=30, idle_timeout_s=60)
    client = Client(site)
    client.send(SLOW)
    clock.advance(600)
    assert not client.closed
    answers.waiting.pop().finish()
    assert client.answers()[0].startswith(b"200") and not client.closed


def test_pipelined_requests_are_all_answered(answers, clock):
    site = site_with(answers, clock, max_connections=2)
    client = Client(site)
    client.send(SLOW + GET + GET)
    answers.waiting.pop().finish()
    assert [a[:3] for a in client.answers()] == [b"200"] * 3
    assert client.protocol.phase is Phase.IDLE


def test_every_transition_leads_to_a_phase_and_only_open_phases_are_evictable():
    assert EVICTABLE <= OPEN
    assert all(nxt in Phase for nxt, _ in TRANSITIONS.values())
    assert {(phase, Event.LOST) for phase in Phase} <= TRANSITIONS.keys()
    assert (Phase.HANDLING, Event.CLOSE) not in TRANSITIONS, "nothing here closes a busy connection"


INF = resource.RLIM_INFINITY


@pytest.mark.parametrize("soft, hard, cap, expected", [
    (1024, 524288, 512, (1152, 512)),  # systemd's default soft limit is raised
    (4096, 8192, 512, (4096, 512)),  # never lowered
    (1024, INF, 512, (1152, 512)),
    (INF, INF, 512, (INF, 512)),
    (256, 512, 512, (512, 192)),  # the hard limit allows fewer connections
    (64, 100, 512, (100, 1)),
])
def test_descriptor_plan(soft, hard, cap, expected):
    assert descriptor_plan(soft, hard, cap, reserved=128) == expected


def test_fit_descriptors_raises_the_soft_limit_and_says_when_the_cap_cannot_fit():
    calls = []

    def limits_of(hard):
        return lambda which: (1024, hard)

    fitted = fit_descriptors(DEFAULT_LIMITS, limits_of(524288), lambda which, value: calls.append(value))
    assert fitted == DEFAULT_LIMITS and calls == [(1152, 524288)]

    with capturedLogs() as events:
        fitted = fit_descriptors(DEFAULT_LIMITS, limits_of(1024), lambda which, value: calls.append(value))
    assert fitted.max_connections == (1024 - 128) // 2
    assert any("LimitNOFILE" in event["log_format"] for event in events)


@pytest.mark.parametrize("request_bytes", [
    b"NONSENSE\r\n\r\n",
    b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"X-Big: " + b"a" * 20000 + b"\r\n\r\n",
])
def test_a_request_http_cannot_parse_gets_a_json_400_and_the_connection_goes(answers, clock, request_bytes):
    site = site_with(answers, clock)
    client = Client(site)
    client.send(request_bytes)
    assert client.closed
    status, body = client.error()
    assert status == 400 and body["error"]["code"] == "malformed"
    assert len(site.connections) == 0


REQUESTS = st.sampled_from([GET, SLOW, b"POST /fast HTTP/1.1\r\nHost: hub\r\nContent-Length: 5\r\n\r\nhello",
                            b"POST /fast HTTP/1.1\r\nHost: hub\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"3\r\nabc\r\n0\r\n\r\n"])


@settings(max_examples=200)
@given(requests=st.lists(REQUESTS, min_size=1, max_size=5), cuts=st.lists(st.integers(0, 400), max_size=8),
       pauses=st.lists(st.floats(0, 0.9), min_size=9, max_size=9))
def test_requests_cut_anywhere_and_pipelined_are_each_answered_once(requests, cuts, pauses):
    answers, clock = Answers(), Clock()
    site = site_with(answers, clock)
    client = Client(site)
    stream = b"".join(requests)
    edges = sorted({0, len(stream), *(cut for cut in cuts if cut < len(stream))})
    for (start, end), pause in zip(zip(edges, edges[1:]), pauses):
        client.send(stream[start:end])
        clock.advance(pause)
        while answers.waiting:
            answers.waiting.pop().finish()
    assert [a[:3] for a in client.answers()] == [b"200"] * len(requests)
    assert not client.closed and client.protocol.phase is Phase.IDLE
    assert list(site.connections._evictable) == [client.protocol]

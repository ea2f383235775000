"""The request gate on the hub's API: Host allow list (DNS rebinding), Origin check, CORS
only when configured, and failed authentication throttled per client address."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock
from twisted.logger import globalLogPublisher

from rpymostat.web.gate import FailureLimit, Gate, HostCheck, Throttle, split_host
from tests.api.test_tokens_in_memory import advance, send
from tests.hubkit import ENROLLMENT_KEY, kit_gate

UI = "https://ui.example:8580"


@pytest.fixture
def warnings():
    seen: list = []

    def observe(event):
        if event.get("log_level") is not None and event["log_level"].name == "warn":
            seen.append(event)

    globalLogPublisher.addObserver(observe)
    yield seen
    globalLogPublisher.removeObserver(observe)


# -- Host ------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["hub", "HUB", "hub:8573", "localhost:8573", "127.0.0.1", "[::1]:8573",
                                  "thermostat.local", "Thermostat.Local.:80"])
def test_the_api_answers_to_its_names(hub, host):
    assert hub.call("GET", "/v1/zones", host=host).status == 200


@pytest.mark.parametrize("host", ["attacker.example", "hub.attacker.example", "local", "192.0.2.66:8573",
                                  "[2001:db8::1]"])
def test_another_host_is_refused_before_anything_else(hub, host):
    before = hub.dump()
    for token in ("admin", "wrong", None):
        reply = hub.call("POST", "/v1/zones", {"name": "Rebound"}, host=host, token=token)
        assert reply.status == 421 and reply.error == "host_not_allowed"
        assert "allowed_hosts" in reply.body["error"]["message"]
    assert hub.call("GET", "/v1/health", host=host).status == 421
    assert hub.dump() == before


def test_configured_hosts_and_any(hub):
    clock = hub.clock
    hub.api.gate = Gate(clock, hosts=HostCheck(clock, ["thermostat.example", "*.lan"], names=set,
                                               addresses=set))
    assert hub.call("GET", "/v1/zones", host="thermostat.example").status == 200
    assert hub.call("GET", "/v1/zones", host="pi.lan:8573").status == 200
    assert hub.call("GET", "/v1/zones", host="hub").status == 421
    hub.api.gate = Gate(clock, hosts=HostCheck(clock, ["*"], names=set, addresses=set))
    assert hub.call("GET", "/v1/zones", host="anything.example").status == 200


def test_the_machines_names_and_addresses_and_the_listen_address_are_allowed_by_default():
    clock = Clock()
    check = HostCheck(clock, listen="192.0.2.10", names=lambda: {"pi4", "pi4.home.arpa"},
                      addresses=lambda: {"192.0.2.2", "fd00::2"})
    assert all(check.allows(split_host(h)[0])
               for h in ("pi4", "pi4.home.arpa:8573", "192.0.2.2", "[fd00::2]:8573", "192.0.2.10",
                         "localhost", "127.0.0.1", "[::1]", "pi4.local"))
    assert not check.allows("192.0.2.99")


def test_an_address_the_machine_gains_later_is_allowed_after_a_look_at_the_interfaces():
    clock = Clock()
    addresses = {"192.0.2.2"}
    lookups: list = []

    def listed():
        lookups.append(clock.seconds())
        return set(addresses)

    check = HostCheck(clock, names=set, addresses=listed)
    addresses.add("198.51.100.7")  # DHCP answered after the hub started
    assert not check.allows("198.51.100.7")
    for _ in range(100):
        check.allows("203.0.113.1")
    assert len(lookups) == 1, "a flood of unknown Hosts does not list the interfaces each time"
    clock.advance(10)
    assert check.allows("198.51.100.7")
    assert len(lookups) == 2


@pytest.mark.parametrize("header, expected", [
    ("hub", ("hub", None)), ("hub:8573", ("hub", 8573)), ("[::1]:80", ("::1", 80)), ("::1", ("::1", None)),
    ("hub:port", None), ("[::1", None), ("[::1]x", None), ("", None), ("hub:99999", None),
])
def test_host_headers_are_parsed_strictly(header, expected):
    assert split_host(header) == expected


# -- Origin and CORS -------------------------------------------------------------------

@pytest.mark.parametrize("origin", ["https://attacker.example", "http://hub:8080", "https://hub", "null",
                                    "not an origin"])
def test_a_foreign_origin_is_refused(hub, origin):
    before = hub.dump()
    reply = hub.call("POST", "/v1/zones", {"name": "Forged"}, headers={"Origin": origin})
    assert reply.status == 403 and reply.error == "origin_not_allowed"
    assert "allowed_origins" in reply.body["error"]["message"]
    assert hub.dump() == before
    assert not [name for name, _ in reply.headers.getAllRawHeaders() if name.lower().startswith(b"access-control")]


@pytest.mark.parametrize("origin, host", [("http://hub", "hub"), ("http://hub:80", "hub"),
                                          ("http://hub:8573", "hub:8573"), ("http://[::1]:8573", "[::1]:8573")])
def test_the_same_origin_is_allowed_without_cors_headers(hub, origin, host):
    reply = hub.call("POST", "/v1/zones", {"name": "Kitchen"}, headers={"Origin": origin}, host=host)
    assert reply.status == 201
    assert not reply.headers.hasHeader(b"access-control-allow-origin")


def test_no_cors_headers_when_no_origin_is_configured(hub):
    reply = hub.call("OPTIONS", "/v1/zones", headers={"Origin": UI, "Access-Control-Request-Method": "POST"},
                     token=None)
    assert reply.status in (403, 405)
    assert not [name for name, _ in reply.headers.getAllRawHeaders() if name.lower().startswith(b"access-control")]


def test_configured_origins_get_cors_answers(hub):
    hub.api.gate = kit_gate(hub.clock, allowed_origins=[UI])
    preflight = hub.call("OPTIONS", "/v1/zones", token=None, headers={
        "Origin": UI, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status == 204
    assert preflight.headers.getRawHeaders(b"access-control-allow-origin") == [UI.encode()]
    assert set(preflight.headers.getRawHeaders(b"access-control-allow-methods")[0].decode().split(", ")) >= {
        "GET", "POST"}
    assert b"authorization" in preflight.headers.getRawHeaders(b"access-control-allow-headers")[0].lower()
    made = hub.call("POST", "/v1/zones", {"name": "Study"}, headers={"Origin": UI})
    assert made.status == 201
    assert made.headers.getRawHeaders(b"access-control-allow-origin") == [UI.encode()]
    refused = hub.call("GET", "/v1/zones", token="wrong", headers={"Origin": UI})
    assert refused.status == 401, "errors reach the page too, so it can show them"
    assert refused.headers.getRawHeaders(b"access-control-allow-origin") == [UI.encode()]
    other = hub.call("OPTIONS", "/v1/zones", token=None, headers={
        "Origin": "https://attacker.example", "Access-Control-Request-Method": "POST"})
    assert other.status == 403
    assert not other.headers.hasHeader(b"access-control-allow-origin")


# -- failed authentication -------------------------------------------------------------

def test_after_a_burst_of_wrong_tokens_an_address_gets_429_and_others_do_not(hub, warnings):
    burst = hub.api.gate.throttle.limit.burst
    answers = [send(hub, f"wrong-{i}", peer="192.0.2.66") for i in range(burst)]
    advance(hub, 1)
    assert [a[0][0] for a in answers] == [401] * burst
    refused = send(hub, hub.admin_token, peer="192.0.2.66")
    assert refused[0][0] == 429, "the address's good tokens too: otherwise 429 vs 200 tells it all"
    status, body, headers = refused[0]
    assert body["error"]["code"] == "too_many_failures"
    wait = int(headers.getRawHeaders(b"retry-after")[0])
    assert 0 < wait <= hub.api.gate.throttle.limit.every_s
    assert body["error"]["details"]["retry_after_s"] == wait
    assert hub.call("GET", "/v1/zones", peer="192.0.2.67").status == 200
    assert hub.call("GET", "/v1/health", peer="192.0.2.66").status == 200, "health needs no credentials"
    for _ in range(50):
        assert send(hub, "wrong", peer="192.0.2.66")[0][0] == 429
    assert len(warnings) == 1 and "192.0.2.66" in str(warnings[0].get("address"))
    advance(hub, wait)
    assert hub.call("GET", "/v1/zones", peer="192.0.2.66").status == 200


def test_requests_sent_together_learn_no_more_than_the_burst(hub):
    """Wrong tokens wait together for the next read; past the burst they are answered 429,
    so a client cannot try thousands at once."""
    send(hub, "first", peer="192.0.2.66")
    answers = [send(hub, f"wrong-{i}", peer="192.0.2.66") for i in range(200)]
    advance(hub, 1)
    statuses = [a[0][0] for a in answers]
    assert statuses.count(401) == hub.api.gate.throttle.limit.burst - 1
    assert statuses.count(429) == 200 - statuses.count(401)


def test_one_more_try_per_interval_and_an_episode_is_logged_once(hub, warnings):
    limit = hub.api.gate.throttle.limit
    for i in range(limit.burst):
        hub.call("POST", "/v1/enroll", {"node_id": f"n-{i}"}, token=f"guess-{i}", peer="192.0.2.66")
    assert hub.call("POST", "/v1/enroll", {"node_id": "n"}, token=ENROLLMENT_KEY, peer="192.0.2.66").status == 429
    for _ in range(5):
        advance(hub, limit.every_s)
        assert hub.call("POST", "/v1/enroll", {"node_id": "n"}, token="guess", peer="192.0.2.66").status == 401
        assert hub.call("POST", "/v1/enroll", {"node_id": "n"}, token="guess", peer="192.0.2.66").status == 429
    assert len(warnings) == 1
    advance(hub, limit.burst * limit.every_s)
    assert hub.call("POST", "/v1/enroll", {"node_id": "n"}, token=ENROLLMENT_KEY, peer="192.0.2.66").status == 201


def test_missing_tokens_and_role_refusals_are_not_failed_authentication(hub):
    for _ in range(3 * hub.api.gate.throttle.limit.burst):
        assert hub.call("GET", "/v1/zones", token=None).status == 401
        assert hub.call("GET", "/v1/zones", token="device").status == 403
    assert hub.call("GET", "/v1/zones").status == 200


def test_ipv6_clients_count_by_their_64(hub):
    for i in range(hub.api.gate.throttle.limit.burst):
        reply = hub.call("POST", "/v1/enroll", {"node_id": "n"}, token="guess", peer=f"2001:db8:1:2::{i + 1}")
        assert reply.status == 401
    assert hub.call("GET", "/v1/zones", peer="2001:db8:1:2:ffff::9").status == 429
    assert hub.call("GET", "/v1/zones", peer="2001:db8:1:3::1").status == 200


def test_memory_is_bounded_whatever_the_number_of_addresses():
    clock = Clock()
    throttle = Throttle(clock, FailureLimit(burst=3, every_s=6, addresses=100))
    for i in range(10_000):
        throttle.failed(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
        assert len(throttle) <= 100
    clock.advance(3 * 6)
    throttle.failed("192.0.2.1")
    assert len(throttle) == 1, "records that have recovered are dropped"


def test_a_node_behind_a_throttled_address_is_told_to_try_later_not_refused(hub):
    """A node's client treats 429 as the hub being away for now: a sensor keeps its readings
    queued and a relay keeps its state report, instead of dropping them as refused."""
    from rpymostat.node.client import HubClient, HubUnreachable

    for i in range(hub.api.gate.throttle.limit.burst):
        hub.call("POST", "/v1/enroll", {"node_id": "n"}, token=f"guess-{i}")
    client = HubClient(hub.client, hub.clock, "http://hub", token=hub.device_token)
    outcome: list = []
    client.call("GET", "/v1/openapi.json").addBoth(outcome.append)
    hub.client.flush()
    assert isinstance(outcome[0].value, HubUnreachable) and "429" in str(outcome[0].value)

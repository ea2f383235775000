"""A node's trust in its hub's certificate, against the in-memory hub: what it pins at
enrollment, and that a hub presenting another certificate, or a pinned hub that now speaks
plain HTTP, gets nothing from it, with one log line saying what to do.

The TLS layer here is :class:`Handshake`, which asks the node's :class:`Pins` exactly as the
real handshake does (``tests/test_tls.py`` checks that path with OpenSSL) and lets the request
through to the hub only when they accept the certificate it presents."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from twisted.internet.defer import fail, succeed
from twisted.internet.error import ConnectionLost
from twisted.logger import LogLevel, formatEvent, globalLogPublisher

from rpymostat.node.credentials import load_credentials
from rpymostat.node.discovery import HubCandidate
from rpymostat.runtime.tls import Pins
from tests.hubkit import Hub
from tests.sensor.nodekit import FlakyHttp
from tests.sensor.test_daemon import Node, stored

A, B = "a" * 64, "b" * 64
URL = "https://hub.local:8573"


class Handshake(FlakyHttp):
    """A hub on HTTPS presenting the certificate with fingerprint ``presented``."""

    def __init__(self, inner, pins: Pins | None, presented: str = A):
        super().__init__(inner)
        self.pins = pins
        self.presented = presented
        self.delivered = 0

    def request(self, method, url, **kwargs):
        parts = urlsplit(url)
        if parts.scheme == "https" and not self.pins.check(parts.hostname, parts.port, self.presented):
            return fail(ConnectionLost("TLS handshake refused"))
        self.delivered += 1
        return super().request(method, url, **kwargs)


class Browser:
    """Advertisements of one hub, as mDNS would bring them."""

    def __init__(self, *candidates: HubCandidate):
        self.candidates = list(candidates)

    def on_candidate(self, listener):
        pass

    def browse(self, want):
        return succeed([c for c in self.candidates if want(c)])


@pytest.fixture
def warned():
    """What the node warned of: the conditions a person must act on."""
    seen: list[str] = []

    def observe(event):
        if event["log_level"] >= LogLevel.warn:
            seen.append(formatEvent(event))

    globalLogPublisher.addObserver(observe)
    yield seen
    globalLogPublisher.removeObserver(observe)


def node_on(hub: Hub, data_dir, presented=A, pins: Pins | None = None, **link_args) -> Node:
    pins = Pins() if pins is None else pins
    node = Node(hub, data_dir, http=Handshake(hub.client, pins, presented),
                **{"hub_url": URL, "pins": pins, **link_args})
    node.start()
    return node


def test_trust_on_first_use_pins_the_certificate_presented_at_enrollment(hub, tmp_path):
    node = node_on(hub, tmp_path / "node")
    credentials = load_credentials(tmp_path / "node")
    assert (credentials.hub_id, credentials.hub_fingerprint) == (hub.hub_id, A)
    assert len(stored(hub)) == 2
    node.stop()


def test_a_replaced_certificate_is_refused_once_in_the_log_and_nothing_reaches_the_hub(hub, tmp_path, warned):
    node = node_on(hub, tmp_path / "node")
    before, delivered = len(stored(hub)), node.http.delivered
    node.http.presented = B  # the hub's certificate was replaced
    node.advance(120)
    assert len(stored(hub)) == before and node.http.delivered == delivered, "not even the token was sent"
    assert len(node.queue) > 0, "the readings wait in the queue"
    refusals = [line for line in warned if "presented TLS certificate" in line]
    assert len(refusals) == 1, warned
    assert f"sha256 {B}, not {A} as pinned" in refusals[0]
    assert f"--hub-fingerprint {B}" in refusals[0]
    node.stop()

    again = node_on(hub, tmp_path / "node", presented=B)  # the node restarts: the pin was kept
    again.advance(60)
    assert len(stored(hub)) == before and again.http.delivered == 0
    assert load_credentials(tmp_path / "node").hub_fingerprint == A
    again.stop()


def test_the_advertised_fingerprint_is_pinned_before_enrolling(hub, tmp_path):
    advertised = HubCandidate(url=URL, hub_id=hub.hub_id, system="test", fingerprint=A)
    impostor = node_on(hub, tmp_path / "impostor", presented=B, hub_url=None, browser=Browser(advertised))
    impostor.advance(10)
    assert impostor.http.delivered == 0, "the enrollment key went nowhere"
    assert load_credentials(tmp_path / "impostor") is None
    impostor.stop()

    node = node_on(hub, tmp_path / "node", presented=A, hub_url=None, browser=Browser(advertised))
    assert load_credentials(tmp_path / "node").hub_fingerprint == A
    assert len(stored(hub)) == 2
    node.stop()


def test_the_hub_fingerprint_setting_trusts_a_replaced_certificate(hub, tmp_path):
    node_on(hub, tmp_path / "node").stop()
    hub.clock.advance(60)
    node = node_on(hub, tmp_path / "node", presented=B, hub_fingerprint=B)
    assert load_credentials(tmp_path / "node").hub_fingerprint == B
    assert len(stored(hub)) == 4
    node.stop()


def test_a_pinned_node_does_not_fall_back_to_plain_http(hub, tmp_path, warned):
    node_on(hub, tmp_path / "node").stop()
    before = len(stored(hub))
    plain = node_on(hub, tmp_path / "node", hub_url="http://hub.local:8573")
    plain.advance(60)
    assert plain.http.delivered == 0 and len(stored(hub)) == before
    assert [line for line in warned if "speaks plain HTTP but this node pinned" in line], warned
    plain.stop()


def test_a_node_given_the_fingerprint_does_not_take_a_hub_advertised_on_plain_http(hub, tmp_path):
    plain = HubCandidate(url="http://hub.local:8573", hub_id=hub.hub_id, system="test")
    node = node_on(hub, tmp_path / "node", hub_url=None, browser=Browser(plain), hub_fingerprint=A)
    node.advance(10)
    assert node.http.delivered == 0 and load_credentials(tmp_path / "node") is None
    node.stop()


def test_a_node_without_tls_does_not_call_an_https_hub(hub, tmp_path, warned):
    node = Node(hub, tmp_path / "node", http=FlakyHttp(hub.client), hub_url=URL, pins=None)
    node.start()
    assert node.http.calls == [] and load_credentials(tmp_path / "node") is None
    assert [line for line in warned if "runs with tls = false" in line], warned
    node.stop()

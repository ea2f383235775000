"""Self-signed certificates made once and kept, and pinning: a handshake (in memory, the real
OpenSSL code path) succeeds only with the pinned certificate, and a refused client sends nothing."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import socket

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.test.iosim import connectedServerAndClient

from rpymostat.runtime.tls import (
    TRUST_ON_FIRST_USE,
    CertificateError,
    PinningPolicy,
    Pins,
    ensure_certificate,
    normalize_fingerprint,
    server_options,
)

NOW = 1_790_000_000.0


def test_first_start_makes_a_private_key_and_a_certificate_the_next_start_reuses(tmp_path):
    made = ensure_certificate(tmp_path / "home", "hub", NOW)
    assert made.created
    assert made.key_path.stat().st_mode & 0o777 == 0o600
    assert made.cert_path.stat().st_mode & 0o777 == 0o600, "like everything in a data dir"
    key = made.key_path.read_bytes()

    again = ensure_certificate(tmp_path / "home", "hub", NOW + 86400)
    assert not again.created
    assert again.fingerprint == made.fingerprint
    assert made.key_path.read_bytes() == key
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["tls-cert.pem", "tls-key.pem"]


def test_the_fingerprint_is_the_sha256_of_the_certificate_as_openssl_prints_it(tmp_path):
    made = ensure_certificate(tmp_path, "relay", NOW)
    der = x509.load_pem_x509_certificate(made.cert_path.read_bytes()).public_bytes(Encoding.DER)
    assert made.fingerprint == hashlib.sha256(der).hexdigest()
    colons = ":".join(made.fingerprint[i:i + 2] for i in range(0, 64, 2)).upper()
    assert normalize_fingerprint(f"sha256 Fingerprint={colons}".split("=")[1]) == made.fingerprint
    assert normalize_fingerprint(f"SHA256:{made.fingerprint.upper()}") == made.fingerprint
    for bad in ("", "abc", made.fingerprint[:-1], made.fingerprint + "0", "g" * 64):
        with pytest.raises(ValueError, match="not a SHA-256 fingerprint"):
            normalize_fingerprint(bad)


def test_the_certificate_names_this_machine_and_lasts(tmp_path):
    made = ensure_certificate(tmp_path, "hub", NOW, listen="127.0.0.1")
    cert = x509.load_pem_x509_certificate(made.cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = names.get_values_for_type(x509.DNSName)
    ips = {str(a) for a in names.get_values_for_type(x509.IPAddress)}
    short = socket.gethostname().split(".")[0].lower()
    assert {"localhost", short, f"{short}.local"} <= set(dns)
    assert {"127.0.0.1", "::1"} <= ips
    assert all(not ipaddress.ip_address(a).is_link_local or ipaddress.ip_address(a).version == 4
               for a in ips)
    assert cert.not_valid_before_utc.timestamp() <= NOW
    assert cert.not_valid_after_utc.timestamp() - NOW > 50 * 365 * 86400
    assert cert.issuer == cert.subject, "self-signed"
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_a_key_others_may_read_is_tightened_at_start(tmp_path):
    made = ensure_certificate(tmp_path, "relay", NOW)
    os.chmod(made.key_path, 0o644)  # as a careless copy leaves it
    assert ensure_certificate(tmp_path, "relay", NOW).fingerprint == made.fingerprint
    assert made.key_path.stat().st_mode & 0o777 == 0o600


def test_deleting_the_files_makes_a_new_certificate(tmp_path):
    first = ensure_certificate(tmp_path, "hub", NOW)
    first.key_path.unlink()  # a crash after writing the key leaves the opposite; both cases make anew
    second = ensure_certificate(tmp_path, "hub", NOW)
    assert second.created and second.fingerprint != first.fingerprint


def test_a_key_that_does_not_fit_the_certificate_is_refused_with_what_to_do(tmp_path):
    ensure_certificate(tmp_path / "a", "hub", NOW)
    other = ensure_certificate(tmp_path / "b", "hub", NOW)
    (tmp_path / "a" / "tls-key.pem").write_bytes(other.key_path.read_bytes())
    with pytest.raises(CertificateError, match="do not belong together; remove both .*tls-cert.pem"):
        ensure_certificate(tmp_path / "a", "hub", NOW)
    (tmp_path / "a" / "tls-cert.pem").write_text("not a certificate")
    with pytest.raises(CertificateError, match="cannot read"):
        ensure_certificate(tmp_path / "a", "hub", NOW)


# -- pins ----------------------------------------------------------------------

A, B = "a" * 64, "b" * 64


def test_a_pin_accepts_its_certificate_and_refuses_another():
    pins = Pins()
    pins.expect("https://hub.local:8573/", A)
    assert pins.check("hub.local", 8573, A)
    assert pins.take_refusal("https://hub.local:8573") is None
    assert not pins.check("HUB.local", 8573, B)
    refusal = pins.take_refusal("https://hub.local:8573/v1/readings")
    assert (refusal.expected, refusal.presented) == (A, B)
    assert pins.take_refusal("https://hub.local:8573") is None, "a refusal is taken once"


def test_a_peer_without_a_pin_is_refused_and_trust_on_first_use_keeps_the_first():
    pins = Pins()
    assert not pins.check("10.0.0.9", 8574, A)
    assert pins.take_refusal("https://10.0.0.9:8574").expected is None
    pins.expect("https://10.0.0.9:8574", TRUST_ON_FIRST_USE)
    assert pins.pinned("https://10.0.0.9:8574") is None
    assert pins.check("10.0.0.9", 8574, A)
    assert pins.pinned("https://10.0.0.9:8574") == A
    assert not pins.check("10.0.0.9", 8574, B)
    assert not pins.check("10.0.0.9", 8575, A), "another port is another peer"


def test_replace_forgets_the_peers_not_named():
    pins = Pins()
    pins.expect("https://a:1", A)
    pins.replace({"https://b:2/": B})
    assert pins.pinned("https://a:1") is None and pins.pinned("https://b:2") == B


# -- the handshake --------------------------------------------------------------


class Recorder(Protocol):
    def __init__(self):
        self.received = b""
        self.lost = None

    def dataReceived(self, data):
        self.received += data

    def connectionLost(self, reason):
        self.lost = reason


class Sender(Recorder):
    def connectionMade(self):
        self.transport.write(b"Authorization: Bearer secret")


def handshake(certificate, pins: Pins, host="127.0.0.1", port=8573):
    """(what the server's application received, the client's application protocol)."""
    server_app, client_app, clock = Recorder(), Sender(), Clock()
    server = TLSMemoryBIOFactory(server_options(certificate), False, Factory.forProtocol(lambda: server_app),
                                 clock=clock)
    creator = PinningPolicy(pins).creatorForNetloc(host.encode(), port)
    client = TLSMemoryBIOFactory(creator, True, Factory.forProtocol(lambda: client_app), clock=clock)
    _, _, pump = connectedServerAndClient(lambda: server.buildProtocol(None),
                                          lambda: client.buildProtocol(None), clock=clock)
    pump.flush()
    return server_app.received, client_app


def test_the_pinned_certificate_completes_the_handshake(tmp_path):
    certificate = ensure_certificate(tmp_path, "hub", NOW)
    pins = Pins()
    pins.expect("https://127.0.0.1:8573", certificate.fingerprint)
    received, client = handshake(certificate, pins)
    assert received == b"Authorization: Bearer secret"
    assert client.lost is None


def test_another_certificate_is_refused_before_the_client_sends_anything(tmp_path):
    pinned = ensure_certificate(tmp_path / "old", "hub", NOW)
    replaced = ensure_certificate(tmp_path / "new", "hub", NOW)
    pins = Pins()
    pins.expect("https://127.0.0.1:8573", pinned.fingerprint)
    received, client = handshake(replaced, pins)
    assert received == b"", "the token never left the client"
    assert client.lost is not None
    refusal = pins.take_refusal("https://127.0.0.1:8573")
    assert (refusal.expected, refusal.presented) == (pinned.fingerprint, replaced.fingerprint)


def test_trust_on_first_use_pins_what_the_first_handshake_presented(tmp_path):
    first = ensure_certificate(tmp_path / "first", "hub", NOW)
    other = ensure_certificate(tmp_path / "other", "hub", NOW)
    pins = Pins()
    pins.expect("https://127.0.0.1:8573", TRUST_ON_FIRST_USE)
    assert handshake(first, pins)[0] == b"Authorization: Bearer secret"
    assert pins.pinned("https://127.0.0.1:8573") == first.fingerprint
    assert handshake(other, pins)[0] == b""
    assert handshake(first, pins)[0] == b"Authorization: Bearer secret"


def test_a_peer_nobody_pinned_gets_nothing(tmp_path):
    certificate = ensure_certificate(tmp_path, "relay", NOW)
    assert handshake(certificate, Pins(), port=8574)[0] == b""


def test_the_advertisement_carries_the_fingerprint_and_makes_the_url_https():
    from rpymostat.hub.advertise import hub_txt
    from rpymostat.node.discovery import candidate_from

    def properties(txt):
        return {k.encode(): v.encode() for k, v in txt.items()}

    plain = candidate_from("hub", ["10.0.0.2"], 8573, properties(hub_txt("h1", "1.0", "home")))
    assert (plain.url, plain.fingerprint) == ("http://10.0.0.2:8573", "")
    secure = candidate_from("hub", ["10.0.0.2"], 8573, properties(hub_txt("h1", "1.0", "home", A)))
    assert (secure.url, secure.fingerprint) == ("https://10.0.0.2:8573", A)
    assert candidate_from("hub", ["10.0.0.2"], 8573, properties({**hub_txt("h1", "1.0", "home"), "tls": "x"})) is None

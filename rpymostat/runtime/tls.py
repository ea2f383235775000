"""HTTPS with self-signed certificates, trusted by their fingerprint (trust on first use).

The hub and a relay node make their own certificate at first start (:func:`ensure_certificate`)
and keep it in their data dir. Nobody signs it, so a client checks neither a CA chain nor a
host name: it checks that the peer's certificate has the SHA-256 fingerprint it pinned
(:class:`Pins`, enforced in the TLS handshake by :class:`PinningPolicy`, the policy Twisted's
``Agent`` asks for every HTTPS connection). A node pins the hub's certificate when it
enrolls (from the mDNS advertisement, or the first one presented); the hub pins each relay's
from its registration, which the relay sends over its own pinned, authenticated channel.

Only functions called by a process that speaks TLS import pyOpenSSL or cryptography: a
process on plain HTTP keeps them out (see :func:`rpymostat.runtime.process.install_reactor`).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

import attrs
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator
from twisted.web.iweb import IPolicyForHTTPS
from zope.interface import implementer

from rpymostat.runtime.private import FILE_MODE, keep_private

CERT_FILE = "tls-cert.pem"
KEY_FILE = "tls-key.pem"
VALID_DAYS = 100 * 365
TRUST_ON_FIRST_USE = "trust-on-first-use"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class CertificateError(Exception):
    """The process's own certificate or key cannot be used; the message says what to do."""


def normalize_fingerprint(text: str) -> str:
    """64 lowercase hex digits from what a person may paste: ``AB:CD:...`` as ``openssl x509
    -fingerprint -sha256`` prints it, with or without a ``sha256`` prefix; ValueError otherwise."""
    cleaned = re.sub(r"^sha-?256[:= ]*", "", text.strip().lower()).replace(":", "")
    if not _HEX64.fullmatch(cleaned):
        raise ValueError(f"{text!r} is not a SHA-256 fingerprint (64 hex digits, colons allowed)")
    return cleaned


# -- the process's own certificate ---------------------------------------------


@attrs.frozen
class Certificate:
    cert_path: Path
    key_path: Path
    fingerprint: str
    created: bool


def local_names() -> list[str]:
    """The DNS names this machine answers to on a LAN without a DNS server of its own."""
    host = socket.gethostname().strip().lower()
    short = host.split(".")[0]
    names = [host, short, f"{short}.local", "localhost"] if short else ["localhost"]
    return [name for name in dict.fromkeys(names) if name.isascii()]


def local_addresses(listen: str = "0.0.0.0") -> list[str]:
    """This machine's IPv4 and IPv6 addresses (without link-local IPv6, which needs a scope),
    loopback included, and the address the server listens on."""
    import ifaddr

    found = ["127.0.0.1", "::1"]
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            found.append(ip.ip if isinstance(ip.ip, str) else ip.ip[0])
    if listen not in ("0.0.0.0", "::", ""):
        found.append(listen)
    usable = []
    for text in dict.fromkeys(found):
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        if not (address.version == 6 and address.is_link_local):
            usable.append(str(address))
    return usable


def ensure_certificate(data_dir: Path, label: str, now: float, listen: str = "0.0.0.0") -> Certificate:
    """The certificate in ``data_dir``, made with a new key when either file is missing.

    Both files are private like everything in a data dir (the certificate is no secret, but
    every peer gets it in the handshake anyway). The key is written before the certificate,
    each through a scratch file, so a crash leaves at worst a key without a certificate, and
    the next start makes both again. A key that others may read is tightened (with a
    warning) or, if it is not this user's, refused (:class:`rpymostat.runtime.private.NotPrivate`).
    """
    data_dir = Path(data_dir)
    cert_path, key_path = data_dir / CERT_FILE, data_dir / KEY_FILE
    if cert_path.exists() and key_path.exists():
        keep_private(key_path)
        return Certificate(cert_path, key_path, _check_pair(cert_path, key_path), created=False)
    cert_pem, key_pem = make_certificate(f"RPyMostat {label} {socket.gethostname()}", local_names(),
                                         local_addresses(listen), now)
    data_dir.mkdir(parents=True, exist_ok=True)
    _write(key_path, key_pem)
    _write(cert_path, cert_pem)
    return Certificate(cert_path, key_path, _check_pair(cert_path, key_path), created=True)


def make_certificate(common_name: str, names: list[str], addresses: list[str],
                     now: float) -> tuple[bytes, bytes]:
    """A self-signed server certificate and its key (P-256), both PEM."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    start = datetime.datetime.fromtimestamp(now, datetime.timezone.utc) - datetime.timedelta(days=1)
    alternatives = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _check_pair(cert_path: Path, key_path: Path) -> str:
    """The certificate's fingerprint, once it is known to belong to the key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    remedy = f"remove both {cert_path} and {key_path} to make a new certificate (nodes that pinned " \
             f"the old one must then be told the new fingerprint)"
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise CertificateError(f"cannot read the TLS certificate or key ({exc}); {remedy}") from None
    public = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(*public) != key.public_key().public_bytes(*public):
        raise CertificateError(f"the TLS certificate and key do not belong together; {remedy}")
    return cert.fingerprint(hashes.SHA256()).hex()


def _write(path: Path, data: bytes) -> None:
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(scratch, path)


def server_endpoint(reactor, port: int, interface: str, backlog: int, certificate: Certificate | None):
    """A TCP endpoint for plain HTTP, or TLS with ``certificate``."""
    from twisted.internet.endpoints import SSL4ServerEndpoint, TCP4ServerEndpoint

    if certificate is None:
        return TCP4ServerEndpoint(reactor, port, backlog=backlog, interface=interface)
    return SSL4ServerEndpoint(reactor, port, server_options(certificate), backlog=backlog, interface=interface)


def server_options(certificate: Certificate):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from twisted.internet.ssl import CertificateOptions, TLSVersion

    return CertificateOptions(
        privateKey=serialization.load_pem_private_key(certificate.key_path.read_bytes(), password=None),
        certificate=x509.load_pem_x509_certificate(certificate.cert_path.read_bytes()),
        raiseMinimumTo=TLSVersion.TLSv1_2)


# -- pinning the peer's certificate -----------------------------------------------


@attrs.frozen
class Refusal:
    """A handshake refused: ``presented`` is not ``expected`` (None: nothing was pinned)."""

    peer: str
    expected: str | None
    presented: str


def _peer(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


class Pins:
    """The certificate each HTTPS peer (host and port) must present.

    A pin is a fingerprint, or :data:`TRUST_ON_FIRST_USE`: the first certificate presented
    there becomes the pin. A peer without a pin is refused. The last refusal per peer is
    kept until the caller whose request failed takes it (:meth:`take_refusal`).
    """

    def __init__(self):
        self._pins: dict[tuple[str, int], str] = {}
        self._refused: dict[tuple[str, int], Refusal] = {}

    def expect(self, url: str, fingerprint: str) -> None:
        self._pins[_peer(url)] = fingerprint

    def replace(self, pins: Mapping[str, str]) -> None:
        self._pins = {_peer(url): fingerprint for url, fingerprint in pins.items()}

    def pinned(self, url: str) -> str | None:
        """The fingerprint ``url``'s peer must present (None while it is trusted on first use)."""
        pin = self._pins.get(_peer(url))
        return None if pin == TRUST_ON_FIRST_USE else pin

    def take_refusal(self, url: str) -> Refusal | None:
        return self._refused.pop(_peer(url), None)

    def check(self, host: str, port: int, presented: str) -> bool:
        """Called in the handshake with the peer's certificate's fingerprint."""
        peer = (host.lower(), port)
        pin = self._pins.get(peer)
        if pin == TRUST_ON_FIRST_USE:
            self._pins[peer] = pin = presented
        if pin == presented:
            self._refused.pop(peer, None)
            return True
        self._refused[peer] = Refusal(f"{host}:{port}", pin, presented)
        return False


@implementer(IPolicyForHTTPS)
class PinningPolicy:
    """What Twisted's ``Agent`` uses to open HTTPS connections: each handshake succeeds only
    when the server's certificate is the one pinned for its host and port."""

    def __init__(self, pins: Pins):
        self.pins = pins

    def creatorForNetloc(self, hostname: bytes, port: int):
        return _PinnedConnection(self.pins, hostname.decode("ascii"), port)


@implementer(IOpenSSLClientConnectionCreator)
class _PinnedConnection:
    def __init__(self, pins: Pins, host: str, port: int):
        self.pins = pins
        self.host = host
        self.port = port

    def clientConnectionForTLS(self, tls_protocol):
        from OpenSSL import SSL

        context = SSL.Context(SSL.TLS_CLIENT_METHOD)
        context.set_min_proto_version(SSL.TLS1_2_VERSION)
        context.set_verify(SSL.VERIFY_PEER, self._verify)
        connection = SSL.Connection(context, None)
        connection.set_app_data(tls_protocol)
        return connection

    def _verify(self, connection, certificate, error, depth, ok) -> bool:
        """The chain does not matter (the certificate signs itself); the peer's own does."""
        if depth > 0:
            return True
        from cryptography.hazmat.primitives import hashes

        presented = certificate.to_cryptography().fingerprint(hashes.SHA256()).hex()
        return self.pins.check(self.host, self.port, presented)


class PinnedHTTP:
    """treq's ``request`` and ``content`` over an ``Agent`` whose HTTPS connections are
    checked against ``pins``; plain HTTP URLs pass as with treq."""

    def __init__(self, reactor, pins: Pins):
        from treq.client import HTTPClient
        from twisted.web.client import Agent, HTTPConnectionPool

        self.pins = pins
        self.pool = HTTPConnectionPool(reactor)
        self._client = HTTPClient(Agent(reactor, contextFactory=PinningPolicy(pins), pool=self.pool))

    def request(self, method: str, url: str, **kwargs):
        return self._client.request(method, url, **kwargs)

    @staticmethod
    def content(response):
        return response.content()


def http_client(reactor, tls: bool) -> tuple[object, Pins | None]:
    """The HTTP client (treq's calls) a process talks to its peers with, and its pins: HTTPS
    checked against the pins, or, in a process on plain HTTP (no pyOpenSSL), treq alone."""
    import treq

    if not tls:
        return treq, None
    pins = Pins()
    return PinnedHTTP(reactor, pins), pins

"""What every request passes before its route runs, on the hub's API and the relay's alike.

- **Host**: a browser on the LAN can be made to send requests to this API under a name an
  attacker controls (DNS rebinding). The API answers only the names it is known by: the
  machine's names and addresses, ``localhost``, loopback, ``*.local`` and ``allowed_hosts``.
- **Origin**: a browser names the page that made a request; a page from elsewhere may not
  use the API unless its origin is in ``allowed_origins``. CORS headers are sent only to
  those origins, so with none configured there are none.
- **Failed authentication**: each client address may fail a burst of times; after that its
  requests with credentials are refused (429) until its record recovers, one failure
  forgiven per ``every_s``. Bearer tokens are 256-bit secrets, so this is less about
  guessing them than about what a flood costs and about enrollment keys chosen by people.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import socket
from collections import OrderedDict
from typing import Callable, Iterable
from urllib.parse import urlsplit

import attrs
from twisted.logger import Logger

from rpymostat.web.http import ApiError

log = Logger()

ANY = "*"
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1", "*.local")
DEFAULT_PORTS = {"http": 80, "https": 443}
ADDRESS_REFRESH_S = 10.0
CORS_HEADERS = "Authorization, Content-Type"
CORS_MAX_AGE_S = 600


class OriginError(ValueError):
    """A configured origin that is not ``scheme://host[:port]``."""


def normal_host(name: str) -> str:
    """One spelling per host: lower case, no trailing dot, IPv6 compressed and unbracketed."""
    name = name.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).compressed
    except ValueError:
        return name


@functools.lru_cache(maxsize=256)
def split_host(header: str) -> tuple[str, int | None] | None:
    """``(host, port)`` of a Host header, or None when it is not one. Kept for the few
    Host headers a hub sees: parsing an address costs a tenth of a cached answer."""
    header = header.strip()
    if header.startswith("["):
        host, bracket, rest = header[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port = rest[1:] if rest else None
    elif header.count(":") == 1:
        host, port = header.split(":")
    else:
        host, port = header, None
    if not host or (port is not None and not (port.isdigit() and int(port) <= 65535)):
        return None
    return normal_host(host), None if port is None else int(port)


def parse_origin(text: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a web origin such as ``https://ui.example:8580``."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise OriginError(f"{text!r} is not an origin") from None
    if (parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/")
            or parts.query or parts.fragment or parts.username or parts.password):
        raise OriginError(f"{text!r} is not an origin like https://ui.example:8580")
    return parts.scheme, normal_host(parts.hostname), port or DEFAULT_PORTS[parts.scheme]


def machine_names() -> set[str]:
    """The host name and the fully qualified name (which may ask DNS: read once)."""
    return {normal_host(name) for name in (socket.gethostname(), socket.getfqdn()) if name}


def machine_addresses() -> set[str]:
    """Every address of every interface, as ``ifaddr`` (a zeroconf dependency) lists them."""
    import ifaddr

    found = set()
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            found.add(normal_host(ip.ip[0] if isinstance(ip.ip, tuple) else ip.ip))
    return found


class HostCheck:
    """Is a Host one of the names this API is known by.

    Interface addresses change (DHCP after the hub started, a new interface), so a Host
    that is not known sends the check back to the interfaces, at most once per
    ``ADDRESS_REFRESH_S``: a flood of strange Hosts costs one listing per interval.
    """

    def __init__(self, clock, allowed: Iterable[str] = (), listen: str | None = None,
                 names: Callable[[], set[str]] = machine_names,
                 addresses: Callable[[], set[str]] = machine_addresses):
        allowed = [normal_host(name) for name in allowed]
        self.any = ANY in allowed
        patterns = [name for name in (*DEFAULT_HOSTS, *allowed) if name != ANY]
        self._exact = {name for name in patterns if not name.startswith("*.")}
        self._suffixes = tuple(name[1:] for name in patterns if name.startswith("*."))
        if listen and listen not in ("0.0.0.0", "::", ""):
            self._exact.add(normal_host(listen))
        self._clock = clock
        self._addresses = addresses
        self._known = set() if self.any else names() | addresses()
        self._listed_at = clock.seconds()

    def allows(self, host: str) -> bool:
        if self.any or self._matches(host):
            return True
        if self._clock.seconds() - self._listed_at >= ADDRESS_REFRESH_S:
            self._listed_at = self._clock.seconds()
            self._known |= self._addresses()
            return host in self._known
        return False

    def _matches(self, host: str) -> bool:
        return host in self._exact or host in self._known or host.endswith(self._suffixes)


@attrs.frozen
class FailureLimit:
    """``burst`` failed authentications, then one more per ``every_s``; ``addresses`` is
    how many client addresses are remembered at once (the memory bound)."""

    burst: int = 10
    every_s: float = 6.0
    addresses: int = 4096


@attrs.frozen
class Standing:
    """One address's record: when it is clear again (each failure pushes that ``every_s``
    further), and whether it is in a throttled episode (logged once, at its start)."""

    clear_at: float
    throttled: bool = False


class Throttle:
    """Failed authentication per client address, in bounded memory.

    IPv6 clients count by their /64, which one host usually holds whole. When more
    addresses fail at once than are remembered, the least recently failing are forgotten:
    an attacker with that many addresses can guess at that many times the rate.
    """

    def __init__(self, clock, limit: FailureLimit = FailureLimit()):
        self._clock = clock
        self.limit = limit
        self._table: OrderedDict[str, Standing] = OrderedDict()

    def __len__(self) -> int:
        return len(self._table)

    def _standing(self, key: str, now: float) -> Standing | None:
        standing = self._table.get(key)
        if standing is not None and standing.clear_at <= now:
            del self._table[key]
            return None
        return standing

    def _slack_s(self) -> float:
        return (self.limit.burst - 1) * self.limit.every_s

    def wait_s(self, key: str) -> float:
        """How long requests with credentials from this address are refused (0: not)."""
        now = self._clock.seconds()
        standing = self._standing(key, now)
        return 0.0 if standing is None else max(0.0, standing.clear_at - now - self._slack_s())

    def failed(self, key: str) -> None:
        now = self._clock.seconds()
        standing = self._standing(key, now) or Standing(clear_at=now)
        standing = attrs.evolve(standing, clear_at=max(standing.clear_at, now) + self.limit.every_s)
        if not standing.throttled and standing.clear_at - now > self._slack_s():
            standing = attrs.evolve(standing, throttled=True)
            log.warn("{burst} failed authentications from {address}: refusing its requests with "
                     "credentials, then allowing one every {every} s",
                     burst=self.limit.burst, address=key, every=self.limit.every_s)
        self._table.pop(key, None)
        self._make_room(now)
        self._table[key] = standing

    def _make_room(self, now: float) -> None:
        while self._table:
            oldest_key, oldest = next(iter(self._table.items()))
            if oldest.clear_at > now and len(self._table) < self.limit.addresses:
                return
            del self._table[oldest_key]


def client_key(request) -> str:
    address = request.getClientAddress()
    host = getattr(address, "host", None)
    return _address_key(host) if isinstance(host, str) else str(host or address)


@functools.lru_cache(maxsize=1024)
def _address_key(host: str) -> str:
    """What failed authentications count against: the IPv4 address, or the IPv6 /64."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def _header(request, name: bytes) -> str | None:
    value = request.getHeader(name)
    return None if value is None else value.decode("latin-1")


@attrs.frozen
class Settings:
    """Where a refused client is told to look: the settings' names in this process's
    configuration (the hub's file, or the relay node's)."""

    hosts: str = "allowed_hosts"
    origins: str = "allowed_origins"


class Gate:
    """The checks of this module for one API, in the order a request meets them."""

    def __init__(self, clock, *, hosts: HostCheck | None = None, allowed_origins: Iterable[str] = (),
                 limit: FailureLimit = FailureLimit(), settings: Settings = Settings()):
        self.hosts = hosts or HostCheck(clock)
        self.origins = {parse_origin(origin) for origin in allowed_origins}
        self.throttle = Throttle(clock, limit)
        self.settings = settings

    def admit(self, request, credentials: bool) -> None:
        """Raise ApiError unless the request may go on to its route; set CORS headers for an
        allowed foreign origin."""
        self._origin(request, self._host(request))
        if credentials:
            self.not_throttled(request)

    def not_throttled(self, request) -> None:
        """Raise 429 while the client's address is throttled. Checked again before the
        answer to a request that waited for the tokens to be read: requests sent together
        must not all learn whether their token is good."""
        wait = self.throttle.wait_s(client_key(request))
        if wait > 0:
            seconds = math.ceil(wait)
            request.setHeader(b"retry-after", str(seconds).encode())
            raise ApiError(429, "too_many_failures",
                           f"too many failed authentications from this address; retry in {seconds} s",
                           {"retry_after_s": seconds})

    def failed(self, request) -> None:
        self.throttle.failed(client_key(request))

    def _host(self, request) -> tuple[str, int | None] | None:
        header = _header(request, b"host")
        if header is None:
            return None  # HTTP/1.0 clients; browsers always send a Host
        host = split_host(header)
        if host is None:
            raise ApiError(400, "malformed", f"the Host header {header[:100]!r} is not a host name")
        if not self.hosts.allows(host[0]):
            raise ApiError(421, "host_not_allowed",
                           f"this API does not answer to the name {host[0][:100]!r}; if that name is "
                           f"right, add it to {self.settings.hosts}",
                           {"host": host[0][:100], "setting": self.settings.hosts})
        return host

    def _origin(self, request, host: tuple[str, int | None] | None) -> bool:
        """True for an allowed foreign origin (CORS headers set), False for none or the
        request's own; ApiError for any other."""
        origin = _header(request, b"origin")
        if origin is None:
            return False
        try:
            parsed = parse_origin(origin)
        except OriginError:
            parsed = None
        if parsed is not None and host is not None:
            scheme = "https" if request.isSecure() else "http"
            if parsed == (scheme, host[0], host[1] or DEFAULT_PORTS[scheme]):
                return False
        if parsed is not None and parsed in self.origins:
            request.setHeader(b"access-control-allow-origin", origin.encode("latin-1"))
            request.setHeader(b"access-control-expose-headers", b"Retry-After, Allow")
            request.setHeader(b"vary", b"Origin")
            return True
        raise ApiError(403, "origin_not_allowed",
                       f"pages from {origin[:100]!r} may not use this API; to allow them, add that "
                       f"origin to {self.settings.origins}",
                       {"origin": origin[:100], "setting": self.settings.origins})

    def preflight(self, request, methods: Iterable[str]) -> bool:
        """Answer a CORS preflight (an OPTIONS request with an Origin and the method it
        asks about) when CORS is configured; False leaves the request to the router."""
        if (not self.origins or request.getHeader(b"origin") is None
                or request.getHeader(b"access-control-request-method") is None):
            return False
        if not self._origin(request, self._host(request)):
            return False  # same origin: a browser sends no preflight for that
        request.setHeader(b"access-control-allow-methods", ", ".join(sorted(methods)).encode())
        request.setHeader(b"access-control-allow-headers", CORS_HEADERS.encode())
        request.setHeader(b"access-control-max-age", str(CORS_MAX_AGE_S).encode())
        return True

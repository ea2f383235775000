"""How a node finds hubs: browsing mDNS for ``_rpymostat._tcp.local.`` (the hub's
advertisement, :mod:`rpymostat.hub.advertise`), and the backoff between attempts.
"""

from __future__ import annotations

from typing import Callable, Sequence

import attrs
from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import deferLater
from twisted.logger import Logger

from rpymostat.runtime.tls import normalize_fingerprint
from rpymostat.runtime.zeroconf import SERVICE_TYPE, from_coroutine, zeroconf_on

log = Logger()


@attrs.frozen
class HubCandidate:
    """A hub as an advertisement describes it: where it answers and who it says it is."""

    url: str
    hub_id: str
    system: str
    name: str = ""
    fingerprint: str = ""  # of the certificate it advertises; an https URL has one


def candidate_from(name: str, addresses: Sequence[str], port: int, properties: dict) -> HubCandidate | None:
    """The candidate an mDNS answer describes, or None when it is not an RPyMostat v1 hub."""

    def text(key: bytes) -> str:
        value = properties.get(key)
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else ""

    if text(b"api") != "v1" or not text(b"hub_id") or not addresses or not port:
        return None
    fingerprint = ""
    if text(b"tls"):
        try:
            fingerprint = normalize_fingerprint(text(b"tls"))
        except ValueError:
            return None
    scheme = "https" if fingerprint else "http"
    return HubCandidate(url=f"{scheme}://{addresses[0]}:{port}", hub_id=text(b"hub_id"),
                        system=text(b"system"), name=name, fingerprint=fingerprint)


class Backoff:
    """Delays between browse attempts: 1, 2, 4, ... seconds, at most ``maximum``."""

    def __init__(self, first: float = 1.0, maximum: float = 30.0):
        self.first = first
        self.maximum = maximum
        self._next = first

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self._next = self.first


class HubBrowser:
    """Watches ``_rpymostat._tcp.local.`` and keeps the hubs currently advertised.

    ``browse()`` starts a fresh browser (which queries at once) and fires with the
    candidates seen within a short window; between browses the browser keeps running, so
    ``on_candidate`` listeners hear at once when a hub re-announces itself, e.g. after a
    restart on another port. The AsyncZeroconf is made on first use, which is always
    after the reactor runs (the nodes call ``browse`` from a running reactor).
    """

    def __init__(self, reactor, interfaces: Sequence[str] = (), resolve_timeout_ms: int = 3000):
        self.reactor = reactor
        self.interfaces = list(interfaces)
        self.resolve_timeout_ms = resolve_timeout_ms
        self.seen: dict[str, HubCandidate] = {}
        self.listeners: list[Callable[[HubCandidate], None]] = []
        self._zeroconf = None
        self._browser = None
        self._closed = False

    def on_candidate(self, listener: Callable[[HubCandidate], None]) -> None:
        self.listeners.append(listener)

    @inlineCallbacks
    def browse(self, want: Callable[[HubCandidate], bool], window: float = 3.0):
        """Candidates for which ``want`` holds, as soon as one is seen or after ``window`` s."""
        from zeroconf.asyncio import AsyncServiceBrowser

        if self._zeroconf is None:
            self._zeroconf = zeroconf_on(self.interfaces)
        if self._browser is not None:
            yield from_coroutine(self._browser.async_cancel())
        self.seen = {}
        self._browser = AsyncServiceBrowser(self._zeroconf.zeroconf, SERVICE_TYPE, handlers=[self._changed])
        waited = 0.0
        while waited < window and not self._closed:
            found = [c for c in self.seen.values() if want(c)]
            if found:
                return found
            yield deferLater(self.reactor, 0.1, lambda: None)
            waited += 0.1
        return [c for c in self.seen.values() if want(c)]

    def _changed(self, zeroconf, service_type, name, state_change):
        from zeroconf import ServiceStateChange

        if state_change is ServiceStateChange.Removed:
            self.seen.pop(name, None)
            return
        d = from_coroutine(self._resolve(name))
        d.addErrback(lambda f: log.debug("could not resolve {name}: {f.value}", name=name, f=f))

    async def _resolve(self, name: str) -> None:
        from zeroconf import IPVersion
        from zeroconf.asyncio import AsyncServiceInfo

        zeroconf = self._zeroconf
        if zeroconf is None:
            return
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        if not await info.async_request(zeroconf.zeroconf, self.resolve_timeout_ms):
            return
        candidate = candidate_from(name, info.parsed_addresses(IPVersion.V4Only), info.port or 0,
                                   info.properties or {})
        if candidate is None or self._closed:
            return
        self.seen[name] = candidate
        for listener in list(self.listeners):
            listener(candidate)

    @inlineCallbacks
    def close(self):
        self._closed = True
        zeroconf, self._zeroconf = self._zeroconf, None
        browser, self._browser = self._browser, None
        if browser is not None:
            yield from_coroutine(browser.async_cancel())
        if zeroconf is not None:
            yield from_coroutine(zeroconf.async_close())

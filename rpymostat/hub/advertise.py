"""The hub's mDNS/DNS-SD advertisement: ``_rpymostat._tcp.local.`` with TXT ``api``,
``hub_id``, ``version``, ``system`` and, on HTTPS, ``tls``. An advertisement is only a
hint: nodes verify the hub with an authenticated call and talk only to the hub they
enrolled with (:mod:`rpymostat.node.link`).
"""

from __future__ import annotations

import socket

from twisted.application.service import Service
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.task import deferLater
from twisted.logger import Logger

from rpymostat.runtime.zeroconf import SERVICE_TYPE, from_coroutine, zeroconf_for

log = Logger()


def advertised_addresses(listen: str) -> list[str]:
    if listen not in ("0.0.0.0", ""):
        return [listen]
    import ifaddr

    found = [ip.ip for adapter in ifaddr.get_adapters() for ip in adapter.ips
             if isinstance(ip.ip, str) and not ip.ip.startswith("127.")]
    return found or ["127.0.0.1"]


def hub_txt(hub_id: str, version: str, system: str, fingerprint: str | None = None) -> dict[str, str]:
    """The TXT record; ``tls`` (the SHA-256 fingerprint of the hub's certificate) says the
    hub speaks HTTPS, and is what a node pins when it enrolls."""
    txt = {"api": "v1", "hub_id": hub_id, "version": version, "system": system}
    if fingerprint:
        txt["tls"] = fingerprint
    return txt


class Advertiser(Service):
    """Announces one service while running; withdraws it (goodbye packets) on stop."""

    def __init__(self, reactor, *, name: str, port: int, listen: str, properties: dict[str, str]):
        self.reactor = reactor
        self.instance_name = name
        self.port = port
        self.listen = listen
        self.properties = properties
        self._zeroconf = None
        self._info = None
        self.registered: Deferred | None = None

    def startService(self):
        super().startService()
        self.registered = deferLater(self.reactor, 0, lambda: None)
        self.registered.addCallback(lambda _: self._register())
        self.registered.addErrback(lambda f: log.failure("zeroconf advertisement failed", f))

    @inlineCallbacks
    def _register(self):
        from zeroconf import ServiceInfo

        self._zeroconf = zeroconf_for(self.listen)
        label = self.instance_name[:63]
        self._info = ServiceInfo(
            SERVICE_TYPE,
            f"{label}.{SERVICE_TYPE}",
            port=self.port,
            properties=self.properties,
            addresses=[socket.inet_aton(a) for a in advertised_addresses(self.listen)],
            server=f"{socket.gethostname().split('.')[0] or 'rpymostat'}.local.",
        )
        task = yield from_coroutine(self._zeroconf.async_register_service(self._info,
                                                                          allow_name_change=True))
        yield Deferred.fromFuture(task)
        log.info("advertised {name} on {addresses} port {port}", name=self._info.name,
                 addresses=advertised_addresses(self.listen), port=self.port)

    @inlineCallbacks
    def stopService(self):
        super().stopService()
        if self.registered is not None and not self.registered.called:
            self.registered.cancel()
        if self._zeroconf is not None:
            zeroconf, self._zeroconf = self._zeroconf, None
            try:
                if self._info is not None:
                    yield from_coroutine(zeroconf.async_unregister_service(self._info))
            finally:
                yield from_coroutine(zeroconf.async_close())

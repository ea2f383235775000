"""The relay node as a Twisted service: outputs off first, then the API, then the hub link;
on stop the reverse, ending with every output off."""

from __future__ import annotations

from urllib.parse import urlsplit

from twisted.internet.defer import inlineCallbacks
from twisted.logger import Logger

from rpymostat.node.identity import node_id
from rpymostat.node.service import NodeService
from rpymostat.runtime.clock import boot_for, timer_for
from rpymostat.runtime.config import connection_limits
from rpymostat.runtime.plugins import load_class, with_clock
from rpymostat.runtime.tls import Certificate, ensure_certificate, server_endpoint
from rpymostat.web.gate import Gate, HostCheck, Settings
from rpymostat.web.site import LISTEN_BACKLOG, QuietSite, fit_descriptors
from rpymostat_relay.api import RelayAPI
from rpymostat_relay.config import RelayConfig
from rpymostat_relay.daemon import RelayNode
from rpymostat_relay.outputs import JOURNAL_FILE, Journal, OutputBank

log = Logger(namespace="rpymostat.relay")
STOP_REPORT_S = 2.0


def relay_gate(config: RelayConfig, clock) -> Gate:
    """The relay answers to its machine's names, and to the host of its ``url`` (the name
    the hub is told to call it by)."""
    allowed = list(config.allowed_hosts)
    if config.url:
        allowed.append(urlsplit(config.url).hostname or "")
    return Gate(clock, hosts=HostCheck(clock, [name for name in allowed if name], config.listen),
                allowed_origins=config.allowed_origins,
                settings=Settings(hosts=config.ways_to_set("allowed_hosts"),
                                  origins=config.ways_to_set("allowed_origins")))


class RelayService(NodeService):
    kind = "relay"

    def __init__(self, config: RelayConfig, reactor, clock=None, timer=None, boot_id: str | None = None):
        """``timer`` is the monotonic clock of leases and the minimum off time, and
        ``boot_id`` the boot of the machine it counts in (``rpymostat.runtime.clock.boot_for``).
        Without ``timer``: the machine's monotonic clock and its boot."""
        super().__init__(config, reactor, clock)
        self.timer = timer if timer is not None else timer_for(reactor, None)
        self.boot_id = boot_id if timer is not None else boot_for(None)
        self.bank: OutputBank | None = None
        self.node: RelayNode | None = None
        self.port = None

    @inlineCallbacks
    def _start(self):
        config = self.config
        run = self._private_runner(JOURNAL_FILE)
        driver = yield run(with_clock(load_class("rpymostat_relay.drivers", config.driver), self.clock),
                           config.driver_settings)
        ident = node_id(config.data_dir, kind="relay")
        self.bank = OutputBank(clock=self.clock, driver=driver, run=run,
                               journal=Journal(config.data_dir / JOURNAL_FILE),
                               on_change=lambda *change: self.node.output_changed(*change), timer=self.timer,
                               boot_id=self.boot_id)
        api = RelayAPI(bank=self.bank, node_id=ident, clock=self.clock, gate=relay_gate(config, self.reactor))
        certificate = self._certificate()
        self.node = RelayNode(bank=self.bank, api=api, node_id=ident, name=config.name, port=config.port,
                              listen=config.listen, url=config.url,
                              fingerprint=certificate.fingerprint if certificate else None)
        self.bank.crashed.addErrback(self.crash)
        self.node.crashed.addErrback(self.crash)
        yield self.bank.boot()
        # Connection timeouts keep real time, also under the demo's faster clock.
        site = QuietSite(api.resource(), fit_descriptors(connection_limits(config)), reactor=self.reactor)
        endpoint = server_endpoint(self.reactor, config.port, config.listen, LISTEN_BACKLOG, certificate)
        self.port = yield endpoint.listen(site)
        self.node.port = self.port.getHost().port
        log.info("relay node {ident} ({name}), driver {driver}, API on {scheme}://{host}:{port}/, hub: {hub}",
                 ident=ident, name=config.name, driver=config.driver, scheme=self.node.scheme,
                 host=config.listen, port=self.node.port, hub=config.hub or "found over mDNS")
        if certificate is not None:
            log.info("TLS certificate sha256 {fingerprint} ({path})", fingerprint=certificate.fingerprint,
                     path=certificate.cert_path)
        self.node.link = self._hub_link(self.node, ident)
        self.node.link.start()
        return self

    def _certificate(self) -> Certificate | None:
        if not self.config.tls:
            return None
        certificate = ensure_certificate(self.config.data_dir, "relay", self.reactor.seconds(),
                                         self.config.listen)
        if certificate.created:
            log.info("made a new self-signed TLS certificate in {path}", path=certificate.cert_path)
        return certificate

    @inlineCallbacks
    def stopService(self):
        super().stopService()
        if self.node is not None and self.node.link is not None:
            self.node.link.stop()
        if self.port is not None:
            yield self.port.stopListening()
        if self.bank is not None:
            yield self.bank.stop()
        if self.node is not None:
            # One last, short attempt to tell the hub the outputs are off.
            sending = self.node.send_reports()
            timeout = self.reactor.callLater(STOP_REPORT_S, sending.cancel)
            yield sending
            if timeout.active():
                timeout.cancel()
            self.node.stop()
        yield self._stop_shared()

"""What both node daemons are as Twisted services: one worker thread for the blocking work
(drivers are called from one thread at a time), everything built once the reactor runs
(zeroconf must not be created before), a private data dir, the hub link, and ``crashed``,
which fails when a part of the node stopped on an unexpected error, so that the process
ends and is restarted rather than carrying on half-working."""

from __future__ import annotations

from typing import Callable, ClassVar

from twisted.application.service import Service
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.task import deferLater
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from rpymostat.node.credentials import FILE as CREDENTIALS_FILE
from rpymostat.node.discovery import HubBrowser
from rpymostat.node.link import HubLink
from rpymostat.runtime.private import keep_private_if_present, private_dir
from rpymostat.runtime.process import thread_runner
from rpymostat.runtime.tls import http_client


class NodeService(Service):
    """A daemon's service builds its parts in ``_start`` (a Deferred of itself, fired into
    ``ready``) and tears them down in ``stopService``, ending with :meth:`_stop_shared`."""

    kind: ClassVar[str]  # "sensor" or "relay": names the worker thread

    def __init__(self, config, reactor, clock=None):
        """``clock`` is the wall clock the node's own behaviour keeps (the reactor unless the
        demo speeds it up); network time-outs and retries keep the reactor's."""
        self.config = config
        self.reactor = reactor
        self.clock = clock or reactor
        self.ready: Deferred = Deferred()
        self.crashed: Deferred = Deferred()
        self.pool = ThreadPool(minthreads=1, maxthreads=1, name=f"rpymostat-{self.kind}")
        self.browser: HubBrowser | None = None

    def startService(self):
        super().startService()
        self.pool.start()
        deferLater(self.reactor, 0, self._start).chainDeferred(self.ready)

    def crash(self, failure: Failure) -> None:
        if not self.crashed.called:
            self.crashed.errback(failure)

    def _private_runner(self, *files: str) -> Callable:
        """The data dir and the secrets in it made private; ``run(f, *args)`` in the worker."""
        data_dir = self.config.data_dir
        private_dir(data_dir)
        keep_private_if_present(data_dir / CREDENTIALS_FILE, *(data_dir / name for name in files))
        return thread_runner(self.reactor, self.pool)

    def _hub_link(self, node, ident: str) -> HubLink:
        """The link of ``node`` (its ``registration`` and ``registered``) to the configured
        hub, or to the one a browser finds over mDNS."""
        config = self.config
        if not config.hub:
            self.browser = HubBrowser(self.reactor, config.zeroconf_interfaces)
        http, pins = http_client(self.reactor, config.uses_tls)
        return HubLink(
            clock=self.reactor, http=http, data_dir=config.data_dir, node_id=ident, name=config.name,
            registration=node.registration, on_registered=node.registered,
            browser=self.browser, hub_url=config.hub, enrollment_key=config.enrollment_key,
            token=config.token, system=config.system, pins=pins, hub_fingerprint=config.hub_fingerprint,
            ways_to_set=config.ways_to_set)

    @inlineCallbacks
    def _stop_shared(self):
        if self.browser is not None:
            yield self.browser.close()
        self.pool.stop()

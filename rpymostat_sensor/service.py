"""The sensor node as a Twisted service: thread pool, driver, queue, hub link and node,
built once the reactor runs (zeroconf must not be created before) and torn down in order.
``crashed`` fails when the node stopped on an unexpected error."""

from __future__ import annotations

from twisted.application.service import Service
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.task import deferLater
from twisted.logger import Logger
from twisted.python.threadpool import ThreadPool

from rpymostat.node.credentials import FILE as CREDENTIALS_FILE
from rpymostat.node.discovery import HubBrowser
from rpymostat.node.identity import node_id
from rpymostat.node.link import HubLink
from rpymostat.runtime.plugins import load_class, with_clock
from rpymostat.runtime.private import keep_private_if_present, private_dir
from rpymostat.runtime.process import thread_runner
from rpymostat.runtime.tls import http_client
from rpymostat_sensor.config import SensorConfig
from rpymostat_sensor.daemon import SensorNode
from rpymostat_sensor.queue import ReadingQueue

log = Logger(namespace="rpymostat.sensor")


class SensorService(Service):
    def __init__(self, config: SensorConfig, reactor, clock=None):
        self.config = config
        self.reactor = reactor
        self.clock = clock or reactor
        self.ready: Deferred = Deferred()
        self.crashed: Deferred = Deferred()
        self.pool = ThreadPool(minthreads=1, maxthreads=1, name="rpymostat-sensor")
        self.node: SensorNode | None = None
        self.browser: HubBrowser | None = None
        self.queue: ReadingQueue | None = None

    def startService(self):
        super().startService()
        self.pool.start()
        deferLater(self.reactor, 0, self._start).chainDeferred(self.ready)

    @inlineCallbacks
    def _start(self):
        config = self.config
        private_dir(config.data_dir)
        keep_private_if_present(config.data_dir / CREDENTIALS_FILE)
        run = thread_runner(self.reactor, self.pool)
        driver = with_clock(load_class("rpymostat_sensor.drivers", config.driver), self.clock)(
            config.driver_settings)
        self.queue = yield run(lambda: ReadingQueue(config.data_dir / "queue.sqlite3",
                                                    max_entries=config.max_queued,
                                                    retention_s=config.retention_days * 86400))
        ident = node_id(config.data_dir, kind="sensor")
        log.info("sensor node {ident} ({name}), driver {driver}, data in {dir}, hub: {hub}",
                 ident=ident, name=config.name, driver=config.driver, dir=config.data_dir,
                 hub=config.hub or "found over mDNS")
        self.node = SensorNode(clock=self.clock, driver=driver, queue=self.queue, node_id=ident,
                               name=config.name, run=run, report_interval_s=config.report_interval_s)
        self.node.crashed.chainDeferred(self.crashed)
        if not config.hub:
            self.browser = HubBrowser(self.reactor, config.zeroconf_interfaces)
        http, pins = http_client(self.reactor, config.uses_tls)
        self.node.link = HubLink(
            clock=self.reactor, http=http, data_dir=config.data_dir, node_id=ident, name=config.name,
            registration=self.node.registration, on_registered=self.node.registered,
            browser=self.browser, hub_url=config.hub, enrollment_key=config.enrollment_key,
            token=config.token, system=config.system, pins=pins, hub_fingerprint=config.hub_fingerprint,
            ways_to_set=config.ways_to_set)
        yield self.node.start()
        return self

    @inlineCallbacks
    def stopService(self):
        super().stopService()
        if self.node is not None:
            yield self.node.stop()
        if self.browser is not None:
            yield self.browser.close()
        self.pool.stop()
        if self.queue is not None:
            self.queue.close()

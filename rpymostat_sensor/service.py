"""The sensor node as a Twisted service: driver, queue, hub link and node, built once the
reactor runs and torn down in order (the shared part: ``rpymostat.node.service``)."""

from __future__ import annotations

from twisted.internet.defer import inlineCallbacks
from twisted.logger import Logger

from rpymostat.node.identity import node_id
from rpymostat.node.service import NodeService
from rpymostat.runtime.plugins import load_class, with_clock
from rpymostat_sensor.daemon import SensorNode
from rpymostat_sensor.queue import ReadingQueue

log = Logger(namespace="rpymostat.sensor")


class SensorService(NodeService):
    kind = "sensor"

    def __init__(self, config, reactor, clock=None):
        super().__init__(config, reactor, clock)
        self.node: SensorNode | None = None
        self.queue: ReadingQueue | None = None

    @inlineCallbacks
    def _start(self):
        config = self.config
        run = self._private_runner()
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
        self.node.crashed.addErrback(self.crash)
        self.node.link = self._hub_link(self.node, ident)
        yield self.node.start()
        return self

    @inlineCallbacks
    def stopService(self):
        super().stopService()
        if self.node is not None:
            yield self.node.stop()
        yield self._stop_shared()
        if self.queue is not None:
            self.queue.close()

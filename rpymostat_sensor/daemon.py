"""The sensor node's work: read the sensors every report interval, keep every good reading
in the on-disk queue, and forward the queue to the hub oldest first.

Every reading goes through the queue, so a reading taken while the hub is away, or
before the node found it, is sent later with its original time; the queue outlives a
restart of the node. A batch leaves the queue only once the hub has answered for it:

- 202: the hub has the batch (new ones stored, duplicates recognised by
  (sensor_id, time), invalid ones listed in ``errors``, which are logged and dropped);
- 400/413/422: the hub will never take this batch; it is logged and dropped;
- anything else (network, timeout, 5xx, 401, 403, 404): the batch stays and is tried
  again next cycle; a 404 (the hub forgot this node) also triggers a new registration.

Blocking work (the driver, which may take ~750 ms per DS18B20, and the SQLite queue) goes
through ``run`` (a thread pool in the daemon, inline in tests); the clock is injected.
"""

from __future__ import annotations

from typing import Callable

import attrs
from twisted.internet.defer import DeferredLock, inlineCallbacks
from twisted.logger import Logger

from rpymostat import __version__
from rpymostat.nodeclient import HubRefused, HubUnreachable
from rpymostat.timeutil import format_time
from rpymostat_sensor.drivers import SensorInfo
from rpymostat_sensor.queue import QueuedReading

log = Logger(namespace="rpymostat.sensor")
BATCH_MAX = 5000
DROP_STATUSES = (400, 413, 422)


@attrs.frozen
class Measurement:
    """One pass over the driver: the sensors present and the good readings, stamped."""

    sensors: tuple[SensorInfo, ...]
    readings: tuple[QueuedReading, ...]
    failures: tuple[tuple[str, str], ...]


def measure(driver, now: float) -> Measurement:
    """Blocking: discover and read every sensor once (runs in a worker thread)."""
    sensors = tuple(driver.discover())
    stamp = format_time(now)
    good, failed = [], []
    for info in sensors:
        reading = driver.read(info.id)
        if reading.ok:
            good.append(QueuedReading(info.id, stamp, reading.value))
        else:
            failed.append((info.id, reading.reason))
    return Measurement(sensors, tuple(good), tuple(failed))


class SensorNode:
    """``link`` is a :class:`rpymostat.hublink.HubLink` whose ``registration`` and
    ``on_registered`` are this node's methods of the same names."""

    def __init__(self, *, clock, driver, queue, node_id: str, name: str, run: Callable,
                 report_interval_s: float = 30.0, batch_max: int = BATCH_MAX):
        self.clock = clock
        self.driver = driver
        self.queue = queue
        self.node_id = node_id
        self.name = name
        self.run = run
        self.report_interval_s = report_interval_s
        self.batch_max = batch_max
        self.link = None
        self.sensors: tuple[SensorInfo, ...] = ()
        self.registered_ids: frozenset[str] = frozenset()
        self.stats = {"accepted": 0, "duplicates": 0, "rejected": 0, "dropped": 0}
        self._lock = DeferredLock()
        self._call = None
        self._last_started = 0.0
        self._running = False

    # -- the link's callbacks -------------------------------------------------

    def registration(self, url: str) -> dict:
        return {"node_id": self.node_id, "kind": "sensor", "name": self.name, "version": __version__,
                "sensors": [{"sensor_id": s.id, "type": s.type, "name": s.name} for s in self.sensors]}

    def registered(self, reply: dict) -> None:
        self.registered_ids = frozenset(reply["node"]["sensors"])
        self._adopt(reply.get("settings", {}))
        if self._running:
            self.flush().addErrback(lambda f: log.failure("sending readings failed", f))

    def _adopt(self, settings: dict) -> None:
        interval = settings.get("report_interval_s")
        if interval and interval != self.report_interval_s:
            log.info("report interval is now {interval} s (from the hub)", interval=interval)
            self.report_interval_s = interval
            if self._call is not None and self._call.active():
                due = self._last_started + interval
                self._call.reset(max(0.0, due - self.clock.seconds()))

    # -- the cycle ----------------------------------------------------------

    @inlineCallbacks
    def start(self):
        """Find the sensors, then start the cycle and the hub link; fires when both run."""
        self._running = True
        self.sensors = tuple((yield self.run(self.driver.discover)))
        log.info("sensors: {ids}", ids=", ".join(s.id for s in self.sensors) or "none yet")
        self.link.start()
        self._call = self.clock.callLater(0, self._cycle)

    def stop(self) -> None:
        self._running = False
        if self._call is not None and self._call.active():
            self._call.cancel()
        self.link.stop()

    @inlineCallbacks
    def _cycle(self):
        started = self._last_started = self.clock.seconds()
        try:
            yield self.read_once(started)
            yield self.flush()
        except Exception:
            log.failure("a report cycle failed")
        finally:
            if self._running:
                delay = max(0.0, started + self.report_interval_s - self.clock.seconds())
                self._call = self.clock.callLater(delay, self._cycle)

    @inlineCallbacks
    def read_once(self, now: float):
        result = yield self.run(measure, self.driver, now)
        for sensor_id, reason in result.failures:
            log.warn("sensor {sensor_id} gave no reading: {reason}", sensor_id=sensor_id, reason=reason)
        if result.sensors != self.sensors:
            log.info("sensors now: {ids}", ids=", ".join(s.id for s in result.sensors) or "none")
            self.sensors = result.sensors
        if result.readings:
            yield self.run(self.queue.append, result.readings)
        yield self.run(self.queue.prune, now)

    def flush(self):
        """Send the queue, oldest first, until it is empty or the hub cannot take more."""
        return self._lock.run(self._flush)

    @inlineCallbacks
    def _flush(self):
        while self._running and self.link.client is not None:
            if not {s.id for s in self.sensors} <= self.registered_ids:
                try:
                    self.registered((yield self.link.register_again()))
                except (HubUnreachable, HubRefused) as exc:
                    log.warn("could not register the new sensors yet: {exc}", exc=exc)
                    return
            batch = yield self.run(self.queue.peek, self.batch_max)
            if not batch:
                return
            try:
                reply = yield self.link.call("post_readings", self.node_id, [attrs.asdict(r) for r in batch])
            except HubUnreachable as exc:
                log.info("hub unreachable ({exc}); {n} readings wait in the queue", exc=exc,
                         n=(yield self.run(len, self.queue)))
                return
            except HubRefused as exc:
                if exc.status not in DROP_STATUSES:
                    log.warn("hub refused readings ({exc}); keeping them", exc=exc)
                    if exc.status == 404:
                        self.registered_ids = frozenset()
                    return
                log.error("hub refused {n} readings as invalid ({exc}); dropping them",
                          n=len(batch), exc=exc)
                self.stats["dropped"] += len(batch)
                yield self.run(self.queue.ack, batch)
                continue
            yield self.run(self.queue.ack, batch)
            self._account(reply)

    def _account(self, reply: dict) -> None:
        first = self.stats["accepted"] == 0
        for key in ("accepted", "duplicates", "rejected"):
            self.stats[key] += reply[key]
        for error in reply["errors"]:
            log.warn("hub rejected a reading of {sensor_id}: {reason}; dropped", **error)
        # A routine report is debug; the first one and a replayed backlog are worth a line.
        backlog = reply["accepted"] + reply["duplicates"] > len(self.sensors)
        level = log.info if first or backlog else log.debug
        level("hub took readings: accepted {accepted}, duplicates {duplicates}, rejected {rejected}",
              accepted=reply["accepted"], duplicates=reply["duplicates"], rejected=reply["rejected"])
        self._adopt(reply.get("settings", {}))

"""The sensor node's work: read the sensors every report interval, keep every good reading
in the on-disk queue, and forward the queue to the hub oldest first.

Sampling and delivery are two state machines that meet only at the queue. The sampler
reads the sensors on its own schedule, whatever the hub does (frozen, slow, refusing,
absent): a post that hangs until its timeout delays no reading. Each sample wakes the
delivery, which sends the queue one batch at a time (registering new sensors first), so
at most one request is in flight, and which backs off on its own (1, 2, 4 ...
30 s) when a step fails.

Every reading goes through the queue, so a reading taken while the hub is away, or
before the node found it, is sent later with its original time; the queue outlives a
restart of the node. A batch leaves the queue only once the hub has answered for it:

- 202: the hub has the batch (new ones stored, duplicates recognised by
  (sensor_id, time), invalid ones listed in ``errors``, which are logged and dropped);
- 400/413/422: the hub will never take this batch; it is logged and dropped;
- anything else (network, timeout, 5xx, 401, 403, 404): the batch stays and is tried
  again after the backoff; a 404 (the hub forgot this node) also triggers a new
  registration.

Failures the node knows what to do with are handled where they happen (the hub's answers
above; a queue that cannot be written, e.g. a full disk). Any other error stops both
machines and fails :attr:`SensorNode.crashed`, so that the process ends and is restarted
rather than carrying on half-working.

Blocking work (the driver, which may take ~750 ms per DS18B20, and the SQLite queue) goes
through ``run`` (a thread pool in the daemon, inline in tests); the clock is injected.
"""

from __future__ import annotations

import enum
import sqlite3
from typing import Callable

import attrs
from twisted.internet.defer import CancelledError, Deferred, inlineCallbacks, succeed
from twisted.logger import Logger

from rpymostat import __version__
from rpymostat.core.machine import Machine
from rpymostat.core.timeutil import format_time
from rpymostat.node.client import HubRefused, HubUnreachable
from rpymostat.node.discovery import Backoff
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


def next_sample_at(last_due: float | None, interval: float, now: float) -> float:
    """On a fixed grid from the first sample, so that samples do not drift; a sample that
    overran its interval is followed at once by the next, never by a burst of missed ones."""
    if last_due is None:
        return now
    return max(last_due + interval, now)


# -- the two state machines -----------------------------------------------------


class Sampling(enum.Enum):
    STOPPED = "stopped"
    WAITING = "waiting"  # the next sample is set on the clock
    MEASURING = "measuring"  # reading the sensors, then queueing the readings


class SamplingEvent(enum.Enum):
    START = "start"
    DUE = "due"
    MEASURED = "measured"
    RETIMED = "retimed"  # the hub changed the report interval
    STOP = "stop"


class Delivery(enum.Enum):
    STOPPED = "stopped"
    OFFLINE = "offline"  # no hub: waits for the link to register
    IDLE = "idle"  # the queue was empty when last looked at
    SENDING = "sending"  # one step in flight: registering new sensors, posting a batch
    BACKING_OFF = "backing off"  # a step failed; the next one is set on the clock


class DeliveryEvent(enum.Enum):
    START = "start"
    LINKED = "linked"  # the hub link registered (again)
    QUEUED = "queued"  # a sample went into the queue
    SENT = "sent"  # a step went through: look at the queue again
    EMPTY = "empty"
    FAILED = "failed"
    UNLINKED = "unlinked"  # the step found no hub
    RETRY = "retry"  # the backoff is over
    STOP = "stop"


S, SE = Sampling, SamplingEvent
D, DE = Delivery, DeliveryEvent

SAMPLING = {
    (S.STOPPED, SE.START): (S.WAITING, "schedule"),
    (S.WAITING, SE.DUE): (S.MEASURING, "measure"),
    (S.WAITING, SE.RETIMED): (S.WAITING, "reschedule"),
    (S.WAITING, SE.STOP): (S.STOPPED, "unschedule"),
    (S.MEASURING, SE.MEASURED): (S.WAITING, "schedule"),
    (S.MEASURING, SE.RETIMED): (S.MEASURING, None),  # the next schedule uses the new interval
    (S.MEASURING, SE.STOP): (S.STOPPED, None),  # the measurement in progress still queues its readings
    (S.STOPPED, SE.MEASURED): (S.STOPPED, None),
    (S.STOPPED, SE.RETIMED): (S.STOPPED, None),
    (S.STOPPED, SE.STOP): (S.STOPPED, None),
}

DELIVERY = {
    (D.STOPPED, DE.START): (D.OFFLINE, None),
    (D.OFFLINE, DE.LINKED): (D.SENDING, "send"),
    (D.OFFLINE, DE.QUEUED): (D.OFFLINE, None),
    (D.IDLE, DE.LINKED): (D.SENDING, "send"),
    (D.IDLE, DE.QUEUED): (D.SENDING, "send"),
    (D.SENDING, DE.LINKED): (D.SENDING, None),  # the step in flight looks at the queue again when done
    (D.SENDING, DE.QUEUED): (D.SENDING, None),
    (D.SENDING, DE.SENT): (D.SENDING, "send"),
    (D.SENDING, DE.EMPTY): (D.IDLE, None),
    (D.SENDING, DE.FAILED): (D.BACKING_OFF, "back_off"),
    (D.SENDING, DE.UNLINKED): (D.OFFLINE, None),
    (D.BACKING_OFF, DE.QUEUED): (D.BACKING_OFF, None),  # new readings do not cut a backoff short
    (D.BACKING_OFF, DE.LINKED): (D.SENDING, "send"),
    (D.BACKING_OFF, DE.RETRY): (D.SENDING, "send"),
    **{(state, DE.STOP): (D.STOPPED, "halt") for state in D if state is not D.STOPPED},
    # What a step or the link reports after a stop changes nothing.
    **{(D.STOPPED, event): (D.STOPPED, None) for event in DE if event is not DE.START},
}


# -- the node -------------------------------------------------------------------


class SensorNode:
    """``link`` is a :class:`rpymostat.node.link.HubLink` whose ``registration`` and
    ``on_registered`` are this node's methods of the same names."""

    def __init__(self, *, clock, driver, queue, node_id: str, name: str, run: Callable,
                 report_interval_s: float = 30.0, batch_max: int = BATCH_MAX,
                 backoff: Backoff | None = None):
        self.clock = clock
        self.driver = driver
        self.queue = queue
        self.node_id = node_id
        self.name = name
        self.run = run
        self.report_interval_s = report_interval_s
        self.batch_max = batch_max
        self.backoff = backoff or Backoff()
        self.link = None
        self.sensors: tuple[SensorInfo, ...] = ()
        self.registered_ids: frozenset[str] = frozenset()
        self.stats = {"accepted": 0, "duplicates": 0, "rejected": 0, "dropped": 0}
        self.crashed: Deferred = Deferred()
        self.sampling = Machine("sampling", SAMPLING, Sampling.STOPPED, {
            "schedule": self._schedule, "reschedule": self._reschedule,
            "unschedule": self._unschedule, "measure": self._measure})
        self.delivery = Machine("delivery", DELIVERY, Delivery.STOPPED, {
            "send": self._send, "back_off": self._back_off, "halt": self._halt})
        self._last_due: float | None = None
        self._next_due = 0.0
        self._sample_call = None
        self._measuring: Deferred | None = None
        self._retry_call = None
        self._step: Deferred | None = None

    # -- the link's callbacks -------------------------------------------------

    def registration(self, url: str) -> dict:
        return {"node_id": self.node_id, "kind": "sensor", "name": self.name, "version": __version__,
                "sensors": [{"sensor_id": s.id, "type": s.type, "name": s.name} for s in self.sensors]}

    def registered(self, reply: dict) -> None:
        self.registered_ids = frozenset(reply["node"]["sensors"])
        self._adopt(reply.get("settings", {}))
        self.delivery.fire(DE.LINKED)

    def _adopt(self, settings: dict) -> None:
        interval = settings.get("report_interval_s")
        if interval and interval != self.report_interval_s:
            log.info("report interval is now {interval} s (from the hub)", interval=interval)
            self.report_interval_s = interval
            self.sampling.fire(SE.RETIMED)

    # -- starting and stopping ------------------------------------------------

    @inlineCallbacks
    def start(self):
        """Find the sensors, then start sampling, delivery and the hub link."""
        self.sensors = tuple((yield self.run(self.driver.discover)))
        log.info("sensors: {ids}", ids=", ".join(s.id for s in self.sensors) or "none yet")
        self.delivery.fire(DE.START)
        self.sampling.fire(SE.START)
        self.link.start()

    def stop(self) -> Deferred:
        """Stop both machines and the link; fires once a measurement in progress has
        queued its readings. A post in flight is cancelled and its batch stays queued."""
        self.sampling.fire(SE.STOP)
        self.delivery.fire(DE.STOP)
        self.link.stop()
        return self._measuring if self._measuring is not None else succeed(None)

    def _crash(self, failure) -> None:
        self.stop()
        if not self.crashed.called:
            self.crashed.errback(failure)

    # -- sampling -------------------------------------------------------------

    def _schedule(self) -> None:
        now = self.clock.seconds()
        self._next_due = next_sample_at(self._last_due, self.report_interval_s, now)
        self._sample_call = self.clock.callLater(self._next_due - now, self.sampling.fire, SE.DUE)

    def _reschedule(self) -> None:
        self._unschedule()
        self._schedule()

    def _unschedule(self) -> None:
        if self._sample_call is not None and self._sample_call.active():
            self._sample_call.cancel()

    def _measure(self) -> None:
        self._last_due = self._next_due
        measuring = self._measuring = self.read_once(self.clock.seconds())
        measuring.addCallback(lambda _: self.sampling.fire(SE.MEASURED))
        measuring.addErrback(self._crash)
        measuring.addBoth(self._measured)

    def _measured(self, _) -> None:
        self._measuring = None

    @inlineCallbacks
    def read_once(self, now: float):
        """Read every sensor and queue the good readings, stamped ``now``."""
        result = yield self.run(measure, self.driver, now)
        for sensor_id, reason in result.failures:
            log.warn("sensor {sensor_id} gave no reading: {reason}", sensor_id=sensor_id, reason=reason)
        if result.sensors != self.sensors:
            log.info("sensors now: {ids}", ids=", ".join(s.id for s in result.sensors) or "none")
            self.sensors = result.sensors
        try:
            if result.readings:
                yield self.run(self.queue.append, result.readings)
            yield self.run(self.queue.prune, now)
        except sqlite3.OperationalError as exc:  # a full disk, an I/O error: the next sample may fare better
            log.warn("could not queue the readings of {time} ({exc}); they are lost, the next sample is "
                     "queued as usual", time=format_time(now), exc=exc)
            return
        self.delivery.fire(DE.QUEUED)

    # -- delivery ------------------------------------------------------------

    def _send(self) -> None:
        if self._retry_call is not None and self._retry_call.active():
            self._retry_call.cancel()
        step = self._step = self._deliver_one()
        step.addCallback(self.delivery.fire)
        step.addErrback(self._step_failed)

    def _step_failed(self, failure) -> None:
        if failure.check(CancelledError) and self.delivery.state is Delivery.STOPPED:
            return
        self._crash(failure)

    def _back_off(self) -> None:
        self._retry_call = self.clock.callLater(self.backoff.next(), self.delivery.fire, DE.RETRY)

    def _halt(self) -> None:
        if self._retry_call is not None and self._retry_call.active():
            self._retry_call.cancel()
        if self._step is not None and not self._step.called:
            self._step.cancel()

    @inlineCallbacks
    def _deliver_one(self):
        """One step: register sensors the hub does not know yet, then post the oldest
        batch. Fires with the DeliveryEvent the step ends in."""
        if self.link.client is None:
            return DE.UNLINKED
        try:
            if not {s.id for s in self.sensors} <= self.registered_ids:
                self.registered((yield self.link.register_again()))
            batch = yield self.run(self.queue.peek, self.batch_max)
            if not batch:
                return DE.EMPTY
            yield self._post(batch)
            return DE.SENT
        except HubUnreachable as exc:
            log.info("could not reach the hub ({exc}); the readings wait in the queue", exc=exc)
        except HubRefused as exc:
            log.warn("hub refused ({exc}); keeping the readings", exc=exc)
            if exc.status == 404:
                self.registered_ids = frozenset()
        except sqlite3.OperationalError as exc:
            log.warn("could not read the readings queue ({exc}); trying again after a backoff", exc=exc)
        return DE.UNLINKED if self.link.client is None else DE.FAILED

    @inlineCallbacks
    def _post(self, batch: list[QueuedReading]):
        try:
            reply = yield self.link.call("post_readings", self.node_id, [attrs.asdict(r) for r in batch])
        except HubRefused as exc:
            if exc.status not in DROP_STATUSES:
                raise
            log.warn("hub refused {n} readings as invalid ({exc}); dropping them", n=len(batch), exc=exc)
            self.stats["dropped"] += len(batch)
            yield self.run(self.queue.ack, batch)
            return
        yield self.run(self.queue.ack, batch)
        self.backoff.reset()
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

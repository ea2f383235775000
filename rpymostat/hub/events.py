"""The hub's live events for the UI (``GET /v1/events``, Server-Sent Events): readings,
decisions, alarms and changes to the hub's configuration.

:class:`Events` keeps the newest ``size`` events in memory, numbered in order, so that a
stream that dropped resumes with ``Last-Event-ID`` and misses nothing. An id from another
run of the hub (ids carry the run's random ``boot``) or older than the kept window cannot
be resumed: the stream then says ``reset`` and the client reloads what it shows.

:class:`EventStream` writes one subscriber's events to its HTTP response, with a comment
line every ``HEARTBEAT_S`` so that proxies and the client see the stream is alive.
"""

from __future__ import annotations

import json
import secrets
from collections import deque
from typing import Callable

import attrs
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from rpymostat.core.timeutil import format_time

log = Logger()
HEARTBEAT_S = 15.0
RETRY_MS = 3000
KEEP = 2000


@attrs.frozen
class Event:
    number: int
    kind: str
    data: dict

    def encode(self, boot: str) -> bytes:
        payload = json.dumps(self.data, separators=(",", ":"), allow_nan=False)
        return f"id: {boot}.{self.number}\nevent: {self.kind}\ndata: {payload}\n\n".encode()


class Events:
    def __init__(self, size: int = KEEP):
        self.boot = secrets.token_hex(4)
        self._kept: deque[Event] = deque(maxlen=size)
        self._number = 0
        self._listeners: list[Callable[[Event], None]] = []
        self._alarms: dict[int, tuple[str, ...]] = {}

    def publish(self, kind: str, data: dict) -> Event:
        self._number += 1
        event = Event(self._number, kind, data)
        self._kept.append(event)
        for listener in list(self._listeners):
            listener(event)
        return event

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    @property
    def last_id(self) -> str:
        return f"{self.boot}.{self._number}"

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def since(self, last_id: str) -> list[Event] | None:
        """The events after ``last_id``; None when they cannot all be given."""
        boot, _, number = last_id.partition(".")
        if boot != self.boot or not number.isdigit() or int(number) > self._number:
            return None
        after = int(number)
        oldest = self._kept[0].number if self._kept else self._number + 1
        if after + 1 < oldest:
            return None
        return [event for event in self._kept if event.number > after]

    # -- what the hub publishes ----------------------------------------------

    def readings(self, moved: dict) -> None:
        """Sensors' newest readings (sensor id to a ``Latest``), from :class:`Live`."""
        for sensor_id, latest in moved.items():
            self.publish("reading", {"sensor_id": sensor_id, "value": latest.value,
                                     "time": format_time(latest.time)})

    def changed(self, kind: str) -> None:
        """What changed (the API's ``on_change`` kinds); new readings have events of their own."""
        if kind != "readings":
            self.publish("change", {"kind": kind})

    def decided(self, zone_id: int, state: dict) -> None:
        """A zone's decision (the control loop's part of its state); an ``alarm`` event too
        when the zone's alarms are not the ones it had."""
        self.publish("decision", {"zone_id": zone_id, **state})
        codes = tuple(sorted(alarm["code"] for alarm in state.get("alarms", ())))
        if self._alarms.get(zone_id, ()) != codes:
            self._alarms[zone_id] = codes
            self.publish("alarm", {"zone_id": zone_id, "alarms": state.get("alarms", [])})


class EventStream:
    """One client's stream. ``done`` fires never: it is cancelled when the client goes (the
    route's Deferred), and the stream then unsubscribes and stops its heartbeat.

    ``allowed`` says whether the client's token is still good; it is asked at each
    heartbeat, so a revoked browser stops hearing the hub within ``HEARTBEAT_S``.
    """

    def __init__(self, request, events: Events, clock, last_id: str | None,
                 allowed: Callable[[], bool] = lambda: True):
        self.request = request
        self.clock = clock
        self.allowed = allowed
        self.done: Deferred = Deferred(lambda _: self.close())
        request.setHeader(b"content-type", b"text/event-stream; charset=utf-8")
        request.setHeader(b"cache-control", b"no-store")
        request.setHeader(b"x-accel-buffering", b"no")
        request.write(f"retry: {RETRY_MS}\n\n".encode())
        backlog = [] if last_id is None else events.since(last_id)
        # Both carry the newest id, so a client that drops before any event resumes from here.
        if backlog is None:
            request.write(f"id: {events.last_id}\nevent: reset\ndata: {{}}\n\n".encode())
            backlog = []
        else:
            request.write(f"id: {events.last_id}\nevent: hello\ndata: {{\"boot\":\"{events.boot}\"}}\n\n".encode())
        for event in backlog:
            request.write(event.encode(events.boot))
        self._boot = events.boot
        self._unsubscribe = events.subscribe(self._send)
        self._beat = clock.callLater(HEARTBEAT_S, self._heartbeat)
        request.notifyFinish().addBoth(lambda _: self.close())

    def _send(self, event: Event) -> None:
        self.request.write(event.encode(self._boot))

    def _heartbeat(self) -> None:
        if not self.allowed():
            self.close()
            self.request.finish()
            return
        self.request.write(b": ping\n\n")
        self._beat = self.clock.callLater(HEARTBEAT_S, self._heartbeat)

    def close(self) -> None:
        self._unsubscribe()
        if self._beat.active():
            self._beat.cancel()

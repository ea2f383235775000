"""The control loop in memory: the hub of tests/hubkit.py with its control service, the
real relay node API and output bank (simulated driver) behind a StubTreq, a sensor node
posting through the hub's API, and one Clock for all.

The relay's state reports to the hub queue up and are delivered by ``settle``, as the
relay daemon would send them, so that no request is served inside another one.
``run_until`` steps the clock from one scheduled call to the next, so each runs at its
own instant (``Clock.advance`` alone would run them all at the end of the jump).

With ``timer`` (a second Clock) hub and relay keep their monotonic timers on it
(``rpymostat.runtime.monotonic``); the two clocks advance together, and ``step_wall`` moves the
wall clock alone, as NTP or a person setting the date would. The timer counts in one
boot of the hub's machine (``boot_id``), which a restart keeps, as a restart of the hub
process would; the relay's machine has a boot of its own.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from treq.testing import StubTreq
from twisted.internet.defer import fail
from twisted.internet.error import ConnectionLost
from twisted.internet.task import Clock

from rpymostat.core.timeutil import format_time
from rpymostat.hub.control import ControlService
from rpymostat.runtime.tls import Pins
from rpymostat_relay.api import RelayAPI
from rpymostat_relay.drivers.sim import SimDriver
from rpymostat_relay.outputs import MemoryJournal, OutputBank
from tests.hubkit import START, Hub, relay_node, sensor_node
from tests.sensor.nodekit import inline

HEAT, COOL = "gpio17", "gpio27"
SENSOR = "28-000000000001"
HUB_BOOT, RELAY_BOOT = "hub-machine-boot-1", "relay-machine-boot-1"


class RecordingHttp:
    """The hub's HTTP client towards the relay: records every request (at the time of
    ``clock``); ``down`` makes them fail as a network split would (connection refused). To
    an https URL, the relay presents the certificate ``presented``, and the request goes
    through only if the hub's ``pins`` accept it, as they do in the real handshake."""

    def __init__(self, stub: StubTreq, clock, pins: Pins | None = None, presented: str | None = None):
        self.stub = stub
        self.clock = clock
        self.pins = pins
        self.presented = presented
        self.down = False
        self.requests: list[tuple[float, str, str, dict]] = []
        self.delivered = 0  # requests that reached the relay

    def request(self, method, url, data=None, headers=None, **kwargs):
        body = json.loads(data) if data else None
        self.requests.append((self.clock.seconds(), method, url, body))
        if self.down:
            return fail(ConnectionRefusedError("network split"))
        parts = urlsplit(url)
        if parts.scheme == "https" and not self.pins.check(parts.hostname, parts.port, self.presented):
            return fail(ConnectionLost("TLS handshake refused"))
        self.delivered += 1
        return self.stub.request(method, url, data=data, headers=headers, **kwargs)

    def content(self, response):
        return self.stub.content(response)

    def puts(self, output_id: str) -> list[tuple[float, dict]]:
        return [(t, body) for t, method, url, body in self.requests
                if method == "PUT" and url.endswith(f"/v1/outputs/{output_id}")]


class FakeRelay:
    """``events``: every switch with its wall-clock time; ``timed``: the same with the
    time on the timer."""

    def __init__(self, clock, min_off_s: float, node_id: str = "relay-1", timer=None):
        self.clock = clock
        self.timer = timer or clock
        self.driver = SimDriver({"outputs": [{"id": HEAT}, {"id": COOL}]}, clock=clock.seconds)
        self.events: list[tuple[str, bool, float, str]] = []
        self.timed: list[tuple[str, bool, float]] = []
        self.reports: list[tuple[str, bool, float, str]] = []
        self.bank = OutputBank(clock=clock, driver=self.driver, run=inline, journal=MemoryJournal(),
                               on_change=self._changed, min_off_s=min_off_s, timer=self.timer,
                               boot_id=RELAY_BOOT)
        self.bank.boot()
        self.api = RelayAPI(bank=self.bank, node_id=node_id, clock=clock)
        self.reports.clear()

    def _changed(self, output_id, on, when, reason):
        self.events.append((output_id, on, when, reason))
        self.timed.append((output_id, on, self.timer.seconds()))
        self.reports.append((output_id, on, when, reason))

    def on(self, output_id: str) -> bool:
        return self.driver.get(output_id)


class Rig:
    def __init__(self, url: str, *, relay_min_off_s: float | None = None, settings: dict | None = None,
                 zone: dict | None = None, tokens: tuple[str, dict[str, str]] | None = None,
                 relay_tls: str | None = None, hub_tls: bool = True, timer=None, boot_id: str | None = HUB_BOOT):
        """``tokens``: the database is a copy of another rig's, made before its control
        service started (its nodes and zone exist); these are its admin and node tokens.
        ``relay_tls``: the relay serves HTTPS with a certificate of this fingerprint, and
        registered it; ``hub_tls`` false: the hub has no TLS (no pins)."""
        self.clock = Clock()
        self.clock.advance(START)
        self.timer = timer or self.clock
        self.boot_id = boot_id
        self.clocks = (self.clock,) if self.timer is self.clock else (self.clock, self.timer)
        if relay_min_off_s is None:  # what the relay learns when it registers
            relay_min_off_s = (settings or {}).get("min_off_s", 300)
        self.relay = FakeRelay(self.clock, relay_min_off_s, timer=self.timer)
        self.pins = Pins() if hub_tls else None
        self.http = RecordingHttp(StubTreq(self.relay.api.resource()), self.clock, self.pins, relay_tls)
        self.hub = Hub(url, self.clock, control=self._control)
        if tokens:
            self.hub.admin_token, self.hub.node_tokens = tokens[0], dict(tokens[1])
        self.partitioned = False
        if settings:
            assert self.hub.call("PATCH", "/v1/settings", settings).status == 200
        if not tokens:
            sensor_node(self.hub, sensors=(SENSOR,))
            relay_node(self.hub, outputs=(HEAT, COOL), fingerprint=relay_tls)
            body = {"name": "Living", "sensors": [SENSOR], "outputs": {"heat": HEAT, "cool": COOL},
                    "default_target": {"mode": "heat", "heat_setpoint": 20}, **(zone or {})}
            assert self.hub.call("POST", "/v1/zones", body).status == 201
        self.relay.api.command_token = self.hub.raw_store.get_node("relay-1")["command_token"]
        self.starts = [self.clock.seconds()]
        self.control = self._attach()
        self.settle()

    def _control(self, api) -> ControlService:
        return ControlService(api, clock=self.clock, timer=self.timer, boot_id=self.boot_id,
                              http=self.http, pins=self.pins)

    def _attach(self) -> ControlService:
        control = self.hub.api.control
        control.startService()
        return control

    def restart(self, boot_id: str | None = None) -> None:
        """The hub process restarts on the same database; the relay keeps running. With
        ``boot_id``, the hub's machine has rebooted meanwhile (into that boot)."""
        if boot_id is not None:
            self.boot_id = boot_id
        self.control.stopService()
        self.hub = self.hub.restart()
        self.starts.append(self.clock.seconds())
        self.control = self._attach()
        self.settle()

    def partition(self, down: bool) -> None:
        """Hub and relay cannot reach each other (both ways) while ``down``."""
        self.partitioned = self.http.down = down
        self.settle()

    # -- driving ---------------------------------------------------------------

    def settle(self) -> None:
        """Run what is due now, deliver requests and reports, until nothing moves."""
        for _ in range(100):
            sent = len(self.http.requests)
            self._advance(0)
            self.http.stub.flush()
            reports = [] if self.partitioned else self.relay.reports
            if not self.partitioned:
                self.relay.reports = []
            for output_id, on, when, reason in reports:
                reply = self.hub.call("PUT", f"/v1/outputs/{output_id}/state",
                                      {"state": "on" if on else "off", "time": format_time(when),
                                       "reason": reason}, token="node:relay-1")
                assert reply.status == 200, reply.body
            due = any(c.active() and c.getTime() <= clock.seconds()
                      for clock in self.clocks for c in clock.getDelayedCalls())
            if not reports and not due and len(self.http.requests) == sent:
                return
        raise AssertionError("the rig did not settle")

    def _advance(self, seconds: float) -> None:
        for clock in self.clocks:
            clock.advance(seconds)

    def step_wall(self, seconds: float) -> None:
        """The wall clock alone jumps by ``seconds`` (either way)."""
        assert self.timer is not self.clock, "a rig with one clock cannot step it alone"
        self.clock.advance(seconds)
        self.settle()

    def feed(self, value, until: float, every: float = 30.0) -> None:
        """A sensor node reporting ``value`` every ``every`` seconds up to ``until``."""
        while self.clock.seconds() < until:
            self.reading(value)
            self.run_until(min(self.clock.seconds() + every, until))

    def run_until(self, target: float) -> None:
        """Until the wall clock reads ``target``, every call at its own instant."""
        while True:
            due = [c.getTime() - clock.seconds() for clock in self.clocks
                   for c in clock.getDelayedCalls() if c.active()]
            upcoming = min(due, default=None)
            if upcoming is None or self.clock.seconds() + upcoming > target:
                break
            self._advance(max(0.0, upcoming))
            self.settle()
        self._advance(max(0.0, target - self.clock.seconds()))
        self.settle()

    def run_for(self, seconds: float) -> None:
        self.run_until(self.clock.seconds() + seconds)

    def reading(self, value, sensor_id: str = SENSOR, at: float | None = None):
        when = self.clock.seconds() if at is None else at
        reply = self.hub.call("POST", "/v1/readings", {"node_id": "node-1", "readings": [
            {"sensor_id": sensor_id, "time": format_time(when), "value": value}]}, token="device")
        assert reply.status == 202, reply.body
        self.settle()
        return reply.body

    def decisions(self, zone_id: int = 1, **query) -> list[dict]:
        suffix = "&".join(f"{k}={v}" for k, v in query.items())
        reply = self.hub.call("GET", f"/v1/zones/{zone_id}/decisions" + (f"?{suffix}" if suffix else ""))
        assert reply.status == 200, reply.body
        return reply.body["decisions"]

    def state(self, zone_id: int = 1) -> dict:
        reply = self.hub.call("GET", f"/v1/zones/{zone_id}/state")
        assert reply.status == 200, reply.body
        return reply.body

    def close(self) -> None:
        self.control.stopService()
        self.hub.close()

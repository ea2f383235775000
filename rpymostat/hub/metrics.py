"""The hub's Prometheus metrics (``GET /metrics``).

Most figures are read when Prometheus scrapes, from what the hub already keeps in memory
(:class:`HubState`: the control loop's last decision per zone, its equipment history,
the newest readings), so nothing has to be kept in step with them. What happens between
two scrapes is counted where it crosses a boundary the hub owns:

- readings by the one ingest path every source goes through (``ReadingsAPI.ingest``);
- relay commands by the HTTP client the dispatcher is given (:class:`MeteredHttp`);
- starts and guard refusals by the store the control loop commits its switch events and
  decision log to (:class:`CountingStore`), so a write that fails and is tried again
  counts once;
- requests per route by the routing layer (``observe_request``).

Names follow Prometheus' conventions: base units (seconds, degrees Celsius), counters
ending in ``_total``; one registry per hub, never the process-wide default one.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily
from twisted.python.failure import Failure

from rpymostat import __version__
from rpymostat.core.control.guard import FUNCTIONS

# A ``_created`` series beside every counter doubles the output and no dashboard reads it.
disable_created_metrics()
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ACTIONS = ("idle", "heating", "cooling", "fan")
MODES = ("heat", "cool", "auto", "off", "fan")
# From a request answered from memory (~1 ms) to one waiting on a slow database.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HubMetrics:
    """The hub's counters and the registry ``GET /metrics`` serves. ``timer`` measures
    request latency (real elapsed time, injected so tests need not sleep)."""

    def __init__(self, timer: Callable[[], float] = time.perf_counter):
        self.timer = timer
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.readings_ingested = Counter("rpymostat_readings_ingested", "Readings stored, by where they came from.",
                                         ["source"], registry=r)
        self.readings_duplicate = Counter("rpymostat_readings_duplicate",
                                          "Readings already stored (same sensor and time), by source.",
                                          ["source"], registry=r)
        self.readings_rejected = Counter("rpymostat_readings_rejected", "Readings refused, by source and reason.",
                                         ["source", "reason"], registry=r)
        self.relay_commands = Counter("rpymostat_relay_commands", "Commands sent to relay nodes (renewals "
                                      "included), by state asked for.", ["state"], registry=r)
        self.relay_failures = Counter("rpymostat_relay_command_failures", "Relay commands that did not "
                                      "succeed: refused (4xx), failed (5xx) or unreachable.",
                                      ["state", "reason"], registry=r)
        self.starts = Counter("rpymostat_equipment_starts", "Times a zone's equipment function was switched on.",
                              ["zone", "function"], registry=r)
        self.guard_refusals = Counter("rpymostat_guard_refusals", "Times the equipment guard overrode the "
                                      "decision (a start refused, a run held to its minimum, ...), by rule.",
                                      ["zone", "rule"], registry=r)
        self.requests = Counter("rpymostat_http_requests", "API requests answered, by route and status.",
                                ["method", "route", "code"], registry=r)
        self.latency = Histogram("rpymostat_http_request_duration_seconds", "Time to answer an API request.",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=r)
        self._by_route: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self.mqtt_connected = Gauge("rpymostat_mqtt_connected", "1 while the MQTT bridge is connected "
                                    "to its broker.", registry=r)
        self.mqtt_messages = Counter("rpymostat_mqtt_messages", "MQTT messages received, by what they were.",
                                     ["kind"], registry=r)
        self.mqtt_commands = Counter("rpymostat_mqtt_commands", "Commands from MQTT (Home Assistant), by "
                                     "outcome.", ["result"], registry=r)
        info = Gauge("rpymostat_build_info", "The hub's version.", ["version"], registry=r)
        info.labels(__version__).set(1)

    def watch(self, api) -> None:
        """Serve the live state of this API at every scrape (the zones once a control
        loop is given, :meth:`watch_control`)."""
        self.state = HubState(api)
        self.registry.register(self.state)

    def watch_control(self, control) -> None:
        self.state.control = control

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    # -- counted where they happen ---------------------------------------------------------

    def readings(self, source: str, new: int, duplicates: int, reasons: Iterable[str]) -> None:
        self.readings_ingested.labels(source).inc(new)
        self.readings_duplicate.labels(source).inc(duplicates)
        for reason in reasons:
            self.readings_rejected.labels(source, reason).inc()

    def observe_request(self, method: str, route: str, request) -> None:
        """Count ``request`` under its route's template (bounded labels, never the raw
        path) once it is answered; ``code="lost"`` when the client went away first."""
        started = self.timer()

        def finished(result):
            code = "lost" if isinstance(result, Failure) else str(request.code)
            key = (method, route, code)
            counted = self._by_route.get(key)
            if counted is None:  # labels() takes a lock and builds its key on every call
                counted = self._by_route[key] = (self.requests.labels(*key), self.latency.labels(method, route))
            counted[0].inc()
            counted[1].observe(self.timer() - started)

        request.notifyFinish().addBoth(finished)


class HubState:
    """A Prometheus collector that reads the hub's state at scrape time."""

    def __init__(self, api, control=None):
        self.api = api
        self.control = control

    def describe(self):
        return []

    def collect(self):
        yield from self._sensors()
        if self.control is not None:
            yield from self._zones()

    def _sensors(self):
        now = self.api.now()
        value = GaugeMetricFamily("rpymostat_sensor_temperature_celsius", "A sensor's newest reading.",
                                  labels=["sensor"])
        age = GaugeMetricFamily("rpymostat_sensor_age_seconds", "Time since a sensor's newest reading.",
                                labels=["sensor"])
        for sensor_id, latest in sorted(self.api.live.latest.items()):
            value.add_metric([sensor_id], latest.value)
            age.add_metric([sensor_id], max(0.0, now - latest.time))
        yield value
        yield age

    def _zones(self):
        families = {
            "info": GaugeMetricFamily("rpymostat_zone_info", "A zone's name.", labels=["zone", "name"]),
            "temperature": GaugeMetricFamily("rpymostat_zone_temperature_celsius", "The temperature the zone's "
                                             "last decision used.", labels=["zone"]),
            "target": GaugeMetricFamily("rpymostat_zone_target_celsius", "The zone's current setpoints.",
                                        labels=["zone", "setpoint"]),
            "mode": GaugeMetricFamily("rpymostat_zone_mode", "1 for the zone's current mode.",
                                      labels=["zone", "mode"]),
            "action": GaugeMetricFamily("rpymostat_zone_action", "1 for what the zone's equipment is doing.",
                                        labels=["zone", "action"]),
            "equipment": GaugeMetricFamily("rpymostat_equipment_on", "1 while a function runs, by the guard's "
                                           "history.", labels=["zone", "function"]),
            "alarm": GaugeMetricFamily("rpymostat_zone_alarm", "1 for each alarm the zone has now.",
                                       labels=["zone", "code"]),
        }
        for zone in self.control.zones:
            _zone_metrics(families, zone, self.control.views.get(zone["id"]),
                          self.control.equipment.get(zone["id"]), self.control.service_alarms())
        yield from families.values()


def _zone_metrics(families: dict, zone: dict, view, equipment, service_alarms) -> None:
    zone_id = str(zone["id"])
    families["info"].add_metric([zone_id, zone["name"]], 1)
    if equipment is not None:
        for function in FUNCTIONS:
            families["equipment"].add_metric([zone_id, function], int(equipment.function(function).on))
    if view is None:
        return
    if view.aggregate.temperature is not None:
        families["temperature"].add_metric([zone_id], view.aggregate.temperature)
    target = view.target
    for name, value in (("heat", target.heat_setpoint), ("cool", target.cool_setpoint)):
        if value is not None and target.mode in (name, "auto"):
            families["target"].add_metric([zone_id, name], value)
    for mode in MODES:
        families["mode"].add_metric([zone_id, mode], int(target.mode == mode))
    for action in ACTIONS:
        families["action"].add_metric([zone_id, action], int(view.decision.action == action))
    for code in sorted({alarm.code for alarm in view.alarms + service_alarms}):
        families["alarm"].add_metric([zone_id, code], 1)


class MeteredHttp:
    """The dispatcher's HTTP client, counting each relay command and how it ended."""

    def __init__(self, http, metrics: HubMetrics):
        self.http = http
        self.metrics = metrics

    def request(self, method: str, url: str, data: bytes | None = None, **options: Any):
        state = _asked_state(data)
        self.metrics.relay_commands.labels(state).inc()
        d = self.http.request(method, url, data=data, **options)

        def answered(response):
            if response.code >= 300:
                reason = "refused" if response.code < 500 else "failed"
                self.metrics.relay_failures.labels(state, reason).inc()
            return response

        def unanswered(failure):
            self.metrics.relay_failures.labels(state, "unreachable").inc()
            return failure

        return d.addCallbacks(answered, unanswered)

    def content(self, response):
        return self.http.content(response)


def _asked_state(data: bytes | None) -> str:
    try:
        state = json.loads(data or b"{}").get("state")
    except (ValueError, AttributeError):
        return "unknown"
    return state if state in ("on", "off") else "unknown"


class CountingStore:
    """The control loop's store, counting starts and guard refusals in what it commits.

    A refusal is counted when the guard begins to override a decision by a rule, not at
    every tick while it goes on doing so: the decision log keeps a decision when what the
    guard changed differs from the zone's previous one, so each new (function, rule) in a
    logged decision is one refusal."""

    def __init__(self, store, metrics: HubMetrics):
        self._store = store
        self._metrics = metrics
        self._overrides: dict[int, set[tuple[str, str]]] = {}

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def record_control(self, decisions: list[dict], switches: list[dict]):
        d = self._store.record_control(decisions, switches)
        return d.addCallback(self._committed, decisions, switches)

    def _committed(self, gone, decisions: list[dict], switches: list[dict]):
        for switch in switches:
            if switch["state"] == "on" and switch["zone_id"] not in gone:
                self._metrics.starts.labels(str(switch["zone_id"]), switch["function"]).inc()
        for row in decisions:
            zone_id = row["zone_id"]
            if zone_id in gone:
                self._overrides.pop(zone_id, None)
                continue
            now = {(change["subject"], change["rule"]) for change in row["data"].get("guard", ())}
            for _, rule in sorted(now - self._overrides.get(zone_id, set())):
                self._metrics.guard_refusals.labels(str(zone_id), rule).inc()
            self._overrides[zone_id] = now
        return gone

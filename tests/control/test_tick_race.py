"""Zones created and deleted while control ticks run: a deleted zone costs only its own
rows, and the guard's history rebuilt from the database is what the service lived.

The control service's store calls are held (``Held``) and run one at a time when the
test says so, while API calls (creating and deleting zones, readings) run at once: the
interleavings a store in a thread pool allows, including a zone deleted between the
tick's reading of the zones and its write. Zones have a sensor each and no outputs: the
equipment they decide on is the guard's model of it, which is what the switch history
records.
"""

from __future__ import annotations

import threading

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.logger import LogLevel, globalLogPublisher

from rpymostat.core.control.guard import FUNCTIONS, HOUR
from rpymostat.core.timeutil import format_time
from rpymostat.hub.control import ControlService, equipment_from_history
from rpymostat.hub.store.aio import AsyncStore
from rpymostat.hub.store.store import Store
from tests.hubkit import POSTGRES_URL, Hub, reset_postgres, sensor_node

SENSORS = tuple(f"28-0000000001{i:02d}" for i in range(12))
SETTINGS = {"min_off_s": 60, "min_run_s": 60, "control_interval_s": 10, "report_interval_s": 30,
            "changeover_s": 30}
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.skipif(
    not POSTGRES_URL, reason="RPYMOSTAT_TEST_POSTGRES_URL is not set"))]


class Held:
    """A store runner that keeps each call until ``step`` runs it."""

    def __init__(self):
        self.calls: list[tuple] = []

    def run(self, function, *args, **kwargs) -> Deferred:
        done = Deferred()
        self.calls.append((function, args, kwargs, done))
        return done

    def step(self) -> None:
        function, args, kwargs, done = self.calls.pop(0)
        maybeDeferred(function, *args, **kwargs).chainDeferred(done)


class Errors:
    """Every error or failure (or, with ``level``, every event from that level up) logged
    while it is installed."""

    def __init__(self, level: LogLevel = LogLevel.error):
        self.level = level
        self.events: list[dict] = []

    def __call__(self, event):
        if event.get("log_failure") is not None or event.get("log_level", LogLevel.info) >= self.level:
            self.events.append(event)

    def __enter__(self):
        globalLogPublisher.addObserver(self)
        return self

    def __exit__(self, *exc):
        globalLogPublisher.removeObserver(self)


class Site:
    """The in-memory hub (tests/hubkit.py) with its control service on a held store."""

    def __init__(self, url: str):
        self.held = Held()
        self.hub = Hub(url, control=lambda api: ControlService(
            api, clock=api.clock, http=None, store=AsyncStore(api.store.store, self.held.run)))
        self.clock = self.hub.clock
        assert self.hub.call("PATCH", "/v1/settings", SETTINGS).status == 200
        assert sensor_node(self.hub, sensors=SENSORS).status == 200
        self.control = self.hub.api.control
        self.control.startService()
        self.settle()

    def zone(self, name: str, sensor: str) -> int:
        reply = self.hub.call("POST", "/v1/zones", {
            "name": name, "sensors": [sensor], "default_target": {"mode": "heat", "heat_setpoint": 20}})
        assert reply.status == 201, reply.body
        return reply.body["id"]

    def delete(self, zone_id: int) -> None:
        assert self.hub.call("DELETE", f"/v1/zones/{zone_id}").status == 204

    def reading(self, sensor: str, value: float) -> None:
        reply = self.hub.call("POST", "/v1/readings", {"node_id": "node-1", "readings": [
            {"sensor_id": sensor, "time": format_time(self.clock.seconds()), "value": value}]}, token="device")
        assert reply.status == 202, reply.body

    def settle(self) -> None:
        """Run everything due now, store calls included, until nothing is left."""
        for _ in range(1000):
            self.clock.advance(0)
            if not self.held.calls:
                return
            self.held.step()
        raise AssertionError("the control service did not settle")

    def history_matches(self) -> None:
        """The guard's history rebuilt from the database is the service's own, for every
        zone that exists, and each zone's newest logged decision is its current one."""
        now = self.clock.seconds()
        zone_ids = [z["id"] for z in self.hub.raw_store.list_zones()]
        rebuilt = equipment_from_history(self.hub.raw_store.switch_history(now - HOUR), zone_ids, now)
        for zone_id in zone_ids:
            lived = self.control.equipment.get(zone_id)
            if lived is None:  # created after the last tick
                continue
            for function in FUNCTIONS:
                mine, stored = lived.function(function), rebuilt[zone_id].function(function)
                assert (mine.on, mine.on_since, mine.last_off) == (stored.on, stored.on_since, stored.last_off), \
                    (zone_id, function, mine, stored)
                assert [t for t in mine.starts if now < t + HOUR] == list(stored.starts), (zone_id, function)
            view = self.control.views.get(zone_id)
            if view is None:
                continue
            logged = self.hub.raw_store.list_decisions(zone_id, 0, now, 1)
            assert logged, f"zone {zone_id} has no logged decision"
            newest = logged[-1]
            assert (newest["action"], newest["commands"]) == (view.decision.action,
                                                              view.decision.commands.to_json()), zone_id
            assert sorted(a["code"] for a in newest["data"]["alarms"]) == sorted(a.code for a in view.alarms)

    def close(self) -> None:
        self.control.stopService()
        self.hub.close()


def _url(backend: str, folder) -> str:
    if backend == "postgres":
        reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'hub.db'}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_zone_deleted_between_the_ticks_read_and_its_write_costs_only_its_own_rows(backend, tmp_path):
    site = Site(_url(backend, tmp_path))
    with Errors() as errors:
        doomed, kept = site.zone("Doomed", SENSORS[0]), site.zone("Kept", SENSORS[1])
        site.settle()
        site.clock.advance(61)  # past the start-up off time
        site.settle()
        site.reading(SENSORS[0], 18.0)
        site.reading(SENSORS[1], 18.0)
        site.clock.advance(0)  # the tick starts: it reads the zones (held)...
        while site.held.calls and site.held.calls[0][0].__name__ != "record_control":
            site.held.step()
        assert site.held.calls, "the tick has nothing to write"
        site.delete(doomed)  # ...and the zone goes before its decision is written
        site.settle()
    assert site.control.equipment[kept].heat.on
    site.history_matches()
    rows = site.hub.raw_store.switch_history(0)
    assert [(r["zone_id"], r["function"], r["on"]) for r in rows] == [(kept, "heat", True)]
    assert errors.events == []
    assert doomed not in site.control.equipment
    site.close()


class RaceMachine(RuleBasedStateMachine):
    url = None
    zones = Bundle("zones")

    @initialize()
    def boot(self):
        self.site = Site(self.url())
        self.free = list(SENSORS)
        self.sensor_of: dict[int, str] = {}
        self.names = 0
        self.errors = Errors().__enter__()

    @precondition(lambda self: self.free)
    @rule(target=zones)
    def create(self):
        self.names += 1
        sensor = self.free.pop(0)
        zone_id = self.site.zone(f"Zone {self.names}", sensor)
        self.sensor_of[zone_id] = sensor
        return zone_id

    @rule(zone_id=consumes(zones))
    def delete(self, zone_id):
        self.site.delete(zone_id)
        self.free.append(self.sensor_of.pop(zone_id))

    @rule(zone_id=zones, value=st.sampled_from([15.0, 19.4, 20.0, 20.6, 25.0]))
    def reading(self, zone_id, value):
        self.site.reading(self.sensor_of[zone_id], value)

    @rule(seconds=st.sampled_from([0, 1, 10, 30, 61, 120]))
    def advance(self, seconds):
        self.site.clock.advance(seconds)

    @rule(count=st.integers(1, 4))
    def store_calls(self, count):
        for _ in range(min(count, len(self.site.held.calls))):
            self.site.held.step()

    @rule()
    def settle(self):
        self.site.settle()
        self.site.history_matches()

    @invariant()
    def nothing_went_wrong(self):
        if hasattr(self, "errors"):
            assert self.errors.events == []

    def teardown(self):
        if hasattr(self, "site"):
            self.site.settle()
            self.site.history_matches()
            self.errors.__exit__()
            self.site.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_zones_created_and_deleted_while_ticks_run(backend, tmp_path):
    count = iter(range(10_000))
    RaceMachine.url = staticmethod(lambda: _url(backend, tmp_path / f"example-{next(count)}"))
    run_state_machine_as_test(RaceMachine, settings=settings(
        max_examples=25 if backend == "sqlite" else 12, stateful_step_count=40, deadline=None,
        phases=tuple(Phase)[:-1]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_deletes_never_fail_or_lose_another_zones_rows(backend, tmp_path):
    """record_control from one thread while another creates and deletes zones, with real
    concurrency (PostgreSQL runs both transactions at once). Each write names the newest
    churning zones: alive, being deleted, or just deleted."""
    url = _url(backend, tmp_path)
    store = Store(url)
    store.open(1.0)
    stable = [store.create_zone({"name": f"stable {i}", "default_target": {"mode": "off"}}, 1.0)["id"]
              for i in range(3)]
    created: list[int] = []
    stop = threading.Event()
    problems: list[BaseException] = []

    def churner():
        other = Store(url)
        try:
            for i in range(20_000):
                if stop.is_set():
                    break
                created.append(other.create_zone({"name": f"churn {i}", "default_target": {"mode": "off"}},
                                                 2.0)["id"])
                other.delete_zone(created[-1])
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            problems.append(exc)
        finally:
            other.close()

    thread = threading.Thread(target=churner)
    thread.start()
    gone_seen: set[int] = set()
    try:
        # At least 150 writes, and on until one has met a deleted zone (how soon depends on
        # the machine's load), within a bound.
        for i in range(3000):
            if i >= 150 and gone_seen:
                break
            zones = stable + created[-3:]
            rows = [{"zone_id": zone_id, "function": "heat", "state": "on" if i % 2 else "off",
                     "time": 10.0 + i, "reason": "decision"} for zone_id in zones]
            gone = store.record_control([], rows)
            assert not set(gone) & set(stable)
            gone_seen.update(gone)
    finally:
        stop.set()
        thread.join()
    assert problems == []
    assert gone_seen, "no write met a deleted zone"
    assert not {z["id"] for z in store.list_zones()} & gone_seen
    history = {(r["zone_id"], r["function"]): r for r in store.switch_history(0)}
    for zone_id in stable:
        assert history[(zone_id, "heat")]["on"]  # the last write, i = 149, was an "on"
        with store.engine.connect() as conn:
            count = conn.exec_driver_sql(
                f"SELECT COUNT(*) FROM switch_events WHERE zone_id = {zone_id}").scalar()
        assert count == 150
    store.close()

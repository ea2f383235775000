"""What one control decision costs: aggregation, decide() and the guard, for 1, 10 and 100
zones, beside an empty function call measured in the same loop as the baseline; and what
one full tick of the control *service* costs (in memory: the real API, SQLite store called
inline, Live readings, schedule, decide, dispatch to a relay answering at once).

Prints figures; never passes or fails. The target is at most 2 ms per zone (a Raspberry Pi
hub with a few zones must spend almost nothing on deciding). To measure something more,
add an entry to ``CASES``: a label and a function that, given the zones, returns the
per-zone call to time.

    .venv/bin/python bench/control.py
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

from rpymostat.core.control.aggregation import Mean
from rpymostat.core.control.decide import Equipment, FunctionState, Inputs, Settings, decide
from rpymostat.core.control.hysteresis import Hysteresis
from rpymostat.core.readings import Reading
from rpymostat.core.target import SensorWeight, Target

NOW = 1_800_000_000.0
ZONE_COUNTS = (1, 10, 100)
REPEATS = 5
MIN_SECONDS = 0.2


def make_zone(i: int) -> dict:
    """A zone in one of several situations, so that the guard's branches all get their turn."""
    settings = Settings()
    readings = {f"28-{i:04d}{k}": Reading(18.0 + (i % 7) * 0.5 + k * 0.2, NOW - 5.0 - k)
                for k in range(3)}
    heat = [
        FunctionState(),
        FunctionState(True, NOW - 100, NOW - 2000, (NOW - 2000, NOW - 100)),
        FunctionState(False, None, NOW - 120, (NOW - 900,)),
    ][i % 3]
    target = Target("heat" if i % 4 else "auto", 20.0, 24.0,
                    sensors=tuple(SensorWeight(sid) for sid in readings))
    equipment = Equipment(hub_start=NOW - 86_400, heat=heat)
    aggregate = Mean().aggregate(readings, target.sensors, now=NOW,
                                 report_interval_s=settings.report_interval_s)
    inputs = Inputs(aggregate.temperature, aggregate.time, target, equipment, NOW, settings,
                    rule="weeknights")
    return {"readings": readings, "inputs": inputs}


def empty_call(zone, plugin, aggregator):
    return None


def decide_only(zone, plugin, aggregator):
    return decide(zone["inputs"], plugin)


def aggregate_and_decide(zone, plugin, aggregator):
    inputs = zone["inputs"]
    aggregate = aggregator.aggregate(zone["readings"], inputs.target.sensors, now=inputs.now,
                                     report_interval_s=inputs.settings.report_interval_s)
    return decide(Inputs(aggregate.temperature, aggregate.time, inputs.target, inputs.equipment,
                         inputs.now, inputs.settings, inputs.rule), plugin)


CASES = [
    ("baseline: empty call", empty_call),
    ("decide + guard", decide_only),
    ("aggregate (mean of 3) + decide + guard", aggregate_and_decide),
]


def seconds_per_tick(call, zones) -> float:
    """Best of REPEATS: the time to run ``call`` once for every zone."""
    plugin, aggregator = Hysteresis(), Mean()
    rounds = 1
    while True:
        start = time.perf_counter()
        for _ in range(rounds):
            for zone in zones:
                call(zone, plugin, aggregator)
        if time.perf_counter() - start >= MIN_SECONDS / REPEATS:
            break
        rounds *= 2
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(rounds):
            for zone in zones:
                call(zone, plugin, aggregator)
        best = min(best, (time.perf_counter() - start) / rounds)
    return best


def service_hub(count: int, folder: str):
    """An in-memory hub (SQLite file, store called inline) with ``count`` zones, each with
    a sensor and a heat output on one relay node, and its control service; the
    relay answers every command at once."""
    from treq.testing import StubTreq
    from twisted.web.resource import Resource

    from rpymostat.core.timeutil import format_time
    from rpymostat.hub.control import ControlService
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the in-memory hub of the tests
    from tests.hubkit import Hub, relay_node, sensor_node

    class Relay(Resource):
        isLeaf = True

        def render_PUT(self, request):
            request.setHeader(b"content-type", b"application/json")
            return b'{"state": "on"}'

    http = StubTreq(Relay())
    hub = Hub(f"sqlite:///{folder}/hub.db", control=lambda api: ControlService(api, clock=api.clock, http=http))
    sensors = [f"28-{i:012d}" for i in range(count)]
    outputs = [f"gpio{i}" for i in range(count)]
    now = hub.clock.seconds()
    for first in range(0, count, 50):  # a node lists at most 64 sensors or outputs
        node = f"node-{first}"
        sensor_node(hub, node_id=node, sensors=sensors[first:first + 50])
        relay_node(hub, node_id=f"relay-{first}", outputs=outputs[first:first + 50])
        hub.call("POST", "/v1/readings", {"node_id": node, "readings": [
            {"sensor_id": s, "time": format_time(now), "value": 18.0 + (i % 7) * 0.5}
            for i, s in enumerate(sensors[first:first + 50])]}, token=f"node:{node}")
    for i in range(count):
        reply = hub.call("POST", "/v1/zones", {"name": f"zone {i}", "sensors": [sensors[i]],
                                               "outputs": {"heat": outputs[i]},
                                               "default_target": {"mode": "heat", "heat_setpoint": 20}})
        assert reply.status == 201, reply.body
    control = hub.api.control
    control.startService()
    hub.clock.advance(0)
    http.flush()
    assert len(control.views) == count
    return hub, control, http


def service_tick_seconds(count: int) -> float:
    """Best of REPEATS: one control-service tick for ``count`` zones, steady state (the
    configuration and schedules loaded; no decision to log)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        hub, control, http = service_hub(count, folder)
        best = float("inf")
        for _ in range(REPEATS):
            rounds = 20
            start = time.perf_counter()
            for _ in range(rounds):
                control.tick()
                http.flush()
            best = min(best, (time.perf_counter() - start) / rounds)
        control.stopService()
        hub.close()
    return best


def main() -> None:
    print(f"control core cost, Python {sys.version.split()[0]} on {platform.machine()}, "
          f"best of {REPEATS}; target <= 2000 us per zone")
    print(f"{'case':42} {'zones':>5} {'per tick':>12} {'per zone':>12}")
    for label, call in CASES:
        for count in ZONE_COUNTS:
            zones = [make_zone(i) for i in range(count)]
            tick = seconds_per_tick(call, zones)
            print(f"{label:42} {count:5d} {tick * 1e3:9.3f} ms {tick / count * 1e6:9.2f} us")
    for count in ZONE_COUNTS:
        tick = service_tick_seconds(count)
        print(f"{'control service tick (in memory)':42} {count:5d} {tick * 1e3:9.3f} ms "
              f"{tick / count * 1e6:9.2f} us")


if __name__ == "__main__":
    main()

"""Rows of the control loop's record and a hub with a zone of two sensors and two outputs,
for the history's tests."""

from __future__ import annotations

from rpymostat.core.history.names import OUTDOOR
from rpymostat.core.timeutil import format_time
from tests.hubkit import Hub, relay_node, sensor_node

S1, S2 = "28-000000000001", "28-000000000002"


def decision(zone_id, time, action="heating", temperature=19.0, mode="heat", heat=20.0, heat_cmd="on"):
    return {"zone_id": zone_id, "time": time, "action": action,
            "commands": {"heat": heat_cmd, "cool": "off"}, "reason": "test",
            "data": {"temperature": temperature,
                     "target": {"mode": mode, "heat_setpoint": heat, "cool_setpoint": None},
                     "outputs": {"heat": "gpio17", "cool": "gpio27"}}}


def switch(zone_id, state, time, function="heat"):
    return {"zone_id": zone_id, "function": function, "state": state, "time": time, "reason": "decision",
            "boot_id": None, "monotonic": None}


def zone_with_equipment(hub: Hub) -> int:
    sensor_node(hub)
    relay_node(hub)
    reply = hub.call("POST", "/v1/zones", {"name": "Living", "sensors": [S1, S2],
                                           "outputs": {"heat": "gpio17", "cool": "gpio27"}})
    assert reply.status == 201, reply.body
    return reply.body["id"]


def post_readings(hub: Hub, readings: list[tuple[str, float, float]]) -> None:
    for start in range(0, len(readings), 5000):
        part = readings[start:start + 5000]
        reply = hub.call("POST", "/v1/readings", {"node_id": "node-1", "readings": [
            {"sensor_id": sensor_id, "time": format_time(time), "value": value}
            for sensor_id, time, value in part]}, token="device")
        assert reply.status == 202 and reply.body["rejected"] == 0, reply.body


def record_run(store, zone_id, start, rate_k_per_h, outdoor=0.0, minutes=60, start_temperature=17.0):
    """A heating run as the control loop and the recorder write it: its start, a sample
    every 5 minutes with the zone's temperature rising at ``rate_k_per_h``, its end."""
    store.history.append([(OUTDOOR, start - 60, outdoor)])
    store.record_control([decision(zone_id, start, temperature=start_temperature)], [switch(zone_id, "on", start)])
    for minute in range(5, minutes + 1, 5):
        temperature = start_temperature + rate_k_per_h * minute / 60
        store.sample_runs(start + minute * 60, 300, {zone_id: temperature})
    store.record_control([], [switch(zone_id, "off", start + minutes * 60)])

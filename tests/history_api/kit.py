"""Rows of the control loop's record and a hub with a zone of two sensors and two outputs,
for the history's tests."""

from __future__ import annotations

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

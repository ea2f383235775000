"""The hub's live state against its database after any sequence of API calls: every read
route answers from memory, so memory must hold exactly what the database holds."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from rpymostat.core.timeutil import format_time
from tests.hubkit import Hub, relay_node, sensor_node

NODES = ("node-1", "node-2")
SENSORS = {"node-1": ("28-000000000001", "28-000000000002"), "node-2": ("28-000000000003",)}
ALL_SENSORS = tuple(s for group in SENSORS.values() for s in group)
OUTPUTS = ("gpio17", "gpio27", "gpio22")
FUNCTIONS = ("heat", "cool", "fan")


class LiveMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.home = tempfile.TemporaryDirectory()
        self.hub = Hub(f"sqlite:///{Path(self.home.name) / 'hub.db'}")
        self.answers: list[int] = []

    def teardown(self):
        self.hub.close()
        self.home.cleanup()

    def zone_ids(self) -> list[int]:
        return sorted(self.hub.api.live.zones)

    @initialize()
    def nodes_come_up(self):
        for node in NODES:
            sensor_node(self.hub, node, SENSORS[node])
        relay_node(self.hub, "relay-1", OUTPUTS)

    @rule(node=st.sampled_from(NODES))
    def register_sensors(self, node):
        self.answers.append(sensor_node(self.hub, node, SENSORS[node]).status)

    @rule(outputs=st.lists(st.sampled_from(OUTPUTS), min_size=1, max_size=3, unique=True))
    def register_relay(self, outputs):
        self.answers.append(relay_node(self.hub, "relay-1", tuple(outputs)).status)

    @rule(name=st.sampled_from(("Living", "Bedroom", "Office")),
          sensors=st.lists(st.sampled_from(ALL_SENSORS), max_size=2, unique=True),
          output=st.sampled_from(OUTPUTS))
    def create_zone(self, name, sensors, output):
        self.answers.append(self.hub.call("POST", "/v1/zones", {
            "name": name, "sensors": sensors, "outputs": {"heat": output}}).status)

    @precondition(lambda self: self.zone_ids())
    @rule(pick=st.integers(0, 9), sensors=st.lists(st.sampled_from(ALL_SENSORS), max_size=3, unique=True),
          setpoint=st.integers(15, 25))
    def patch_zone(self, pick, sensors, setpoint):
        zone_id = self.zone_ids()[pick % len(self.zone_ids())]
        self.answers.append(self.hub.call("PATCH", f"/v1/zones/{zone_id}", {
            "sensors": sensors, "default_target": {"mode": "heat", "heat": setpoint}}).status)

    @precondition(lambda self: self.zone_ids())
    @rule(pick=st.integers(0, 9))
    def delete_zone(self, pick):
        zone_id = self.zone_ids()[pick % len(self.zone_ids())]
        self.answers.append(self.hub.call("DELETE", f"/v1/zones/{zone_id}").status)

    @rule(sensor=st.sampled_from(ALL_SENSORS), alias=st.text("abc ", max_size=5),
          zone=st.one_of(st.none(), st.integers(1, 4)))
    def patch_sensor(self, sensor, alias, zone):
        self.answers.append(self.hub.call("PATCH", f"/v1/sensors/{sensor}",
                                          {"alias": alias, "zone_id": zone}).status)

    @rule(output=st.sampled_from(OUTPUTS), zone=st.one_of(st.none(), st.integers(1, 4)),
          function=st.sampled_from(FUNCTIONS))
    def patch_output(self, output, zone, function):
        self.answers.append(self.hub.call("PATCH", f"/v1/outputs/{output}",
                                          {"zone_id": zone, "function": function}).status)

    @rule(what=st.sampled_from(("sensors", "outputs")), index=st.integers(0, 2))
    def release(self, what, index):
        item = (ALL_SENSORS if what == "sensors" else OUTPUTS)[index]
        self.answers.append(self.hub.call("POST", f"/v1/{what}/{item}/release").status)

    @rule(node=st.sampled_from(NODES + ("relay-1",)))
    def delete_node(self, node):
        self.answers.append(self.hub.call("DELETE", f"/v1/nodes/{node}").status)
        self.hub.node_tokens.pop(node, None)  # revoked: the node comes back with a new one

    @rule(node=st.sampled_from(NODES), ago=st.lists(st.integers(0, 600), min_size=1, max_size=4),
          value=st.floats(-50, 90, allow_nan=False))
    def post_readings(self, node, ago, value):
        now = self.hub.clock.seconds()
        readings = [{"sensor_id": SENSORS[node][i % len(SENSORS[node])], "time": format_time(now - a),
                     "value": value} for i, a in enumerate(ago)]
        self.answers.append(self.hub.call("POST", "/v1/readings", {"node_id": node, "readings": readings},
                                          token=f"node:{node}").status)

    @rule(output=st.sampled_from(OUTPUTS), state=st.sampled_from(("on", "off")))
    def report_state(self, output, state):
        self.answers.append(self.hub.call("PUT", f"/v1/outputs/{output}/state", {"state": state},
                                          token="node:relay-1").status)

    @rule(seconds=st.integers(1, 120))
    def time_passes(self, seconds):
        self.hub.clock.advance(seconds)

    @invariant()
    def memory_is_the_database(self):
        assert all(status < 500 for status in self.answers), self.answers
        live, stored = self.hub.api.live, self.hub.raw_store.snapshot()
        assert live.node_list() == stored["nodes"]
        assert live.sensor_list() == stored["sensors"]
        assert live.output_list() == stored["outputs"]
        assert live.zone_list() == stored["zones"]
        assert {s: (v.value, v.time) for s, v in live.latest.items()} == {
            s["id"]: (s["last_value"], s["last_time"]) for s in stored["sensors"] if s["last_time"] is not None}
        assert live.owner == {s["id"]: s["node_id"] for s in stored["sensors"] if s["node_id"] is not None}

    @invariant()
    def read_routes_answer_from_it(self):
        listed = self.hub.call("GET", "/v1/zones").body["zones"]
        assert [z["id"] for z in listed] == [z["id"] for z in self.hub.raw_store.list_zones()]
        status = self.hub.call("GET", "/v1/status").body
        assert status["counts"] == {"nodes": len(self.hub.raw_store.list_nodes()),
                                    "sensors": len(self.hub.raw_store.list_sensors()),
                                    "outputs": len(self.hub.raw_store.list_outputs()),
                                    "zones": len(listed)}


LiveMachine.TestCase.settings = settings(max_examples=20, stateful_step_count=15, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
test_live_agrees = LiveMachine.TestCase

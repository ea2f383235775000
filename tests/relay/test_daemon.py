"""The relay node against the in-memory hub: registration gives the command token and the
minimum off time, state changes reach the hub, and the latest ones wait out an outage."""

from __future__ import annotations

from rpymostat.node.credentials import load_credentials
from rpymostat.node.link import HubLink
from rpymostat_relay.daemon import RelayNode, local_address_towards
from tests.hubkit import ENROLLMENT_KEY, Hub
from tests.relay.test_api import Relay
from tests.sensor.nodekit import FlakyHttp


class Wired(Relay):
    def __init__(self, hub: Hub, data_dir):
        super().__init__()
        self.hub = hub
        self.clock = hub.clock  # one clock for hub, bank and link
        self.bank.clock = self.bank.timer = hub.clock
        self.api.clock = hub.clock
        self.api.command_token = None
        self.http = FlakyHttp(hub.client)
        self.node = RelayNode(bank=self.bank, api=self.api, node_id="relay-1", name="Boiler relay",
                              port=8574, listen="127.0.0.1")
        self.bank.on_change = self.node.output_changed
        self.node.link = HubLink(clock=hub.clock, http=self.http, data_dir=data_dir, node_id="relay-1",
                                 name="Boiler relay", registration=self.node.registration,
                                 on_registered=self.node.registered, hub_url="http://hub",
                                 enrollment_key=ENROLLMENT_KEY)

    def advance(self, seconds):
        for _ in range(int(seconds)):
            self.hub.clock.advance(1)
            for _ in range(3):
                self.hub.client.flush()
                self.client.flush()

    def hub_outputs(self):
        return {o["id"]: o["state"] for o in self.hub.call("GET", "/v1/outputs").body["outputs"]}


def test_registration_brings_the_command_token_and_min_off_time(hub, tmp_path):
    hub.call("PATCH", "/v1/settings", {"min_off_s": 120})
    relay = Wired(hub, tmp_path / "relay")
    relay.node.link.start()
    relay.advance(1)
    assert relay.api.command_token == hub.raw_store.get_node("relay-1")["command_token"] is not None
    assert relay.bank.min_off_s == 120
    node = hub.call("GET", "/v1/nodes/relay-1").body
    assert node["kind"] == "relay" and node["url"] == "http://127.0.0.1:8574/"
    assert sorted(node["outputs"]) == ["cool", "heat", "phidget-1/2"]


def test_state_changes_reach_the_hub_and_the_latest_waits_out_an_outage(hub, tmp_path):
    relay = Wired(hub, tmp_path / "relay")
    relay.node.link.start()
    relay.advance(1)
    token = relay.api.command_token
    assert relay.put("heat", {"state": "on", "lease_s": 30}, token=token)[0] == 200
    relay.advance(1)
    assert relay.hub_outputs()["heat"] == "on"
    relay.http.down = True
    relay.advance(30)  # the lease runs out while the hub is unreachable
    assert relay.state()["heat"] is False
    assert relay.node.pending["heat"].reason == "lease_expired"
    relay.http.down = False
    relay.advance(40)
    assert relay.hub_outputs()["heat"] == "off" and relay.node.pending == {}


def test_local_address_towards_loopback():
    assert local_address_towards("http://127.0.0.1:8573") == "127.0.0.1"


def test_a_re_enrollment_gives_the_relay_a_new_command_token_end_to_end(hub, tmp_path):
    relay = Wired(hub, tmp_path / "relay")
    relay.node.link.start()
    relay.advance(1)
    old_command = relay.api.command_token
    old_device = load_credentials(tmp_path / "relay").token
    assert hub.call("POST", "/v1/nodes/relay-1/re-enroll").status == 200  # the admin allows it
    assert hub.call("GET", "/v1/nodes", token=old_device).status == 401, "refused at once"
    # The hub still holds the old command token until the relay enrolls again; the relay's
    # state report after this command is refused, so the relay enrolls and registers again.
    assert relay.put("heat", {"state": "on", "lease_s": 60}, token=old_command)[0] == 200
    relay.advance(2)
    new_command = relay.api.command_token
    assert new_command not in (None, old_command)
    assert new_command == hub.raw_store.get_node("relay-1")["command_token"]
    assert load_credentials(tmp_path / "relay").token not in (None, old_device)
    assert load_credentials(tmp_path / "relay").hub_id == hub.hub_id
    assert relay.put("heat", {"state": "off"}, token=old_command)[0] == 401
    assert relay.put("heat", {"state": "off"}, token=new_command)[0] == 200
    relay.advance(1)
    assert relay.hub_outputs()["heat"] == "off" and relay.node.pending == {}

"""The relay node's API in memory (StubTreq, Clock): the hub's token, refusals that leave
the outputs as they were, leases to the exact second, boot and stop all off."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate
from treq.testing import StubTreq
from twisted.internet.task import Clock

from rpymostat_relay.api import RelayAPI
from rpymostat_relay.drivers.sim import SimDriver
from rpymostat_relay.outputs import MemoryJournal, OutputBank
from tests.hubkit import kit_gate
from tests.sensor.nodekit import inline

TOKEN = "command-token-from-the-hub"
START = 1_790_000_000.0
BOOT = "relay-machine-boot-1"


class Relay:
    """The relay's API and bank in memory; with ``timer_start``, a second Clock is the
    bank's monotonic timer and ``step_wall`` moves the wall clock alone. The timer counts
    in boot ``boot_id`` of the relay's machine."""

    def __init__(self, journal: dict | None = None, min_off_s: float = 300, pre_on: tuple = (),
                 timer_start: float | None = None, boot_id: str | None = BOOT):
        self.clock = Clock()
        self.clock.advance(START)
        self.timer = self.clock
        if timer_start is not None:
            self.timer = Clock()
            self.timer.advance(timer_start)
        self.driver = SimDriver({"outputs": [{"id": "heat"}, {"id": "cool"}, {"id": "phidget-1/2"}]},
                                clock=self.clock.seconds)
        for output_id in pre_on:
            self.driver.set(output_id, True)
        self.changes: list[tuple] = []
        self.journal = MemoryJournal(journal)
        self.min_off_s = min_off_s
        self.boot_id = boot_id
        self._start()

    def _start(self):
        self.bank = OutputBank(clock=self.clock, driver=self.driver, run=inline, journal=self.journal,
                               on_change=lambda *change: self.changes.append(change), min_off_s=self.min_off_s,
                               timer=self.timer, boot_id=self.boot_id)
        self.bank.boot()
        self.api = RelayAPI(bank=self.bank, node_id="relay-1", clock=self.clock,
                            gate=kit_gate(self.clock, "relay"))
        self.api.command_token = TOKEN
        self.client = StubTreq(self.api.resource())

    def restart(self, boot_id: str | None = None, timer_start: float | None = None):
        """The relay daemon starts again on the same journal and hardware. With
        ``boot_id`` the machine rebooted meanwhile: its monotonic timer starts again
        (at ``timer_start``)."""
        if boot_id is not None:
            self.boot_id = boot_id
            self.timer = Clock()
            self.timer.advance(timer_start)
        self._start()

    def call(self, method, path, body=None, token=TOKEN, raw=None, host="relay", headers=None):
        headers = {"Host": host, **(headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        outcome = []
        d = self.client.request(method, "http://relay" + path, data=data, headers=headers)
        d.addCallback(lambda r: self.client.content(r).addCallback(lambda c: outcome.append((r.code, c))))
        self.client.flush()
        code, content = outcome[0]
        return code, json.loads(content) if content else None

    def put(self, output_id, body, **kw):
        return self.call("PUT", f"/v1/outputs/{output_id}", body, **kw)

    def state(self):
        return {i.id: self.driver.get(i.id) for i in self.driver.outputs()}

    def advance(self, seconds):
        self.clock.advance(seconds)
        if self.timer is not self.clock:
            self.timer.advance(seconds)
        self.client.flush()

    def step_wall(self, seconds):
        self.clock.advance(seconds)
        self.client.flush()


def test_boot_turns_everything_off_and_reports_it():
    relay = Relay(pre_on=("heat",))
    assert relay.state() == {"heat": False, "cool": False, "phidget-1/2": False}
    assert [(c[0], c[1], c[3]) for c in relay.changes] == [
        ("heat", False, "boot"), ("cool", False, "boot"), ("phidget-1/2", False, "boot")]


def test_health_needs_no_token_and_says_whether_registered():
    relay = Relay()
    assert relay.call("GET", "/v1/health", token=None) == (
        200, {"status": "ok", "version": relay.call("GET", "/v1/health")[1]["version"],
              "node_id": "relay-1", "registered": True})
    relay.api.command_token = None
    assert relay.call("GET", "/v1/health", token=None)[1]["registered"] is False


@pytest.mark.parametrize("host", ["attacker.example", "relay.attacker.example", "192.0.2.66:8574"])
def test_the_relay_refuses_a_host_it_is_not_known_by(host):
    relay = Relay()
    code, body = relay.put("heat", {"state": "on", "lease_s": 30}, host=host)
    assert code == 421 and body["error"]["code"] == "host_not_allowed"
    assert "allowed_hosts" in body["error"]["message"]
    assert relay.state()["heat"] is False
    assert relay.call("GET", "/v1/health", host=host)[0] == 421
    assert relay.put("heat", {"state": "on", "lease_s": 30}, host="127.0.0.1:8574")[0] == 200


def test_the_relay_refuses_a_foreign_origin():
    relay = Relay()
    code, body = relay.put("heat", {"state": "on", "lease_s": 30}, headers={"Origin": "http://attacker.example"})
    assert code == 403 and body["error"]["code"] == "origin_not_allowed"
    assert relay.state()["heat"] is False
    assert relay.put("heat", {"state": "on", "lease_s": 30}, headers={"Origin": "http://relay"})[0] == 200


def test_wrong_command_tokens_are_throttled_and_the_right_one_then_waits_too():
    relay = Relay()
    burst = relay.api.gate.throttle.limit.burst
    assert [relay.put("heat", {"state": "off"}, token=f"guess-{i}")[0] for i in range(burst)] == [401] * burst
    code, body = relay.put("heat", {"state": "on", "lease_s": 30})
    assert code == 429 and body["error"]["details"]["retry_after_s"] > 0
    assert relay.state()["heat"] is False
    relay.advance(body["error"]["details"]["retry_after_s"])
    assert relay.put("heat", {"state": "on", "lease_s": 30})[0] == 200


def test_before_registration_refusals_are_not_counted_as_guesses():
    relay = Relay()
    relay.api.command_token = None
    for _ in range(3 * relay.api.gate.throttle.limit.burst):
        assert relay.put("heat", {"state": "off"})[0] == 401
    relay.api.command_token = TOKEN
    assert relay.put("heat", {"state": "off"})[0] == 200


def test_on_renew_and_off():
    relay = Relay()
    code, body = relay.put("heat", {"state": "on", "lease_s": 90})
    assert code == 200 and body["state"] == "on" and body["lease_until"] == "2026-09-21T14:14:50Z"
    assert relay.state()["heat"] is True
    relay.advance(60)
    assert relay.put("heat", {"state": "on", "lease_s": 90})[0] == 200
    assert len(relay.driver.history) == 1, "a renewal switches nothing"
    relay.advance(89)
    assert relay.state()["heat"] is True, "the renewal moved the lease end"
    code, body = relay.put("heat", {"state": "off"})
    assert code == 200 and body["state"] == "off" and relay.state()["heat"] is False
    assert relay.changes[-2:] == [("heat", True, START, "command"), ("heat", False, START + 149, "command")]
    listed = relay.call("GET", "/v1/outputs")[1]["outputs"]
    assert [o["id"] for o in listed] == ["heat", "cool", "phidget-1/2"]
    assert listed[0]["may_start_at"] == "2026-09-21T14:20:49Z"


def test_an_output_id_with_a_slash_is_one_percent_encoded_segment():
    relay = Relay()
    code, body = relay.put("phidget-1%2F2", {"state": "on", "lease_s": 30})
    assert code == 200 and body["id"] == "phidget-1/2"
    assert relay.state()["phidget-1/2"] is True
    code, body = relay.put("phidget-1/2", {"state": "off"})
    assert code == 404 and body["error"]["code"] == "not_found"
    assert relay.state()["phidget-1/2"] is True


def test_lease_expiry_turns_the_output_off_at_the_exact_time():
    relay = Relay()
    relay.put("cool", {"state": "on", "lease_s": 10})
    relay.advance(9.999)
    assert relay.state()["cool"] is True
    relay.advance(0.001)
    assert relay.state()["cool"] is False
    assert relay.changes[-1] == ("cool", False, START + 10, "lease_expired")
    assert relay.driver.history[-1].time == START + 10


BAD_COMMANDS = [
    ("no token", "heat", {"state": "on", "lease_s": 30}, {"token": None}, 401, "unauthorized"),
    ("wrong token", "heat", {"state": "on", "lease_s": 30}, {"token": "guess"}, 401, "unauthorized"),
    ("unknown output", "gpio99", {"state": "on", "lease_s": 30}, {}, 404, "not_found"),
    ("not JSON", "heat", None, {"raw": b"{state: on"}, 400, "malformed"),
    ("empty body", "heat", None, {"raw": b""}, 400, "malformed"),
    ("lease too short", "heat", {"state": "on", "lease_s": 4}, {}, 422, "invalid"),
    ("lease too long", "heat", {"state": "on", "lease_s": 601}, {}, 422, "invalid"),
    ("lease not a number", "heat", {"state": "on", "lease_s": "90"}, {}, 422, "invalid"),
    ("on without lease", "heat", {"state": "on"}, {}, 422, "invalid"),
    ("unknown state", "heat", {"state": "auto", "lease_s": 30}, {}, 422, "invalid"),
    ("unknown field", "heat", {"state": "off", "force": True}, {}, 422, "invalid"),
    ("not an object", "heat", ["on"], {}, 422, "invalid"),
]


@pytest.mark.parametrize("initially_on", [False, True])
@pytest.mark.parametrize("what,output_id,body,extra,status,code", BAD_COMMANDS, ids=[c[0] for c in BAD_COMMANDS])
def test_bad_commands_are_refused_with_a_json_error_and_change_nothing(
        what, output_id, body, extra, status, code, initially_on):
    relay = Relay()
    if initially_on:
        relay.put("heat", {"state": "on", "lease_s": 60})
    before, history, changes = relay.state(), list(relay.driver.history), list(relay.changes)
    lease = relay.bank.states["heat"].lease_until
    got_status, got = relay.put(output_id, body, **extra)
    assert (got_status, got["error"]["code"]) == (status, code), got
    assert relay.state() == before and relay.driver.history == history and relay.changes == changes
    assert relay.bank.states["heat"].lease_until == lease


def test_not_registered_yet_every_command_is_refused():
    relay = Relay()
    relay.api.command_token = None
    code, body = relay.put("heat", {"state": "on", "lease_s": 30}, token="anything")
    assert code == 401 and "not registered" in body["error"]["message"]
    assert relay.state()["heat"] is False


def test_on_inside_the_minimum_off_time_is_a_conflict():
    relay = Relay(min_off_s=300)
    relay.put("heat", {"state": "on", "lease_s": 30})
    relay.advance(30)  # lease runs out: off at START + 30
    relay.advance(299.5)
    code, body = relay.put("heat", {"state": "on", "lease_s": 30})
    assert code == 409 and body["error"]["code"] == "min_off_time"
    assert body["error"]["details"]["retry_after_s"] == 0.5
    assert relay.state()["heat"] is False
    relay.advance(0.5)
    assert relay.put("heat", {"state": "on", "lease_s": 30})[0] == 200


def test_minimum_off_time_survives_a_restart_that_found_an_output_on():
    """``cool`` as a journal written before off times had a boot: a plain wall-clock time."""
    relay = Relay(journal={"heat": "on", "cool": START - 1000})
    assert relay.put("heat", {"state": "on", "lease_s": 30})[0] == 409, "went off at boot, just now"
    assert relay.put("cool", {"state": "on", "lease_s": 30})[0] == 200
    assert relay.journal.entries == {"heat": {"time": START, "boot_id": BOOT, "monotonic": START}, "cool": "on"}


def test_stop_turns_everything_off():
    relay = Relay()
    relay.put("heat", {"state": "on", "lease_s": 60})
    relay.put("cool", {"state": "on", "lease_s": 60})
    relay.bank.stop()
    assert [(s.output_id, s.on) for s in relay.driver.history[-2:]] == [("heat", False), ("cool", False)]
    assert [c[3] for c in relay.changes[-2:]] == ["stop", "stop"]
    relay.advance(120)
    assert len(relay.driver.history) == 4, "no lease timer fires after stop"


def test_openapi_document_is_valid_and_needs_the_token():
    relay = Relay()
    assert relay.call("GET", "/v1/openapi.json", token=None)[0] == 401
    code, document = relay.call("GET", "/v1/openapi.json")
    assert code == 200
    validate(document)
    command = document["components"]["schemas"]["OutputCommand"]
    assert command["properties"]["lease_s"]["minimum"] == 5
    assert command["properties"]["lease_s"]["maximum"] == 600

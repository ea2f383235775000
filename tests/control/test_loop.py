"""The control service end to end in memory: readings in, relay commands out, the decision
log explaining each step, alarms in the status and the zone state."""

import pytest

from rpymostat.core.timeutil import parse_time
from tests.control.rig import COOL, HEAT, Rig

START_OFF_S = 300  # the start-up minimum off time, with the default min_off_s


@pytest.fixture
def rig(tmp_path):
    r = Rig(f"sqlite:///{tmp_path / 'hub.db'}")
    yield r
    r.close()


def on_puts(rig, output_id=HEAT):
    return [t for t, body in rig.http.puts(output_id) if body["state"] == "on"]


def test_cold_reading_heats_at_the_end_of_the_startup_off_time_with_leases_renewed_at_a_third(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + START_OFF_S - 1)
    assert not rig.relay.on(HEAT) and on_puts(rig) == []
    held = rig.state()
    assert held["action"] == "idle" and "minimum off time after start-up" in held["reason"]
    assert held["next_recheck"] == "2026-09-21T14:18:20Z"  # t0 + 300 s, the guard's timer
    rig.feed(18.0, until=t0 + START_OFF_S + 100)
    assert rig.relay.on(HEAT)
    # on at the guard's instant, not at the next 30 s tick; renewed every 90 / 3 s
    assert on_puts(rig) == [t0 + 300, t0 + 330, t0 + 360, t0 + 390]
    assert all(body == {"state": "on", "lease_s": 90} for _, body in rig.http.puts(HEAT)
               if body["state"] == "on")
    assert rig.relay.bank.states[HEAT].lease_until == t0 + 390 + 90
    state = rig.state()
    assert state["action"] == "heating" and state["temperature"] == 18.0
    assert state["sensors_used"] == ["28-000000000001"] and state["alarms"] == []
    assert state["outputs"]["heat"] == {"id": HEAT, "reported": "on", "commanded": "on",
                                        "lease_until": "2026-09-21T14:21:20Z"}
    assert state["preheat"] is None and state["target"]["heat_setpoint"] == 20
    # the hub knows the relay's own account too
    assert rig.hub.call("GET", "/v1/outputs").body["outputs"][0]["state"] == "on"


def test_dead_sensor_stops_the_heat_at_once_with_an_alarm_and_the_log_explains_it(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 330)
    last = rig.clock.seconds()
    rig.reading(18.0)
    assert rig.relay.on(HEAT)
    rig.run_until(last + 89)
    assert rig.relay.on(HEAT)
    rig.run_until(last + 90)  # three report intervals without a reading: stale
    assert not rig.relay.on(HEAT)
    assert rig.http.puts(HEAT)[-1] == (last + 90, {"state": "off"})
    state = rig.state()
    assert state["action"] == "idle" and state["temperature"] is None
    assert [a["code"] for a in state["alarms"]] == ["no_temperature"]
    assert state["sensors_dropped"] == [{"sensor_id": "28-000000000001", "reason": "stale"}]
    status = rig.hub.call("GET", "/v1/status").body
    assert status["zones"][0]["action"] == "idle"
    assert status["alarms"] == [{"zone_id": 1, "code": "no_temperature", "message":
                                 "no valid fresh temperature (no_temperature): heating and cooling stopped"}]
    assert status["zones"][0]["alarms"] == [{k: v for k, v in a.items() if k != "zone_id"}
                                            for a in status["alarms"]]
    log = rig.decisions()
    steps = [(d["action"], d["reason"]) for d in log]
    assert steps[0] == ("idle", "idle: no temperature; guard: ok")  # started before any reading
    assert steps[1] == ("idle", "heating: 18.0 °C < 20 − 0.5; guard: heat held off: minimum off "
                                "time after start-up, 300 s left")
    assert ("heating", "heating: 18.0 °C < 20 − 0.5; guard: ok") in steps
    assert steps[-1] == ("idle", "idle: no temperature; guard: ok")
    assert log[-1]["data"]["alarms"][0]["code"] == "no_temperature"
    assert log[-1]["data"]["sensors"]["dropped"] == [{"sensor_id": "28-000000000001", "reason": "stale"}]
    assert log[-1]["commands"] == {"heat": "off", "aux": "off", "cool": "off", "fan": "off"}
    assert [d["time"] for d in log] == sorted(d["time"] for d in log)
    # a fresh reading brings the heat back, but only after the minimum off time
    rig.reading(18.0)
    assert not rig.relay.on(HEAT) and "minimum off time" in rig.state()["reason"]


def test_staleness_after_three_missed_intervals_even_when_idle(rig):
    rig.reading(21.0)
    t = rig.clock.seconds()
    rig.run_until(t + 60)
    assert rig.state()["temperature"] == 21.0
    rig.run_until(t + 89.9)
    assert rig.state()["alarms"] == []
    rig.run_until(t + 90)  # the 30 s tick lands on the instant it goes stale
    assert [a["code"] for a in rig.state()["alarms"]] == ["no_temperature"]
    assert rig.hub.call("GET", "/v1/sensors").body["sensors"][0]["stale"] is True


def test_changes_tick_at_once_and_are_logged(rig):
    t0 = rig.starts[0]
    rig.feed(19.8, until=t0 + 400)
    assert not rig.relay.on(HEAT)
    assert rig.hub.call("PUT", "/v1/zones/1/hold", {"target": {"mode": "heat", "heat_setpoint": 22},
                                                    "until": "PT1H"}).status == 200
    rig.settle()
    assert rig.relay.on(HEAT) and rig.clock.seconds() == t0 + 400  # no waiting for a tick
    entry = rig.decisions()[-1]
    assert entry["action"] == "heating" and "(rule 'hold')" in entry["reason"]
    assert entry["data"]["target"]["heat_setpoint"] == 22
    # a user "off" cuts the run short
    assert rig.hub.call("PUT", "/v1/zones/1/hold", {"target": {"mode": "off"}, "until": None}).status == 200
    rig.settle()
    assert not rig.relay.on(HEAT)
    assert rig.decisions()[-1]["reason"] == "idle: mode off (rule 'hold'); guard: ok"


def test_a_quiet_zone_logs_once_per_ten_minutes(rig):
    t0 = rig.starts[0]
    rig.feed(21.0, until=t0 + 3600)
    log = rig.decisions()
    assert len(log) == 8  # before the first reading, at it, then every 10 minutes to t0 + 1 h
    assert log[0]["reason"] == "idle: no temperature; guard: ok"
    quiet = log[1:]
    assert {d["reason"] for d in quiet} == {"idle: 21.0 °C > 20 + 0.5; guard: ok"}
    times = [parse_time(d["time"]).timestamp() for d in quiet]
    assert all(later - earlier >= 600 for earlier, later in zip(times, times[1:]))


def test_relay_that_does_not_answer_raises_an_alarm_and_a_lapsed_lease_is_counted_as_off(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 310)
    assert rig.relay.on(HEAT)
    rig.partition(True)
    rig.feed(18.0, until=t0 + 310 + 60)
    alarms = rig.state()["alarms"]
    assert [a["code"] for a in alarms] == ["relay_unreachable"]
    assert "relay node relay-1 does not answer (output gpio17)" in alarms[0]["message"]
    assert any("does not answer" in a["message"] and a["code"] == "relay_unreachable"
               for a in rig.hub.call("GET", "/v1/status").body["alarms"])
    rig.feed(18.0, until=t0 + 300 + 120)
    assert not rig.relay.on(HEAT)  # the relay's own lease ran out at t0 + 300 + 90 ... renewed at 330
    rig.partition(False)
    rig.feed(18.0, until=t0 + 300 + 200)
    assert not rig.relay.on(HEAT)
    reasons = [d["reason"] for d in rig.decisions()]
    assert any("relay: heat (gpio17) off: its lease ran out without renewal" in r for r in reasons)
    assert "minimum off time" in rig.state()["reason"]
    assert rig.state()["alarms"] == []  # the "off" went through once the split ended


def test_outputs_of_other_functions_are_sent_off_once_and_left_alone(rig):
    offs = [body for _, body in rig.http.puts(COOL)]
    assert offs == [{"state": "off"}]
    rig.feed(21.0, until=rig.clock.seconds() + 300)
    assert [body for _, body in rig.http.puts(COOL)] == [{"state": "off"}]


def test_a_relay_refusing_a_start_is_counted_as_off_and_explained(tmp_path):
    rig = Rig(f"sqlite:///{tmp_path / 'hub.db'}", settings={"min_off_s": 120}, relay_min_off_s=600)
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 130)
    assert rig.hub.call("PUT", "/v1/zones/1/hold", {"target": {"mode": "off"}, "until": None}).status == 200
    rig.settle()
    assert rig.hub.call("DELETE", "/v1/zones/1/hold").status == 204
    rig.feed(18.0, until=t0 + 260)  # the hub's 120 s are over at t0 + 250; the relay's 600 s are not
    assert not rig.relay.on(HEAT)
    # refused: the relay is off, so no "off" follows
    assert rig.http.puts(HEAT)[-2:] == [(t0 + 130, {"state": "off"}), (t0 + 250, {"state": "on", "lease_s": 90})]
    last = rig.decisions()[-1]
    assert last["action"] == "idle" and last["reason"].endswith(
        "relay: heat (gpio17) off: the relay refused (its own minimum off time)")
    assert last["data"]["relay_events"] == [{"function": "heat", "output_id": HEAT, "time": t0 + 250,
                                             "why": "refused"}]
    assert [a["code"] for a in rig.state()["alarms"]] == ["relay_refused"]
    rig.close()


def test_decision_log_queries(rig):
    rig.feed(18.0, until=rig.starts[0] + 60)
    window = rig.decisions(**{"from": "2026-09-21T14:00:00Z", "to": "2026-09-21T15:00:00%2B00:00"})
    assert [d["reason"].split(";")[0] for d in window] == ["idle: no temperature", "heating: 18.0 °C < 20 − 0.5"]
    assert rig.decisions(limit=1) == window[-1:]
    reply = rig.hub.call("GET", "/v1/zones/1/decisions?limit=1")
    assert reply.body["truncated"] is True and reply.body["zone_id"] == 1
    for query in ("from=yesterday", "to=2026-09-21T14:13:20", "limit=0", "limit=x", "limit=10001",
                  "limit=1_0", "limit=%EF%BC%91", "limit=%201"):
        reply = rig.hub.call("GET", f"/v1/zones/1/decisions?{query}")
        assert reply.status == 422 and reply.error == "invalid", (query, reply.body)
    reversed_window = rig.hub.call("GET", "/v1/zones/1/decisions?from=2026-09-22T00:00:00Z&to=2026-09-21T00:00:00Z")
    assert reversed_window.status == 200 and reversed_window.body["decisions"] == []
    longest = rig.hub.call("GET", "/v1/zones/1/decisions?from=2026-01-01T00:00:00Z&to=2026-09-22T00:00:00Z")
    assert longest.body["from"] == "2026-08-22T00:00:00Z" and longest.body["truncated"] is True
    assert [d["reason"] for d in longest.body["decisions"]] == [d["reason"] for d in rig.decisions()]
    assert rig.hub.call("GET", "/v1/zones/9/decisions").status == 404
    assert rig.hub.call("GET", "/v1/zones/1/decisions", token="device").status == 403
    assert rig.hub.call("GET", "/v1/zones/1/decisions", token=None).status == 401


def test_a_stop_the_relay_does_not_confirm_counts_off_from_the_end_of_its_lease(rig):
    """Heat on, then the split comes and the user turns it off: the relay keeps heating until
    its lease runs out, so the minimum off time counts from then, not from the decision."""
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 350)
    assert rig.relay.on(HEAT)
    rig.partition(True)
    stop_at = rig.clock.seconds()
    assert rig.hub.call("PATCH", "/v1/zones/1", {"default_target": {"mode": "off"}}).status == 200
    rig.feed(18.0, until=stop_at + 120)
    assert not rig.relay.on(HEAT)
    relay_off = [when for output_id, on, when, _ in rig.relay.events if output_id == HEAT and not on][-1]
    assert relay_off == t0 + 330 + 90, "the relay heated on to the end of its last lease"
    rig.partition(False)
    assert rig.hub.call("PATCH", "/v1/zones/1", {"default_target": {"mode": "heat", "heat_setpoint": 20}}
                        ).status == 200
    rig.feed(18.0, until=relay_off + 300 + 60)
    restarts = [when for output_id, on, when, _ in rig.relay.events if output_id == HEAT and on
                and when > relay_off]
    assert restarts == [relay_off + 300], (relay_off, restarts)
    reasons = " ".join(d["reason"] for d in rig.decisions())
    assert "the relay did not confirm the stop" in reasons


def test_after_a_restart_the_previous_hubs_lease_counts_until_a_stop_is_confirmed(tmp_path):
    rig = Rig(f"sqlite:///{tmp_path / 'hub.db'}", relay_min_off_s=0,
              settings={"min_off_s": 60, "min_run_s": 60, "lease_s": 30})
    try:
        t0 = rig.starts[0]
        rig.feed(18.0, until=t0 + 70, every=5)
        assert rig.relay.on(HEAT)
        rig.restart()
        rig.partition(True)
        assert rig.hub.call("PATCH", "/v1/zones/1", {"default_target": {"mode": "off"}}).status == 200
        rig.feed(18.0, until=rig.starts[1] + 5, every=5)
        rig.feed(18.0, until=rig.starts[1] + 60, every=5)
        assert not rig.relay.on(HEAT)
        relay_off = [when for output_id, on, when, _ in rig.relay.events if output_id == HEAT and not on][-1]
        rig.partition(False)
        assert rig.hub.call("PATCH", "/v1/zones/1", {"default_target": {"mode": "heat", "heat_setpoint": 20}}
                            ).status == 200
        rig.feed(18.0, until=relay_off + 150, every=5)
        restarts = [when for output_id, on, when, _ in rig.relay.events if output_id == HEAT and on
                    and when > relay_off]
        assert restarts and restarts[0] >= relay_off + 60, (relay_off, restarts)
    finally:
        rig.close()


def test_zone_state_and_status_match_their_documented_schemas(rig):
    from rpymostat.web.routing import Validators

    validators = Validators(rig.hub.api.document)
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 310)
    rig.partition(True)
    rig.feed(18.0, until=t0 + 345)
    state, status = rig.state(), rig.hub.call("GET", "/v1/status").body
    assert state["action"] == "heating" and state["alarms"]
    for name, body in (("ZoneState", state), ("Status", status)):
        errors = [e.message for e in validators.for_schema(name).iter_errors(body)]
        assert errors == [], (name, errors)

"""The predictive plugin in the control loop: it sees the schedule ahead and its own
previous decision, starts early and says so in the zone's state."""

import pytest

from tests.control.rig import HEAT, Rig

EVENING = {"zone_id": 1, "name": "evening", "kind": "recurring", "cron": "0 17 * * *", "duration": "PT5H",
           "target": {"mode": "heat", "heat_setpoint": 21}}


@pytest.fixture
def rig(tmp_path):
    r = Rig(f"sqlite:///{tmp_path / 'hub.db'}", settings={"decision_plugin": "predictive", "timezone": "UTC"},
            zone={"default_target": {"mode": "heat", "heat_setpoint": 16}})
    assert r.hub.call("POST", "/v1/rules", EVENING).status == 201
    yield r
    r.close()


def test_heats_early_for_the_evening_and_holds_the_early_start(rig):
    t0 = rig.starts[0]  # 14:13:20 UTC
    # 4 K at the default 3 K/h with no confidence (30 % margin): 1 h 44 min before 17:00
    rig.feed(17.0, until=t0 + 3600)
    assert not rig.relay.on(HEAT) and rig.state()["preheat"] is None
    rig.feed(17.0, until=t0 + 3600 + 25 * 60)
    state = rig.state()
    assert rig.relay.on(HEAT)
    assert state["reason"].startswith("preheating for 21.0 °C at 17:00, started 15:16, model 3.0 K/h (default), "
                                      "outdoor unknown; heating: 17.0 °C < 21 − 0.5; guard: ok")
    assert state["preheat"]["for"] == "2026-09-21T17:00:00Z" and state["preheat"]["started"] == "2026-09-21T15:16:20Z"
    # Warmer now, a fresh prediction would wait; the early start holds.
    rig.feed(20.0, until=t0 + 2 * 3600)
    assert rig.relay.on(HEAT) and rig.state()["preheat"]["started"] == "2026-09-21T15:16:20Z"
    logged = rig.hub.call("GET", "/v1/zones/1/decisions").body["decisions"]
    assert any(d["reason"].startswith("preheating") for d in logged)


def test_the_timeline_shows_the_predicted_early_starts(rig):
    rig.feed(17.0, until=rig.starts[0] + 600)
    segments = rig.hub.call("GET", "/v1/zones/1/timeline?to=2026-09-23T00:00:00Z").body["segments"]
    shown = {s["start"]: s.get("predicted_start") for s in segments}
    # Today from the room's 17 °C now: 4 K at 3 K/h + 30 %; tomorrow from the night's 16 °C.
    assert shown == {"2026-09-21T14:23:20Z": None, "2026-09-21T17:00:00Z": "2026-09-21T15:16:00Z",
                     "2026-09-21T22:00:00Z": None, "2026-09-22T17:00:00Z": "2026-09-22T14:50:00Z",
                     "2026-09-22T22:00:00Z": None}


def test_no_predicted_start_under_another_plugin(tmp_path):
    rig = Rig(f"sqlite:///{tmp_path / 'hub.db'}", zone={"default_target": {"mode": "heat", "heat_setpoint": 16}})
    try:
        assert rig.hub.call("POST", "/v1/rules", EVENING).status == 201
        segments = rig.hub.call("GET", "/v1/zones/1/timeline").body["segments"]
        assert all("predicted_start" not in s for s in segments)
    finally:
        rig.close()

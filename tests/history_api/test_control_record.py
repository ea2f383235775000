"""What the control loop's durable write adds: runs opened and closed by the switch events
with the temperatures at their start, the zone's and outputs' series, run samples, and the
retention of decisions, switch events and runs."""

from rpymostat.hub.store.control_store import GUARD_KEEPS_S
from rpymostat.hub.store.schema import switch_events
from tests.history_api.kit import S1, S2, decision, post_readings, switch, zone_with_equipment

DAY = 86_400.0


def test_a_run_opens_with_its_start_temperatures_and_closes_with_its_off(any_hub):
    hub, store = any_hub, any_hub.raw_store
    zone_id = zone_with_equipment(hub)
    now = hub.clock.seconds()
    post_readings(hub, [(S1, now - 30, 18.5), (S2, now - 2000, 17.0)])  # S2's is not fresh
    store.record_control([decision(zone_id, now, temperature=18.6)], [switch(zone_id, "on", now)])
    (run,) = store.list_runs(zone_id, now - 10, now + 10, 10)
    assert run | {"samples": None} == {
        "id": run["id"], "zone_id": zone_id, "kind": "heat", "start": now, "end": None, "duration_s": None,
        "start_temperature": 18.6, "start_outdoor": None, "start_sensors": {S1: 18.5}, "samples": None}
    store.record_control([], [switch(zone_id, "on", now + 60)])  # already running: the same run
    store.record_control([decision(zone_id, now + 700, "idle", 20.6, heat_cmd="off")],
                         [switch(zone_id, "off", now + 700)])
    (run,) = store.list_runs(None, now - 10, now + 10, 10)
    assert (run["end"], run["duration_s"]) == (now + 700, 700.0)
    store.record_control([], [switch(zone_id, "on", now + 800, "cool"), switch(zone_id, "on", now + 800, "fan")])
    runs = store.list_runs(zone_id, now, now + 1000, 10)
    assert [(r["kind"], r["end"]) for r in runs] == [("heat", now + 700), ("cool", None)]
    assert store.list_runs(zone_id, now + 900, now + 1000, 1)[0]["kind"] == "cool"
    assert store.list_runs(zone_id, now + 701, now + 799, 10) == []


def test_an_open_run_is_sampled_every_interval(any_hub):
    hub, store = any_hub, any_hub.raw_store
    zone_id = zone_with_equipment(hub)
    now = hub.clock.seconds()
    post_readings(hub, [(S1, now, 18.0), (S2, now, 18.4)])
    store.record_control([decision(zone_id, now)], [switch(zone_id, "on", now)])
    assert store.sample_runs(now + 299, 300, {zone_id: 18.2}) == 0
    assert store.sample_runs(now + 300, 300, {zone_id: 18.2}) == 1
    assert store.sample_runs(now + 599, 300, {zone_id: 18.9}) == 0
    hub.clock.advance(590)
    post_readings(hub, [(S1, now + 590, 18.8)])
    assert store.sample_runs(now + 600, 300, {}) == 1
    store.record_control([], [switch(zone_id, "off", now + 650)])
    assert store.sample_runs(now + 1200, 300, {zone_id: 19.0}) == 0
    (run,) = store.list_runs(zone_id, now, now + 1, 10)
    assert run["samples"] == [
        {"time": now + 300, "temperature": 18.2, "outdoor": None, "sensors": {S1: 18.0, S2: 18.4}},
        {"time": now + 600, "temperature": None, "outdoor": None, "sensors": {S1: 18.8, S2: 18.4}}]


def test_the_zone_and_its_outputs_get_series_from_the_record(any_hub):
    hub, store = any_hub, any_hub.raw_store
    zone_id = zone_with_equipment(hub)
    now = hub.clock.seconds()
    store.record_control([decision(zone_id, now, temperature=18.6)], [switch(zone_id, "on", now)])
    store.record_control([decision(zone_id, now + 600, temperature=19.1)], [])
    store.record_control([decision(zone_id, now + 900, "idle", 20.6, heat_cmd="off")],
                         [switch(zone_id, "off", now + 900)])
    history = store.history

    def values(field):
        data = history.query(f"zone/{zone_id}/{field}", now - 1, now + 1000, 100)
        return [(time - now, mean) for time, _, mean, _, _ in data.points]

    assert values("temperature") == [(0, 18.6), (600, 19.1), (900, 20.6)]
    assert values("action") == [(0, 1.0), (900, 0.0)]
    assert values("mode") == [(0, 1.0)]  # unchanged within the heartbeat: one point
    assert values("target") == [(0, 20.0)]
    heat = history.query("output/gpio17/state", now - 1, now + 1000, 100)
    assert [(t - now, v) for t, _, v, _, _ in heat.points] == [(0, 1.0), (900, 0.0)]


def test_old_decisions_go_but_never_the_switch_events_the_guard_needs(any_hub):
    hub, store = any_hub, any_hub.raw_store
    zone_id = zone_with_equipment(hub)
    now = hub.clock.seconds()
    old = now - 100 * DAY
    store.record_control([decision(zone_id, old + i * 600) for i in range(10)],
                         [switch(zone_id, "on", old), switch(zone_id, "off", old + 900),
                          switch(zone_id, "on", old + 1800, "cool"), switch(zone_id, "on", old + 2700)])
    store.record_control([decision(zone_id, now - 600)],
                         [switch(zone_id, "off", now - 7200), switch(zone_id, "on", now - GUARD_KEEPS_S + 60),
                          switch(zone_id, "off", now - 600)])
    guard_before = store.switch_history(now - 3600)
    removed = store.forget_control(now, decisions_keep_s=90 * DAY, runs_keep_s=None)
    assert [d["time"] for d in store.list_decisions(zone_id, 0, now, 100)] == [now - 600]
    assert store.switch_history(now - 3600) == guard_before
    with store.engine.connect() as conn:
        rows = conn.execute(switch_events.select().order_by(switch_events.c.id))
        left = [(r.function, r.state, r.time) for r in rows]
    # The old heat "on" and "off" went: a newer one of each is kept; the cool "on" is its last.
    assert left == [("cool", "on", old + 1800), ("heat", "off", now - 7200),
                    ("heat", "on", now - GUARD_KEEPS_S + 60), ("heat", "off", now - 600)]
    assert removed == 10 + 3
    assert store.forget_control(now, None, None) == 0


def test_runs_are_kept_as_long_as_the_setting_says(any_hub):
    hub, store = any_hub, any_hub.raw_store
    zone_id = zone_with_equipment(hub)
    now = hub.clock.seconds()
    store.record_control([], [switch(zone_id, "on", now - 40 * DAY), switch(zone_id, "off", now - 40 * DAY + 600),
                              switch(zone_id, "on", now - 10 * DAY)])
    store.sample_runs(now - 40 * DAY + 300, 300, {})
    assert store.forget_control(now, None, 30 * DAY) == 1
    (run,) = store.list_runs(zone_id, now - 50 * DAY, now, 10)
    assert run["start"] == now - 10 * DAY and run["end"] is None

"""A restarted hub keeps its settings and the guard's history, counts the minimum off time
from start-up, and never starts heating without a fresh valid reading."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from rpymostat.core.control.decide import FunctionState
from rpymostat.hub.control import equipment_from_history
from rpymostat.hub.store.schema import metadata
from tests.control.rig import HEAT, Rig
from tests.hubkit import POSTGRES_URL, reset_postgres

OFF = {"target": {"mode": "off"}, "until": None}
HOUR = 3600.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.skipif(
    not POSTGRES_URL, reason="RPYMOSTAT_TEST_POSTGRES_URL is not set"))])
def rig(request, tmp_path):
    if request.param == "postgres":
        reset_postgres(POSTGRES_URL)
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path / 'hub.db'}"
    r = Rig(url, settings={"min_off_s": 120, "max_starts_per_hour": 2})
    yield r
    r.close()


def relay_starts(rig):
    return [when for output_id, on, when, _ in rig.relay.events if output_id == HEAT and on]


def test_guard_history_and_settings_survive_a_restart_and_a_running_heater_keeps_its_lease(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 130)
    assert relay_starts(rig) == [t0 + 120]
    rig.restart()
    assert rig.hub.call("GET", "/v1/settings").body["min_off_s"] == 120
    heat = rig.control.equipment[1].heat
    assert heat == FunctionState(True, t0 + 120, None, (t0 + 120,))
    assert rig.control.equipment[1].hub_start == t0 + 130
    rig.feed(18.0, until=t0 + 400)
    assert rig.relay.on(HEAT) and relay_starts(rig) == [t0 + 120]  # renewed, never restarted
    # the minimum run (300 s) still counts from the start before the restart
    assert rig.hub.call("PUT", "/v1/zones/1/hold", {"target": {"mode": "heat", "heat_setpoint": 10},
                                                    "until": None}).status == 200
    rig.settle()
    assert rig.relay.on(HEAT) and "minimum run time, 20 s left" in rig.state()["reason"]
    rig.run_until(t0 + 420)
    assert not rig.relay.on(HEAT)


def test_minimum_off_time_counts_from_startup_after_a_restart(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 130)
    assert rig.hub.call("PUT", "/v1/zones/1/hold", OFF).status == 200
    rig.feed(18.0, until=t0 + 500)  # off since t0 + 130: its minimum off time is long over
    rig.restart()
    assert rig.hub.call("DELETE", "/v1/zones/1/hold").status == 204
    restart = rig.starts[-1]
    rig.feed(18.0, until=restart + 119)
    assert not rig.relay.on(HEAT) and "minimum off time after start-up" in rig.state()["reason"]
    rig.feed(18.0, until=restart + 121)
    assert relay_starts(rig)[-1] == restart + 120


def test_starts_in_the_last_hour_survive_a_restart(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 130)
    for _ in range(2):
        assert rig.hub.call("PUT", "/v1/zones/1/hold", OFF).status == 200
        rig.feed(18.0, until=rig.clock.seconds() + 10)
        assert rig.hub.call("DELETE", "/v1/zones/1/hold").status == 204
        rig.feed(18.0, until=rig.clock.seconds() + 200)
    assert len(relay_starts(rig)) == 2 and not rig.relay.on(HEAT)
    rig.restart()
    rig.feed(18.0, until=t0 + 3600 + 119)
    assert len(relay_starts(rig)) == 2 and "starts in the last hour" in rig.state()["reason"]
    rig.feed(18.0, until=t0 + 3600 + 121)
    assert relay_starts(rig)[-1] == t0 + 120 + 3600


def test_no_heat_after_a_restart_without_a_fresh_reading(rig):
    t0 = rig.starts[0]
    rig.feed(21.0, until=t0 + 200)
    rig.restart()
    restart = rig.starts[-1]
    # the reading from before the restart is 30 s old: the display shows it while it is fresh
    assert rig.state()["temperature"] == 21.0
    rig.run_until(restart + 600)
    assert relay_starts(rig) == []
    state = rig.state()
    assert state["temperature"] is None and [a["code"] for a in state["alarms"]] == ["no_temperature"]
    rig.reading(18.0)
    assert relay_starts(rig) == [restart + 600]


def test_migration_0003_builds_the_tables_schema_py_declares(rig):
    with rig.hub.raw_store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in differences if "switch_events" in repr(d) or "decisions" in repr(d)] == []


def history_row(function: str, on: bool, **times) -> dict:
    """A row of ``Store.switch_history`` for zone 1."""
    return {"zone_id": 1, "function": function, "on": on, "last_on": None, "last_on_monotonic": None,
            "last_off": None, "last_off_monotonic": None, "starts": [], "starts_monotonic": [], **times}


def test_history_maps_onto_the_guard_clock_and_times_ahead_of_the_wall_clock_count_as_now():
    """Switch events of an earlier boot carry only wall-clock times: at start-up they map
    onto the monotonic clock by how the two read then. One later than now means the wall
    clock went back while the hub was down: it counts as now, never as a later instant."""
    now, guard_now = 1_790_000_000.0, 4_000.0
    rows = [history_row("heat", False, last_on=now - 500, last_off=now - 100, starts=[now - 4000, now - 500]),
            history_row("cool", True, last_on=now + 3000, last_off=now + 2000, starts=[now + 3000])]
    (equipment,) = equipment_from_history(rows, [1], now, guard_now).values()
    assert equipment.hub_start == guard_now
    assert equipment.heat == FunctionState(False, None, guard_now - 100, (guard_now - 500,))
    assert equipment.cool == FunctionState(True, guard_now, guard_now, (guard_now,))


def test_history_of_this_boot_keeps_its_monotonic_times_and_the_latest_off_wins_on_the_guard_clock():
    """The wall clock went forward an hour since these events (their wall times look an
    hour older than they are); the monotonic times of this boot are exact, even one ahead
    of start-up (an off counted from the end of a lease), and an off of an earlier boot
    counts if it maps later."""
    now, guard_now = 1_790_000_000.0, 4_000.0
    rows = [history_row("heat", True, last_on=now - HOUR - 100, last_on_monotonic=guard_now - 100,
                        last_off=now - 50, last_off_monotonic=guard_now - 2000,
                        starts=[now - 300], starts_monotonic=[guard_now - 3000, guard_now - 100]),
            history_row("cool", False, last_off=now - 4000, last_off_monotonic=guard_now + 30)]
    (equipment,) = equipment_from_history(rows, [1], now, guard_now).values()
    assert equipment.heat == FunctionState(True, guard_now - 100, guard_now - 50,
                                           (guard_now - 3000, guard_now - 300, guard_now - 100))
    assert equipment.cool == FunctionState(False, None, guard_now + 30, ())

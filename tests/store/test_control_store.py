"""The control loop's record in the store: a write that meets a deleted zone, a database
that cannot be written, the guard's history in the order it was written, and zone ids
that are never reused."""

import pytest
from alembic import command
from sqlalchemy import event, text

from rpymostat.core.errors import Unavailable
from rpymostat.hub.store import migrate
from rpymostat.hub.store.store import Store, make_engine


def zone(store, name):
    return store.create_zone({"name": name, "default_target": {"mode": "off"}}, 1.0)["id"]


def switch(zone_id, state, time, function="heat", boot_id=None, monotonic=None):
    return {"zone_id": zone_id, "function": function, "state": state, "time": time, "reason": "decision",
            "boot_id": boot_id, "monotonic": monotonic}


def decision(zone_id, time):
    return {"zone_id": zone_id, "time": time, "action": "idle", "commands": {}, "reason": "r", "data": {}}


def test_rows_of_a_deleted_zone_are_left_out_and_the_zone_is_named(any_hub):
    store = any_hub.raw_store
    kept, gone = zone(store, "kept"), zone(store, "gone")
    store.delete_zone(gone)
    assert store.record_control([decision(gone, 5.0), decision(kept, 5.0)],
                                [switch(gone, "on", 5.0), switch(kept, "on", 5.0)]) == [gone]
    assert [d["time"] for d in store.list_decisions(kept, 0, 10, 10)] == [5.0]
    assert [(r["zone_id"], r["on"]) for r in store.switch_history(0)] == [(kept, True)]
    assert store.record_control([], []) == []


def test_the_history_follows_the_order_written_not_the_wall_clock_times(any_hub):
    """On at 1000, then the wall clock went back an hour, then off: the heat is off."""
    store = any_hub.raw_store
    zone_id = zone(store, "z")
    store.record_control([], [switch(zone_id, "on", 1000.0)])
    store.record_control([], [switch(zone_id, "off", 1000.0 - 3600 + 300)])
    (row,) = store.switch_history(0)
    assert (row["on"], row["last_on"], row["last_off"]) == (False, 1000.0, 1000.0 - 3600 + 300)
    store.record_control([], [switch(zone_id, "on", 900.0), switch(zone_id, "off", 2000.0),
                              switch(zone_id, "on", 1500.0)])
    (row,) = store.switch_history(0)
    assert (row["on"], row["last_on"], row["last_off"], row["starts"]) == (True, 1500.0, 2000.0,
                                                                           [900.0, 1000.0, 1500.0])


def test_events_of_the_boot_asked_about_come_on_their_monotonic_clock(any_hub):
    """Boot "b" began after the wall clock was set forward: its events' wall times are
    later than they should be, and only its monotonic times say how they lie."""
    store = any_hub.raw_store
    zone_id = zone(store, "z")
    store.record_control([], [
        switch(zone_id, "on", 1000.0, boot_id="a", monotonic=500.0),
        switch(zone_id, "off", 1100.0, boot_id="a", monotonic=600.0),
        switch(zone_id, "on", 1050.0, function="cool", boot_id="a", monotonic=550.0),
        switch(zone_id, "on", 1200.0),  # a hub that did not know its boot
        switch(zone_id, "off", 1300.0),
        switch(zone_id, "on", 9000.0, boot_id="b", monotonic=40.0),
        switch(zone_id, "off", 9100.0, boot_id="b", monotonic=140.0),
        switch(zone_id, "on", 9200.0, boot_id="b", monotonic=240.0),
    ])
    heat, cool = sorted(store.switch_history(1050.0, boot_id="b", monotonic_since=100.0),
                        key=lambda row: row["function"] != "heat")
    assert heat == {"zone_id": zone_id, "function": "heat", "on": True, "last_on": 9200.0, "last_on_monotonic": 240.0,
                    "last_off": 1300.0, "last_off_monotonic": 140.0, "starts": [1200.0], "starts_monotonic": [240.0]}
    assert (cool["on"], cool["last_on"], cool["last_on_monotonic"], cool["starts"]) == (True, 1050.0, None, [1050.0])
    (heat,) = [row for row in store.switch_history(1050.0) if row["function"] == "heat"]
    assert (heat["last_on_monotonic"], heat["last_off"], heat["last_off_monotonic"], heat["starts"],
            heat["starts_monotonic"]) == (None, 9100.0, None, [1200.0, 9000.0, 9200.0], [])


def test_a_database_that_cannot_be_written_is_unavailable(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.open(1.0)
    zone_id = zone(store, "z")
    store.close()

    @event.listens_for(store.engine, "connect")
    def read_only(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA query_only = ON")

    with pytest.raises(Unavailable, match="could not be written"):
        store.record_control([decision(zone_id, 5.0)], [])
    store.close()


def test_zone_ids_are_never_reused(any_hub):
    store = any_hub.raw_store
    first, second = zone(store, "a"), zone(store, "b")
    store.delete_zone(second)
    assert zone(store, "c") > second > first


def test_migration_0006_keeps_every_row_and_stops_sqlite_reusing_zone_ids(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0003")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO zones (id, name, default_target, settings, created_at, updated_at) "
                          "VALUES (1, 'a', '{}', '{}', 1, 1), (2, 'b', '{}', '{}', 1, 1)"))
        conn.execute(text("INSERT INTO rules (zone_id, kind, name, target, priority, enabled, changed_at) "
                          "VALUES (2, 'hold', 'h', '{}', 0, 1, 1)"))
        conn.execute(text("INSERT INTO switch_events (zone_id, function, state, time, reason) "
                          "VALUES (2, 'heat', 'on', 5, 'decision')"))
    engine.dispose()
    store = Store(str(engine.url))
    store.open(2.0)
    with store.engine.begin() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM rules")).scalar() == 1
        assert conn.execute(text("SELECT COUNT(*) FROM switch_events")).scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.delete_zone(2)
    assert zone(store, "c") == 3
    store.close()


def test_migration_0007_keeps_the_switch_events_with_no_boot_so_they_count_by_wall_time(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0006")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO zones (id, name, default_target, settings, created_at, updated_at) "
                          "VALUES (1, 'a', '{}', '{}', 1, 1)"))
        conn.execute(text("INSERT INTO switch_events (zone_id, function, state, time, reason) "
                          "VALUES (1, 'heat', 'on', 5, 'decision'), (1, 'heat', 'off', 65, 'decision')"))
    engine.dispose()
    store = Store(str(engine.url))
    store.open(100.0)
    (row,) = store.switch_history(0, boot_id="this-boot", monotonic_since=0)
    assert (row["last_on"], row["last_on_monotonic"], row["last_off"], row["last_off_monotonic"], row["starts"],
            row["starts_monotonic"]) == (5.0, None, 65.0, None, [5.0], [])
    store.close()

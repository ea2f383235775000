"""Migration 0009: a database of revision 0008 gains the runs tables and keeps its history;
going back to 0008 removes them and nothing else."""

from alembic import command
from sqlalchemy import inspect

from rpymostat.hub.store import migrate
from rpymostat.hub.store.store import Store, make_engine

T0 = 1_790_000_000.0


def test_0009_up_and_down(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0008")
    engine.dispose()
    store = Store(url)
    store.history.append([("sensor/s1", T0, 20.5)])
    store.open(T0)
    zone_id = store.create_zone({"name": "z", "default_target": {"mode": "off"}}, T0)["id"]
    store.record_control([], [{"zone_id": zone_id, "function": "heat", "state": "on", "time": T0,
                               "reason": "decision", "boot_id": None, "monotonic": None}])
    assert [run["start"] for run in store.list_runs(zone_id, T0 - 1, T0 + 1, 10)] == [T0]
    assert store.history.raw_points("sensor/s1", 0, 2e9) == [(T0, 20.5)]
    with store.engine.begin() as conn:
        command.downgrade(migrate._config(conn), "0008")
        tables = set(inspect(conn).get_table_names())
    assert not {"runs", "run_samples"} & tables and "history_series" in tables
    assert store.history.raw_points("sensor/s1", 0, 2e9) == [(T0, 20.5)]
    store.close()

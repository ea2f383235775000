"""The store on SQLite and, when RPYMOSTAT_TEST_POSTGRES_URL is set, on PostgreSQL."""

from sqlalchemy import inspect

from rpymostat.hub.store import migrate
from rpymostat.hub.store.store import Store
from tests.hubkit import relay_node, sensor_node


def test_restart_keeps_zones_sensors_tokens_and_settings(any_hub):
    hub = any_hub
    sensor_node(hub)
    relay_node(hub)
    zone = hub.call("POST", "/v1/zones", {"name": "Living", "sensors": ["28-000000000001"],
                                          "outputs": {"heat": "gpio17"},
                                          "default_target": {"mode": "heat", "heat_setpoint": 21}}).body
    hub.call("PATCH", "/v1/sensors/28-000000000002", {"alias": "Bedroom"})
    hub.call("PATCH", "/v1/settings", {"report_interval_s": 60, "timezone": "America/New_York"})
    phone = hub.call("POST", "/v1/tokens", {"role": "admin", "name": "phone"}).body
    hub.call("POST", "/v1/readings", {"node_id": "node-1", "readings": [
        {"sensor_id": "28-000000000001", "time": "2026-09-21T14:13:00Z", "value": 19.25}]}, token="device")
    before = {path: hub.call("GET", path).body for path in
              ("/v1/zones", "/v1/sensors", "/v1/outputs", "/v1/settings", "/v1/tokens", "/v1/nodes")}

    again = hub.restart()
    assert again.hub_id == hub.hub_id
    for path, body in before.items():
        assert again.call("GET", path).body == body, path
    assert again.call("GET", "/v1/zones", token=phone["token"]).status == 200
    assert again.call("GET", f"/v1/zones/{zone['id']}").body["outputs"] == {"heat": "gpio17"}
    assert again.call("GET", "/v1/settings").body["report_interval_s"] == 60
    again.close()


def test_readings_are_idempotent_across_batches(any_hub):
    hub = any_hub
    sensor_node(hub)
    rows = [{"sensor_id": "28-000000000001", "time": 1_790_000_000.0 + i, "value": 20 + i / 10,
             "received_at": 1_790_000_100.0} for i in range(50)]
    assert hub.raw_store.add_readings("node-1", rows[:30], 1_790_000_100.0) == 30
    assert hub.raw_store.add_reading_batches([("node-1", rows[20:], 1_790_000_100.0),
                                              ("node-1", rows[:5], 1_790_000_100.0)]) == [20, 0]
    stored = hub.raw_store.readings_for("28-000000000001", 0, 2e9)
    assert [r["time"] for r in stored] == [r["time"] for r in rows]
    assert hub.raw_store.get_sensor("28-000000000001")["last_value"] == rows[-1]["value"]


def test_migrations_are_applied_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    store = Store(url)
    first = store.open(1.0)
    assert first["first_start"]
    with store.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        tables = set(inspect(conn).get_table_names())
    assert {"zones", "sensors", "outputs", "history_series", "history_raw", "history_chunks", "history_rollups",
            "tokens", "settings", "nodes", "meta"} <= tables
    assert "readings" not in tables
    store.close()
    again = Store(url)
    assert again.open(2.0) == {**first, "first_start": False}
    again.close()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    store.open(1.0)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()

"""Rules, holds and schedule-plugin settings in the store, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from rpymostat.hub.store.schema import metadata, rules
from tests.api.schedkit import heat, zone_hub

TARGET = {"mode": "heat", "heat_setpoint": 21.0, "cool_setpoint": None, "fan": "auto",
          "sensors": [], "aggregation": "mean", "decision": None}


def record(**changes):
    return {"id": None, "zone_id": 1, "name": "evenings", "kind": "recurring",
            "cron": "0 18 * * 1-5", "duration": "PT5H", "end_cron": None, "interval": None,
            "start": None, "end": None, "target": TARGET, "priority": 0, "enabled": True,
            "changed_at": "2026-09-21T14:13:20Z", **changes}


def hold(zone_id=1, start="2026-09-21T14:13:20Z", end="2026-09-21T16:13:20Z"):
    return record(zone_id=zone_id, name="hold", kind="hold", cron=None, duration=None,
                  start=start, end=end)


@pytest.fixture
def store(any_hub):
    zone_hub(any_hub)
    return any_hub.raw_store


def test_rule_records_round_trip(store):
    made = store.create_rule(record(priority=-3, enabled=False))
    assert made == record(id=made["id"], priority=-3, enabled=False)
    assert store.get_rule(made["id"]) == made
    changed = {**made, "duration": None, "end_cron": "0 23 * * *", "changed_at": "2026-09-21T15:00:00.250Z"}
    assert store.replace_rule(changed) == changed
    assert store.list_rules() == [changed] and store.list_rules(1) == [changed]
    assert store.list_rules(2) == []
    assert store.delete_rule(made["id"]) == changed
    assert store.get_rule(made["id"]) is None
    assert store.delete_rule(made["id"]) is None
    assert store.replace_rule(changed) is None
    assert store.create_rule(record(zone_id=9)) is None


def test_ids_are_never_reused(store):
    first = store.create_rule(record())
    store.delete_rule(first["id"])
    assert store.create_rule(record())["id"] > first["id"]


def test_one_hold_per_zone(store, any_hub):
    first = store.put_hold(hold())
    second = store.put_hold(hold(end=None))
    assert [r for r in store.list_rules() if r["kind"] == "hold"] == [second]
    assert second["end"] is None and first["id"] != second["id"]
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(insert(rules).values(zone_id=1, kind="hold", name="hold", target=TARGET,
                                          priority=0, enabled=True, changed_at=0.0))
    assert store.put_hold(hold(zone_id=9)) is None
    assert store.delete_hold(1) is True and store.delete_hold(1) is False


def test_expired_holds_are_deleted_only_when_asked(store):
    store.create_rule(record())
    store.put_hold(hold())
    assert store.delete_expired_holds(1_790_007_199.0) == 0
    assert store.delete_expired_holds(1_790_007_200.0) == 1
    assert [r["kind"] for r in store.list_rules()] == ["recurring"]


def test_schedule_plugin_settings(store):
    assert store.schedule_plugins(1) == []
    uses = [{"name": "eco", "settings": {"offset": 1.5}}, {"name": "calendar", "settings": {}}]
    assert store.put_schedule_plugins(1, uses) is True
    assert store.schedule_plugins(1) == uses
    assert store.put_schedule_plugins(1, []) is True and store.schedule_plugins(1) == []
    assert store.put_schedule_plugins(9, uses) is False


def test_deleting_a_zone_cascades_to_its_rules_holds_and_plugins(store, any_hub):
    any_hub.call("POST", "/v1/zones", {"name": "Bedroom"})
    store.create_rule(record())
    kept = store.create_rule(record(zone_id=2))
    store.put_hold(hold())
    store.put_schedule_plugins(1, [{"name": "eco", "settings": {}}])
    assert any_hub.call("DELETE", "/v1/zones/1").status == 204
    assert store.list_rules() == [kept]
    assert store.schedule_plugins(1) == []


def test_rules_and_holds_survive_a_restart(any_hub):
    hub = zone_hub(any_hub)
    hub.call("POST", "/v1/rules", {"zone_id": 1, "name": "away", "kind": "once",
                                   "interval": "2026-12-21T00:00/PT36H", "target": heat(12)})
    hub.call("PUT", "/v1/zones/1/hold", {"target": heat(23), "until": "next"})
    before = hub.call("GET", "/v1/rules").body["rules"]
    state = hub.call("GET", "/v1/zones/1/state").body
    again = hub.restart()
    assert again.call("GET", "/v1/rules").body["rules"] == before
    assert again.call("GET", "/v1/zones/1/state").body == state
    again.close()


def test_migrations_build_the_tables_schema_py_declares(any_hub):
    """The migrations are written by hand, and a fresh database is built from schema.py
    instead: migrating a database from nothing must give exactly the same tables."""
    from sqlalchemy import create_engine

    from rpymostat.hub.store import migrate
    from tests.hubkit import POSTGRES_URL, reset_postgres

    url = any_hub.url
    any_hub.close()
    if url.startswith("sqlite"):
        url = url.replace("hub.db", "migrated.db")
    else:
        reset_postgres(POSTGRES_URL)
    engine = create_engine(url)
    migrate.run_migrations(engine)
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert differences == []

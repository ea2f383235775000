"""Migration 0008: a database of revision 0007 with readings keeps them, in the history store."""

import pytest
from alembic import command
from sqlalchemy import inspect, text

from rpymostat.hub.store import migrate
from rpymostat.hub.store.store import Store, make_engine
from tests.history.conftest import T0


@pytest.fixture
def old_database(database_url):
    """A database at revision 0007 holding two sensors' readings (two days and a bit)."""
    engine = make_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0007")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO nodes (id, kind, name, registered_at, last_seen) "
                          "VALUES ('node-1', 'sensor', 'n', 1, 1)"))
        conn.execute(text("INSERT INTO sensors (id, node_id, type, name, created_at) VALUES "
                          "('28-a', 'node-1', 'DS18B20', 'a', 1), ('28-b', 'node-1', 'DS18B20', 'b', 1)"))
        conn.execute(text("INSERT INTO readings (sensor_id, time, value, received_at) VALUES (:s, :t, :v, :t)"),
                     [{"s": sensor, "t": T0 + 60 * i, "v": 18 + i % 100 / 16}
                      for sensor in ("28-a", "28-b") for i in range(3000)])
    engine.dispose()
    return database_url


def test_readings_move_into_the_history_store_and_the_readings_table_goes(old_database):
    store = Store(old_database)
    store.open(T0 + 3 * 86400)
    with store.engine.connect() as conn:
        assert "readings" not in inspect(conn).get_table_names()
    history = store.history
    assert history.series_names() == ["sensor/28-a", "sensor/28-b"]
    expected = [(T0 + 60 * i, round(18 + i % 100 / 16 + 1e-9, 2)) for i in range(3000)]
    assert history.raw_points("sensor/28-b", 0, 2e9) == expected
    assert store.readings_for("28-a", T0, T0 + 120) == [{"time": T0, "value": 18.0},
                                                         {"time": T0 + 60, "value": 18.06}]
    hours = history.query("sensor/28-a", T0, T0 + 3000 * 60, 60)
    assert hours.resolution == "1h" and [p[4] for p in hours.points] == [60] * 50
    assert hours.points[0][1:4] == pytest.approx((18.0, sum(v for _, v in expected[:60]) / 60, 21.69))
    while history.compact_step(T0 + 3 * 86400, 1000):
        pass
    assert history.raw_points("sensor/28-b", 0, 2e9) == expected
    assert history.append([("sensor/28-a", T0 + 60, 30.0)]) == 0, "a migrated reading is not stored twice"
    store.close()


def test_downgrade_to_0007_gives_the_readings_back(old_database):
    store = Store(old_database)
    store.open(T0 + 3 * 86400)
    store.history.compact_step(T0 + 3 * 86400, 1000)
    with store.engine.connect() as conn:
        with conn.begin():
            command.downgrade(migrate._config(conn), "0007")
        back = conn.execute(text("SELECT sensor_id, time, value FROM readings ORDER BY sensor_id, time")).all()
        assert not {"history_series", "history_raw", "history_chunks", "history_rollups"} & set(
            inspect(conn).get_table_names())
    store.close()
    assert len(back) == 6000
    assert tuple(back[1]) == ("28-a", T0 + 60, 18.06)

"""A history store on SQLite and, when RPYMOSTAT_TEST_POSTGRES_URL is set, on PostgreSQL."""

import pytest
from sqlalchemy import func, select

from rpymostat.hub.store.store import Store
from tests.hubkit import POSTGRES_URL, backends, reset_postgres

T0 = 1_790_035_200.0  # 2026-09-22 00:00 UTC, the start of a day (and of a chunk)


@pytest.fixture(params=list(backends()))
def database_url(request, tmp_path):
    """An empty database: a SQLite file, or the test PostgreSQL database emptied."""
    if request.param == "postgres":
        reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path / 'hub.db'}"


@pytest.fixture
def store(database_url):
    s = Store(database_url)
    s.open(T0)
    yield s
    s.close()


@pytest.fixture
def history(store):
    return store.history


def count_rows(history, table) -> int:
    with history.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()

import pytest

from tests.hubkit import POSTGRES_URL, Hub, reset_postgres


def _backends():
    yield pytest.param("sqlite", id="sqlite")
    yield pytest.param("postgres", id="postgres", marks=pytest.mark.skipif(
        not POSTGRES_URL, reason="RPYMOSTAT_TEST_POSTGRES_URL is not set"))


@pytest.fixture(params=list(_backends()))
def any_hub(request, tmp_path):
    if request.param == "postgres":
        reset_postgres(POSTGRES_URL)
        h = Hub(POSTGRES_URL)
    else:
        h = Hub(f"sqlite:///{tmp_path / 'hub.db'}")
    yield h
    h.close()

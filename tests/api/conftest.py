import pytest

from tests.hubkit import POSTGRES_URL, Hub, backends, reset_postgres


@pytest.fixture(params=list(backends()))
def any_hub(request, tmp_path):
    if request.param == "postgres":
        reset_postgres(POSTGRES_URL)
        h = Hub(POSTGRES_URL)
    else:
        h = Hub(f"sqlite:///{tmp_path / 'hub.db'}")
    yield h
    h.close()

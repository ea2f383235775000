import pytest
from twisted.logger import formatEvent, globalLogPublisher

from tests.hubkit import Hub


@pytest.fixture
def hub(tmp_path):
    h = Hub(f"sqlite:///{tmp_path / 'hub.db'}")
    yield h
    h.close()


@pytest.fixture
def caplog_twisted():
    """The text of every Twisted log event while the test runs."""
    lines: list[str] = []

    def observe(event):
        lines.append(formatEvent(event))

    globalLogPublisher.addObserver(observe)
    yield lines
    globalLogPublisher.removeObserver(observe)

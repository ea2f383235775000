import pytest
from twisted.logger import formatEvent, globalLogPublisher


@pytest.fixture
def caplog_twisted():
    """The text of every Twisted log event while the test runs."""
    lines: list[str] = []

    def observe(event):
        lines.append(formatEvent(event))

    globalLogPublisher.addObserver(observe)
    yield lines
    globalLogPublisher.removeObserver(observe)

import pytest
from twisted.internet.task import Clock

from tests.api.conftest import hub  # noqa: F401  (the in-memory hub, for the resource tests)


@pytest.fixture
def clock():
    return Clock()

"""Shared test settings: the asyncio reactor (installed before any test module can
import the default one), hypothesis profiles (CI runs the long ones), the check that
fails a test on an error it logs without expecting it (tests/logcheck.py), and the
in-memory hub most node tests talk to."""

import os

from twisted.internet import asyncioreactor

try:
    asyncioreactor.install()
except Exception:  # already installed: pytest-twisted checks that it is the asyncio one
    pass

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester", "tests.logcheck"]

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def hub(tmp_path):
    """The hub on SQLite, in memory and on a Clock (tests/hubkit.py)."""
    from tests.hubkit import Hub

    hub = Hub(f"sqlite:///{tmp_path / 'hub.db'}")
    yield hub
    hub.close()

"""Shared test settings: the asyncio reactor (installed before any test module can
import the default one) and hypothesis profiles (CI runs the long ones)."""

import os

from twisted.internet import asyncioreactor

try:
    asyncioreactor.install()
except Exception:  # already installed: pytest-twisted checks that it is the asyncio one
    pass

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

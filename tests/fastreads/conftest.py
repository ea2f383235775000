"""The API tests' hubs (tests/api/conftest.py)."""

from tests.api.conftest import hub  # noqa: F401

from tests.api.conftest import any_hub, hub  # noqa: F401  (shared fixtures)

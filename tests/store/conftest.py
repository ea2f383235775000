from tests.api.conftest import any_hub  # noqa: F401  (shared fixture)

"""The fast validation path never accepts a body that jsonschema (the authority) refuses,
the API's own formats included."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rpymostat.hub.api.app import HubAPI
from rpymostat.hub.api.formats import FORMATS
from rpymostat.web.routing import Validators
from tests.api.test_auth_and_input import MUTATING, VALID, json_values

DOCUMENT = HubAPI.build_openapi()
VALIDATORS = Validators(DOCUMENT, FORMATS)
# Values on both sides of the formats' lines: times without offset, out of range or with a
# leap second, durations of zero or in years, crons that never fire, unknown time zones.
FORMAT_EDGES = ["2026-09-21T14:13:00", "2026-09-21T14:13:00+01:00", "1969-12-31T23:59:59Z",
                "9999-12-31T23:59:59-01:00", "2026-06-30T23:59:60Z", "2026-09-21 14:13Z", "PT0S",
                "P1Y", "P31D", "P32D", "PT2H", "next", "0 0 31 2 *", "*/5 * * * *", "0 18 * * 1-5",
                "UTC", "Europe/Paris", "Mars/Olympus", "2026-12-21T00:00/PT36H",
                "2026-12-21T00:00/2026-12-20T00:00", "PT1H/PT2H"]


def mutations(base: dict):
    keys = sorted(base)
    leaf = st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False,
                                                                                allow_infinity=False) \
        | st.text(max_size=30) | st.sampled_from(["heat", "on", "2026-09-21T14:13:00Z", "28-0316a2795aff",
                                                 *FORMAT_EDGES])
    return st.one_of(
        json_values,
        st.dictionaries(st.sampled_from(keys + ["extra"]), leaf | json_values, max_size=len(keys) + 1)
        .map(lambda changes: {**base, **changes}),
        st.sampled_from(keys).map(lambda k: {key: v for key, v in base.items() if key != k}),
    )


@pytest.mark.parametrize("op", MUTATING, ids=lambda op: op.name)
def test_fast_path_agrees_with_jsonschema(op):
    authority = VALIDATORS.for_schema(op.body)

    @settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
    @given(body=mutations(VALID[op.name]))
    def check(body):
        if VALIDATORS._accepts_fast(op.body, body):
            assert authority.is_valid(body), body

    check()


def test_fast_path_does_not_fill_in_defaults():
    body = {"name": "Bedroom", "default_target": {"mode": "heat", "heat_setpoint": 19}}
    before = repr(body)
    VALIDATORS.check("ZoneCreate", body)
    assert repr(body) == before

"""The API's own formats: each check says why a value is refused (a ValueError) and never
fails otherwise, whatever it is given; the hub answers such values with a 422."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rpymostat.hub.api.formats import FORMATS, INSTANT, TARGET, problem

TEXTS = (st.text(st.sampled_from(list("0123456789PTYMWDHS/:+-.,*LW#?Z zT")), max_size=40)
         | st.text(max_size=20)
         | st.from_regex(r"PT?[0-9]{1,25}[DWHMS]", fullmatch=True)
         | st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(/P[0-9]{1,12}D)?", fullmatch=True))
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner,
                                                                                max_size=4), max_leaves=8)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_a_format_refuses_with_a_reason_and_never_fails(name):
    kind = FORMATS[name].kind
    values = TEXTS if kind is str else st.lists(JSON, max_size=4) if kind is list else st.dictionaries(
        st.sampled_from(["mode", "heat_setpoint", "cool_setpoint", "sensors", "heat", "cool", "x"]), JSON)

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(values)
    def check(value):
        reason = problem(name, value)
        assert reason is None or (isinstance(reason, str) and reason)

    check()


def test_a_target_in_auto_needs_half_a_degree_between_its_setpoints():
    assert problem(TARGET, {"mode": "auto", "heat_setpoint": 20, "cool_setpoint": 20.4}) == \
        "in auto mode cool_setpoint must be at least 0.5 °C above heat_setpoint"
    assert problem(TARGET, {"mode": "auto", "heat_setpoint": 20, "cool_setpoint": 20.5}) is None
    assert problem(TARGET, {"mode": "heat", "sensors": [{"sensor_id": {}}]}) is None  # the schema's to say


@pytest.mark.parametrize("text, ok", [
    ("2026-09-21T14:13:00Z", True), ("2026-09-21T16:13:00.250+02:00", True), ("2026-09-21T14:13:00", False),
    ("1970-01-01T00:00:00Z", True), ("1969-12-31T23:59:59Z", False), ("8999-12-31T23:59:59Z", True),
    ("9999-12-31T23:59:59-01:00", False), ("0001-01-01T00:00:00+01:00", False), ("2026-06-30T23:59:60Z", False),
])
def test_instants_are_what_the_hub_parses_within_its_range(text, ok):
    assert (problem(INSTANT, text) is None) is ok


def test_an_overlong_duration_is_refused_with_422_not_a_server_error(hub):
    rule = {"zone_id": 1, "name": "long", "kind": "recurring", "cron": "0 18 * * *",
            "duration": "PT48956062810605H", "target": {"mode": "heat", "heat_setpoint": 20}}
    assert hub.call("POST", "/v1/zones", {"name": "Living"}).status == 201
    before = hub.dump()
    reply = hub.call("POST", "/v1/rules", rule)
    assert reply.status == 422 and reply.body["error"]["details"][0]["path"] == "/duration"
    reply = hub.call("PUT", "/v1/zones/1/hold", {"target": {"mode": "off"}, "until": "P1181121378775767613322636D"})
    assert reply.status == 422 and "P36525D" in reply.body["error"]["message"]
    assert hub.dump() == before

"""Every route: 401 without a token, 403 for a device on admin routes, and bad input
refused with a 4xx JSON error that leaves the database as it was."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rpymostat.hub.api.app import HubAPI
from rpymostat.hub.login import new_login_code
from tests.hubkit import ENROLLMENT_KEY, relay_node, sensor_node

OPERATIONS = HubAPI.routes.operations
SAMPLE_PARAMS = {"node_id": "node-1", "sensor_id": "28-000000000001", "output_id": "gpio17",
                 "zone_id": 1, "token_id": 1, "rule_id": 1}


def concrete(path):
    return re.sub(r"\{(\w+)\}", lambda m: str(SAMPLE_PARAMS[m.group(1)]), path)


def ids(op):
    return f"{op.method} {op.path}"


LOGIN_CODE = "a-sign-in-code-of-22ch"


@pytest.fixture
def seeded(hub, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr("rpymostat.hub.login.secrets.token_urlsafe", lambda n: LOGIN_CODE)
        new_login_code(hub.raw_store, hub.clock.seconds())
    sensor_node(hub)
    relay_node(hub)
    assert hub.call("POST", "/v1/zones", {"name": "Living"}).status == 201
    assert hub.call("POST", "/v1/rules", RULE).status == 201
    return hub


@pytest.mark.parametrize("op", [o for o in OPERATIONS if o.role is not None], ids=ids)
def test_every_route_but_health_needs_a_token(seeded, op):
    before = seeded.dump()
    for token in (None, "not-a-token"):
        reply = seeded.call(op.method, concrete(op.path), VALID.get(op.name), token=token)
        assert reply.status == 401, reply.body
        assert reply.error == "unauthorized"
    assert seeded.dump() == before


@pytest.mark.parametrize("op", [o for o in OPERATIONS if o.role == "admin"], ids=ids)
def test_device_tokens_are_refused_on_admin_routes(seeded, op):
    before = seeded.dump()
    reply = seeded.call(op.method, concrete(op.path), VALID.get(op.name), token="device")
    assert reply.status == 403 and reply.error == "forbidden"
    assert seeded.dump() == before


def test_enrollment_key_is_only_good_for_enrolling(seeded):
    reply = seeded.call("POST", "/v1/enroll", {"node_id": "node-9"}, token=ENROLLMENT_KEY)
    assert reply.status == 201 and reply.body["hub_id"] == seeded.hub_id
    assert seeded.call("GET", "/v1/zones", token=ENROLLMENT_KEY).status == 401
    device = reply.body["token"]
    # the new device token speaks for node-9 only
    assert seeded.call("POST", "/v1/nodes", {"node_id": "node-9", "kind": "sensor"}, token=device).status == 200
    other = seeded.call("POST", "/v1/nodes", {"node_id": "node-1", "kind": "sensor"}, token=device)
    assert other.status == 403
    assert seeded.call("GET", "/v1/zones", token=device).status == 403
    assert seeded.call("POST", "/v1/enroll", {"node_id": "x"}, token=seeded.admin_token).status == 401


def test_revoked_token_stops_working(seeded):
    made = seeded.call("POST", "/v1/tokens", {"role": "admin", "name": "phone"})
    assert made.status == 201
    token = made.body["token"]
    assert seeded.call("GET", "/v1/zones", token=token).status == 200
    assert seeded.call("DELETE", f"/v1/tokens/{made.body['id']}").status == 204
    assert seeded.call("GET", "/v1/zones", token=token).status == 401
    listed = seeded.call("GET", "/v1/tokens").body["tokens"]
    assert all("token" not in t for t in listed)
    assert [t["revoked"] is not None for t in listed if t["id"] == made.body["id"]] == [True]


def test_last_admin_token_cannot_be_revoked(hub):
    reply = hub.call("DELETE", "/v1/tokens/1")
    assert reply.status == 409
    assert hub.call("GET", "/v1/zones").status == 200


def test_token_made_outside_the_hub_is_honoured(hub):
    _, plain = hub.raw_store.create_token("admin", "cli", hub.clock.seconds())
    assert hub.call("GET", "/v1/zones", token=plain).status == 200


# -- bad input ---------------------------------------------------------------

RULE = {"zone_id": 1, "name": "evenings", "kind": "recurring", "cron": "0 18 * * 1-5",
        "duration": "PT5H", "target": {"mode": "heat", "heat_setpoint": 21}}
HEAT = {"mode": "heat", "heat_setpoint": 21}

VALID = {
    "enroll": {"node_id": "node-7"},
    "register_node": {"node_id": "node-1", "kind": "sensor", "sensors": [{"sensor_id": "28-000000000001"}]},
    "patch_sensor": {"alias": "Sofa"},
    "post_readings": {"node_id": "node-1", "readings": [
        {"sensor_id": "28-000000000001", "time": "2026-09-21T14:13:00Z", "value": 20.5}]},
    "patch_output": {"alias": "Boiler"},
    "report_output_state": {"state": "on", "time": "2026-09-21T14:13:00Z", "reason": "command"},
    "create_zone": {"name": "Bedroom", "default_target": {"mode": "heat", "heat_setpoint": 19}},
    "patch_zone": {"name": "Lounge"},
    "patch_settings": {"deadband": 0.4},
    "create_token": {"role": "device", "name": "spare", "node_id": "node-9"},
    "create_rule": {**RULE, "name": "weekends", "cron": "0 8 * * 6,7"},
    "patch_rule": {"priority": 5},
    "put_hold": {"target": HEAT, "until": "PT2H"},
    "put_schedule_plugins": {"plugins": []},
    "login": {"code": LOGIN_CODE, "name": "Firefox on Android"},
}

OUT_OF_RANGE = {
    "enroll": [{"node_id": "bad id with spaces"}, {"node_id": "x" * 200}],
    "register_node": [{"node_id": "node-1", "kind": "toaster"},
                      {"node_id": "node-1", "kind": "relay", "url": "ftp://x"},
                      {"node_id": "node-1", "kind": "relay"},
                      {"node_id": "node-1", "kind": "sensor", "sensors": [{"sensor_id": "a"}, {"sensor_id": "a"}]}],
    "patch_sensor": [{"zone_id": 0}, {"zone_id": 2**40}, {"zone_id": 99}, {"alias": ""}, {}],
    "post_readings": [{"node_id": "node-1", "readings": []},
                      {"node_id": "node-1", "readings": [{"sensor_id": "28-000000000001",
                                                          "time": "2026-09-21T14:13:00Z", "value": 1e6}]},
                      {"node_id": "node-1", "readings": [{"sensor_id": "28-000000000001",
                                                          "time": "yesterday", "value": 20}]},
                      {"node_id": "node-1", "readings": [{"sensor_id": "28-000000000001",
                                                          "time": "2026-09-21T14:13:00", "value": 20}]},
                      {"node_id": "node-1", "readings": [{"sensor_id": "28-000000000001",
                                                          "time": "2026-09-21T14:13:00Z", "value": 20}] * 5001},
                      {"node_id": "node-404", "readings": [{"sensor_id": "28-000000000001",
                                                            "time": "2026-09-21T14:13:00Z", "value": 20}]}],
    "patch_output": [{"function": "boil"}, {"zone_id": -1}, {"zone_id": 99}],
    "report_output_state": [{"state": "half"}, {"state": "on", "time": "noon"}, {"state": "on", "reason": "x"}],
    "create_zone": [{"name": "Bedroom", "default_target": {"mode": "heat", "heat_setpoint": 99}},
                    {"name": "Bedroom", "default_target": {"mode": "heat", "heat_setpoint": 4.9}},
                    {"name": "Bedroom", "default_target": {"mode": "auto", "heat_setpoint": 21,
                                                           "cool_setpoint": 21.2}},
                    {"name": "Bedroom", "default_target": {"mode": "heat"}},
                    {"name": "Bedroom", "default_target": {"mode": "sauna", "heat_setpoint": 20}},
                    {"name": "Bedroom", "sensors": ["28-404404404404"]},
                    {"name": "Bedroom", "outputs": {"heat": "gpio404"}},
                    {"name": "Bedroom", "outputs": {"heat": "gpio17", "cool": "gpio17"}},
                    {"name": "Bedroom", "default_target": {"mode": "heat", "heat_setpoint": 20,
                                                           "sensors": [{"sensor_id": "28-404404404404"}]}},
                    {"name": "Bedroom", "settings": {"min_off_s": 5}},
                    {"name": ""}, {"name": "Living"}],
    "patch_zone": [{"settings": {"deadband": 50}}, {"default_target": {"mode": "cool", "cool_setpoint": 36}},
                   {"sensors": ["nope-1"]}, {}],
    "patch_settings": [{"deadband": 100}, {"min_off_s": 10}, {"control_interval_s": 0},
                       {"timezone": "Nowhere/Land"}, {"units": "K"}, {"lease_s": 1.5}, {}],
    "create_token": [{"role": "root"}, {"role": "admin", "node_id": "node-1"}, {"name": "x"},
                     {"role": "device", "name": "unbound"}],
    "create_rule": [{**RULE, "cron": "61 18 * * *"}, {**RULE, "cron": "0 18 * *"},
                    {**RULE, "cron": "0 18 * * * 2027"}, {**RULE, "duration": "P40D"},
                    {**RULE, "duration": "PT0S"}, {**RULE, "duration": "P1M"},
                    {k: v for k, v in RULE.items() if k != "duration"},
                    {**RULE, "end_cron": "0 7 * * *"},
                    {**RULE, "kind": "once", "interval": "2026-12-28T00:00/2026-12-21T00:00"},
                    {**RULE, "kind": "once", "interval": "2026-12-21T00:00/P"},
                    {**RULE, "kind": "hold"},
                    {**RULE, "target": {"mode": "heat", "heat_setpoint": 35.5}},
                    {**RULE, "target": {"mode": "cool", "cool_setpoint": 4}},
                    {**RULE, "target": {"mode": "auto", "heat_setpoint": 21, "cool_setpoint": 21.4}},
                    {**RULE, "target": {**HEAT, "sensors": [{"sensor_id": "28-404404404404"}]}},
                    {**RULE, "zone_id": 99}, {**RULE, "zone_id": 0}, {**RULE, "zone_id": 2**40},
                    {**RULE, "priority": 101}, {**RULE, "name": ""}],
    "patch_rule": [{"cron": "every day"}, {"duration": None}, {"kind": "once"}, {"zone_id": 1},
                   {"interval": "2026-12-21T00:00/PT1H"}, {"priority": -101},
                   {"target": {"mode": "heat", "heat_setpoint": 99}},
                   {"target": {**HEAT, "sensors": [{"sensor_id": "28-404404404404"}]}}, {}],
    "put_hold": [{"target": HEAT}, {"target": HEAT, "until": "2020-01-01T00:00:00Z"},
                 {"target": HEAT, "until": "tomorrow"}, {"target": HEAT, "until": "P1M"},
                 {"target": HEAT, "until": ""},
                 {"target": {"mode": "heat", "heat_setpoint": 4}, "until": None},
                 {"target": {"mode": "auto", "heat_setpoint": 22, "cool_setpoint": 22}, "until": None},
                 {"target": {**HEAT, "sensors": [{"sensor_id": "28-404404404404"}]}, "until": None}],
    "put_schedule_plugins": [{"plugins": [{"name": "not-installed"}]}, {"plugins": [{"name": ""}]},
                             {"plugins": [{"name": "x"}] * 17}, {}],
    "login": [{"code": "short"}, {"code": "x" * 65}, {"code": "spaces are not in codes"},
              {"code": LOGIN_CODE, "name": ""}, {"name": "phone"}, {}],
}

MUTATING = [o for o in OPERATIONS if o.body]


def test_every_mutating_route_has_cases():
    assert {o.name for o in MUTATING} == set(VALID) == set(OUT_OF_RANGE)


def refuse(hub, op, *, body=None, raw=None, codes=(400, 404, 409, 413, 422)):
    token = ENROLLMENT_KEY if op.role == "enrollment" else "admin"
    before = hub.dump()
    reply = hub.call(op.method, concrete(op.path), body, raw=raw, token=token)
    assert reply.status in codes, (op.name, body if raw is None else raw[:80], reply.status, reply.body)
    assert isinstance(reply.body, dict) and set(reply.body["error"]) >= {"code", "message"}
    assert hub.dump() == before, f"{op.name} changed the database on a refused request"
    return reply


@pytest.mark.parametrize("op", MUTATING, ids=ids)
def test_malformed_json_is_400(seeded, op):
    for raw in (b'{"name": ', b"", b"{'single': 'quotes'}", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000):
        if len(raw) > op.max_body:
            continue
        assert refuse(seeded, op, raw=raw, codes=(400,)).error == "malformed"


@pytest.mark.parametrize("op", MUTATING, ids=ids)
def test_nan_and_infinity_are_400(seeded, op):
    for constant in (b"NaN", b"Infinity", b"-Infinity", b"1e400"):
        key = next(iter(VALID[op.name]))
        raw = json.dumps(VALID[op.name]).replace(f'"{key}": ', f'"{key}": {constant.decode()}, "_": ', 1)
        refuse(seeded, op, raw=raw.encode(), codes=(400,))
        refuse(seeded, op, raw=b'{"x": ' + constant + b"}", codes=(400,))


@pytest.mark.parametrize("op", MUTATING, ids=ids)
def test_wrong_types_and_unknown_fields_are_422(seeded, op):
    for body in ([], "text", 42, None, True, {**VALID[op.name], "surprise": 1}):
        raw = json.dumps(body).encode()
        assert refuse(seeded, op, raw=raw, codes=(422,)).error == "invalid"
    for key, value in VALID[op.name].items():
        for wrong in ([1], {"a": 1}, True):
            if type(wrong) is type(value):
                continue
            refuse(seeded, op, body={**VALID[op.name], key: wrong}, codes=(422,))


@pytest.mark.parametrize("op", MUTATING, ids=ids)
def test_oversized_bodies_are_413(seeded, op):
    padding = "x" * (op.max_body + 1)
    reply = refuse(seeded, op, raw=json.dumps({"pad": padding}).encode(), codes=(413,))
    assert reply.error == "too_large"


@pytest.mark.parametrize("op", MUTATING, ids=ids)
def test_out_of_range_values_are_refused(seeded, op):
    for body in OUT_OF_RANGE[op.name]:
        refuse(seeded, op, body=body)


@pytest.mark.parametrize("op", MUTATING, ids=ids)
def test_valid_bodies_are_accepted(seeded, op):
    token = ENROLLMENT_KEY if op.role == "enrollment" else "admin"
    reply = seeded.call(op.method, concrete(op.path), VALID[op.name], token=token)
    assert reply.status == op.status, reply.body


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


@pytest.mark.parametrize("op", MUTATING, ids=ids)
def test_arbitrary_json_never_gives_5xx(seeded, op):
    token = ENROLLMENT_KEY if op.role == "enrollment" else "admin"

    @settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
    @given(body=json_values, base=st.booleans())
    def check(body, base):
        if base and isinstance(body, dict):
            body = {**VALID[op.name], **body}
        reply = seeded.call(op.method, concrete(op.path), raw=json.dumps(body).encode(), token=token)
        assert reply.status < 500, reply.body
        assert isinstance(reply.body, dict) or reply.status == 204

    check()

"""Node identity at the hub (SQLite and PostgreSQL): a device token speaks for one node,
a node's sensor and output ids are its own until an admin moves them, a node enrolls
once unless an admin allows another enrollment, and a relay's command token is random,
its own, and replaced by a re-enrollment."""

from __future__ import annotations

from sqlalchemy import insert

from rpymostat.hub.store.schema import tokens
from rpymostat.hub.tokens import hash_token
from tests.hubkit import ENROLLMENT_KEY, relay_node, sensor_node

S1, S2, S3 = "28-000000000001", "28-000000000002", "28-000000000003"
DAY = 24 * 3600


def reading(node_id: str, sensor_id: str, value: float = 20.5) -> dict:
    return {"node_id": node_id, "readings": [
        {"sensor_id": sensor_id, "time": "2026-09-21T14:13:00Z", "value": value}]}


def enroll(hub, node_id: str):
    return hub.call("POST", "/v1/enroll", {"node_id": node_id}, token=ENROLLMENT_KEY)


def unbound_device_token(hub) -> str:
    """A device token bound to no node, as this hub's API and CLI made before."""
    plain = "an-unbound-device-token-from-an-older-hub"
    with hub.raw_store.engine.begin() as conn:
        conn.execute(insert(tokens).values(name="old", role="device", token_hash=hash_token(plain),
                                           node_id=None, created_at=hub.clock.seconds()))
    return plain


# -- a device token speaks for its own node only ---------------------------------------

def test_an_unbound_device_token_speaks_for_no_node(any_hub):
    sensor_node(any_hub, "node-1", sensors=(S1,))
    relay_node(any_hub, "relay-1")
    token = unbound_device_token(any_hub)
    before = any_hub.dump()
    readings = any_hub.call("POST", "/v1/readings", reading("node-1", S1), token=token)
    assert readings.status == 403 and readings.error == "forbidden"
    registered = any_hub.call("POST", "/v1/nodes", {"node_id": "relay-1", "kind": "relay",
                                                    "url": "http://10.0.0.66:8574/"}, token=token)
    assert registered.status == 403 and "command_token" not in registered.body
    state = any_hub.call("PUT", "/v1/outputs/gpio17/state", {"state": "on"}, token=token)
    assert state.status == 403
    assert any_hub.dump() == before


def test_a_node_cannot_post_readings_for_another_nodes_sensor(any_hub):
    sensor_node(any_hub, "node-1", sensors=(S1,))
    sensor_node(any_hub, "node-2", sensors=(S2,))
    before = any_hub.dump()
    as_other = any_hub.call("POST", "/v1/readings", reading("node-1", S1), token="node:node-2")
    assert as_other.status == 403 and "node-2" in as_other.body["error"]["message"]
    own_name = any_hub.call("POST", "/v1/readings", reading("node-2", S1), token="node:node-2")
    assert own_name.status == 202 and own_name.body["accepted"] == 0
    assert own_name.body["errors"] == [{"index": 0, "sensor_id": S1, "reason": "unknown_sensor"}]
    assert any_hub.dump() == before


def test_an_unbound_device_token_cannot_be_made(any_hub):
    before = any_hub.dump()
    reply = any_hub.call("POST", "/v1/tokens", {"role": "device", "name": "spare"})
    assert reply.status == 422 and "node_id" in reply.body["error"]["message"]
    assert any_hub.dump() == before
    made = any_hub.call("POST", "/v1/tokens", {"role": "device", "node_id": "node-9"})
    assert made.status == 201 and made.body["node_id"] == "node-9"
    schema = any_hub.call("GET", "/v1/openapi.json").body["components"]["schemas"]
    assert schema["DeviceTokenCreate"]["required"] == ["role", "node_id"]


# -- enrollment ------------------------------------------------------------------------

def test_enrolling_a_known_node_id_is_refused(any_hub):
    relay_node(any_hub, "relay-1")  # registered
    assert enroll(any_hub, "pi-1").status == 201  # enrolled, not registered yet
    before = any_hub.dump()
    for node_id in ("relay-1", "pi-1"):
        reply = enroll(any_hub, node_id)
        assert reply.status == 409 and reply.error == "conflict"
        assert f"rpymostat node re-enroll {node_id}" in reply.body["error"]["message"]
    assert any_hub.dump() == before


def test_a_node_forgotten_by_an_admin_enrolls_anew(any_hub):
    sensor_node(any_hub, "node-1", sensors=(S1,))
    assert any_hub.call("DELETE", "/v1/nodes/node-1").status == 204
    assert enroll(any_hub, "node-1").status == 201


def test_an_admin_allows_one_re_enrollment_and_the_old_token_stops_at_once(any_hub):
    sensor_node(any_hub, "node-1", sensors=(S1,))
    old = any_hub.node_token("node-1")
    allowed = any_hub.call("POST", "/v1/nodes/node-1/re-enroll")
    assert allowed.status == 200
    assert allowed.body == {"node_id": "node-1", "allowed": "2026-09-21T14:13:20Z",
                            "expires": "2026-09-22T14:13:20Z", "revoked_tokens": 1}
    assert any_hub.call("POST", "/v1/readings", reading("node-1", S1), token=old).status == 401
    again = enroll(any_hub, "node-1")
    assert again.status == 201
    assert any_hub.call("POST", "/v1/readings", reading("node-1", S1), token=again.body["token"]).status == 202
    assert enroll(any_hub, "node-1").status == 409, "one enrollment per permission"


def test_a_re_enrollment_permission_expires(any_hub):
    sensor_node(any_hub, "node-1", sensors=(S1,))
    assert any_hub.call("POST", "/v1/nodes/node-1/re-enroll").status == 200
    assert any_hub.call("POST", "/v1/nodes/node-1/re-enroll").body["revoked_tokens"] == 0
    any_hub.clock.advance(DAY)
    assert enroll(any_hub, "node-1").status == 409


def test_re_enrollment_is_for_known_nodes_and_admins(any_hub):
    sensor_node(any_hub, "node-1", sensors=(S1,))
    unknown = any_hub.call("POST", "/v1/nodes/pi-9/re-enroll")
    assert unknown.status == 404 and "can enroll" in unknown.body["error"]["message"]
    assert any_hub.call("POST", "/v1/nodes/node-1/re-enroll", token="node:node-1").status == 403
    assert any_hub.call("POST", "/v1/readings", reading("node-1", S1), token="node:node-1").status == 202


# -- sensor and output ids belong to their node -----------------------------------------

def test_another_node_cannot_take_a_sensor_over(any_hub):
    sensor_node(any_hub, "node-1", sensors=(S1, S2))
    any_hub.node_token("node-2")
    before = any_hub.dump()
    reply = sensor_node(any_hub, "node-2", sensors=(S3, S2))
    assert reply.status == 409 and reply.error == "conflict"
    message = reply.body["error"]["message"]
    assert "'node-1'" in message and f"POST /v1/sensors/{S2}/release" in message
    assert "DELETE /v1/nodes/node-1" in message
    assert any_hub.dump() == before, "not even node-2 or its other sensor was stored"
    assert any_hub.call("POST", "/v1/readings", reading("node-1", S2), token="node:node-1").body["accepted"] == 1


def test_another_relay_cannot_take_an_output_over(any_hub):
    first = relay_node(any_hub, "relay-1", outputs=("gpio17", "gpio27")).body["command_token"]
    any_hub.node_token("relay-2")
    before = any_hub.dump()
    reply = relay_node(any_hub, "relay-2", outputs=("gpio17",))
    assert reply.status == 409 and "'relay-1'" in reply.body["error"]["message"]
    assert "command_token" not in reply.body and first not in repr(reply.body)
    assert any_hub.dump() == before


def test_an_admin_releases_a_sensor_and_another_node_claims_it(any_hub):
    sensor_node(any_hub, "node-1", sensors=(S1, S2))
    zone = any_hub.call("POST", "/v1/zones", {"name": "Living", "sensors": [S2]}).body
    any_hub.call("PATCH", f"/v1/sensors/{S2}", {"alias": "Sofa"})
    assert any_hub.call("POST", f"/v1/sensors/{S2}/release", token="node:node-1").status == 403
    released = any_hub.call("POST", f"/v1/sensors/{S2}/release")
    assert released.status == 200
    assert released.body["node_id"] is None and released.body["alias"] == "Sofa"
    assert released.body["zone_id"] == zone["id"]
    assert any_hub.call("POST", "/v1/readings", reading("node-1", S2), token="node:node-1").body["errors"]
    assert sensor_node(any_hub, "node-2", sensors=(S2,)).status == 200
    assert any_hub.call("POST", "/v1/readings", reading("node-2", S2), token="node:node-2").body["accepted"] == 1
    assert sensor_node(any_hub, "node-1", sensors=(S1, S2)).status == 409, "now it is node-2's"
    assert any_hub.call("POST", "/v1/sensors/28-404404404404/release").status == 404
    assert "sensors" in any_hub.changes


def test_an_admin_releases_an_output_and_another_relay_claims_it(any_hub):
    relay_node(any_hub, "relay-1", outputs=("gpio17", "gpio27"))
    released = any_hub.call("POST", "/v1/outputs/gpio17/release")
    assert released.status == 200 and released.body["node_id"] is None
    assert relay_node(any_hub, "relay-2", outputs=("gpio17",)).status == 200
    outputs = {o["id"]: o["node_id"] for o in any_hub.call("GET", "/v1/outputs").body["outputs"]}
    assert outputs == {"gpio17": "relay-2", "gpio27": "relay-1"}
    assert any_hub.call("POST", "/v1/outputs/nothing/release").status == 404


def test_deleting_the_old_node_frees_its_ids(any_hub):
    relay_node(any_hub, "relay-1", outputs=("gpio17",))
    assert any_hub.call("DELETE", "/v1/nodes/relay-1").status == 204
    assert relay_node(any_hub, "relay-2", outputs=("gpio17",)).status == 200


# -- relay command tokens ---------------------------------------------------------------

def test_command_tokens_are_random_per_relay_and_never_listed(any_hub):
    one = relay_node(any_hub, "relay-1", outputs=("gpio17",)).body["command_token"]
    two = relay_node(any_hub, "relay-2", outputs=("gpio27",)).body["command_token"]
    assert one != two and len(one) >= 43 and len(two) >= 43
    for path in ("/v1/nodes", "/v1/nodes/relay-1", "/v1/outputs", "/v1/status", "/v1/tokens"):
        body = repr(any_hub.call("GET", path).body)
        assert one not in body and two not in body, path
    as_admin = any_hub.call("POST", "/v1/nodes", {"node_id": "relay-1", "kind": "relay",
                                                  "url": "http://127.0.0.1:8574/"})
    assert as_admin.status == 200 and "command_token" not in as_admin.body, "to the relay only"
    assert any_hub.raw_store.get_meta("hub_secret") is None
    again = any_hub.restart()
    assert relay_node(again, "relay-1", outputs=("gpio17",)).body["command_token"] == one
    again.close()


def test_a_re_enrollment_gives_a_relay_a_new_command_token(any_hub):
    old = relay_node(any_hub, "relay-1").body["command_token"]
    any_hub.call("POST", "/v1/nodes/relay-1/re-enroll")
    assert relay_node(any_hub, "relay-1").status == 401, "its device token was revoked"
    assert any_hub.raw_store.get_node("relay-1")["command_token"] == old, "until it enrolls again"
    token = enroll(any_hub, "relay-1").body["token"]
    new = any_hub.raw_store.get_node("relay-1")["command_token"]
    assert new not in (None, old)
    reply = any_hub.call("POST", "/v1/nodes", {"node_id": "relay-1", "kind": "relay",
                                               "url": "http://127.0.0.1:8574/"}, token=token)
    assert reply.status == 200 and reply.body["command_token"] == new

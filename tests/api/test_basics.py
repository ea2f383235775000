from rpymostat import __version__
from tests.hubkit import sensor_node


def test_health_needs_no_token(hub):
    reply = hub.call("GET", "/v1/health", token=None)
    assert reply.status == 200
    assert reply.body == {"status": "ok", "version": __version__, "hub_id": hub.hub_id, "system": "test"}
    assert reply.headers.getRawHeaders("content-type") == ["application/json"]


def test_zone_crud(hub):
    sensor_node(hub)
    created = hub.call("POST", "/v1/zones", {"name": "Living", "sensors": ["28-000000000001"],
                                              "default_target": {"mode": "heat", "heat_setpoint": 20.5}})
    assert created.status == 201, created.body
    zone = created.body
    assert zone["sensors"] == ["28-000000000001"]
    assert zone["default_target"]["heat_setpoint"] == 20.5
    assert hub.call("GET", f"/v1/zones/{zone['id']}").body == zone
    patched = hub.call("PATCH", f"/v1/zones/{zone['id']}", {"name": "Lounge", "settings": {"deadband": 0.3}})
    assert patched.status == 200
    assert patched.body["name"] == "Lounge" and patched.body["settings"] == {"deadband": 0.3}
    assert hub.call("GET", "/v1/zones").body["zones"][0]["name"] == "Lounge"
    assert hub.call("DELETE", f"/v1/zones/{zone['id']}").status == 204
    assert hub.call("GET", f"/v1/zones/{zone['id']}").status == 404
    sensors = hub.call("GET", "/v1/sensors").body["sensors"]
    assert all(s["zone_id"] is None for s in sensors)


def test_duplicate_zone_name_conflicts(hub):
    assert hub.call("POST", "/v1/zones", {"name": "Living"}).status == 201
    reply = hub.call("POST", "/v1/zones", {"name": "Living"})
    assert reply.status == 409 and reply.error == "conflict"


def test_unknown_route_and_method_are_json(hub):
    reply = hub.call("GET", "/v1/nothing-here")
    assert reply.status == 404 and reply.error == "not_found"
    reply = hub.call("PUT", "/v1/health")
    assert reply.status == 405 and reply.error == "method_not_allowed"
    assert "GET" in reply.headers.getRawHeaders("allow")[0]


def test_node_registration_and_listing(hub):
    reply = sensor_node(hub)
    assert reply.status == 200, reply.body
    assert reply.body["hub_id"] == hub.hub_id
    assert reply.body["settings"]["report_interval_s"] == 30
    nodes = hub.call("GET", "/v1/nodes").body["nodes"]
    assert [n["id"] for n in nodes] == ["node-1"]
    assert nodes[0]["sensors"] == ["28-000000000001", "28-000000000002"]
    assert hub.call("GET", "/v1/nodes/node-1").body["kind"] == "sensor"
    assert hub.call("DELETE", "/v1/nodes/node-1").status == 204
    assert hub.call("GET", "/v1/nodes/node-1").status == 404
    sensors = hub.call("GET", "/v1/sensors").body["sensors"]
    assert [s["node_id"] for s in sensors] == [None, None]


def test_readings_update_sensors_and_deduplicate(hub):
    sensor_node(hub)
    batch = {"node_id": "node-1", "readings": [
        {"sensor_id": "28-000000000001", "time": "2026-09-21T14:13:00Z", "value": 20.5},
        {"sensor_id": "28-000000000001", "time": "2026-09-21T14:13:10Z", "value": 20.75},
        {"sensor_id": "28-000000000002", "time": "2026-09-21T14:13:10+02:00", "value": 85.0},
        {"sensor_id": "28-999999999999", "time": "2026-09-21T14:13:10Z", "value": 20.0},
    ]}
    reply = hub.call("POST", "/v1/readings", batch, token="device")
    assert reply.status == 202, reply.body
    assert reply.body["accepted"] == 2 and reply.body["rejected"] == 2
    assert {e["reason"] for e in reply.body["errors"]} == {"power_on_reset", "unknown_sensor"}
    again = hub.call("POST", "/v1/readings", batch, token="device")
    assert again.body["accepted"] == 0 and again.body["duplicates"] == 2
    sensor = hub.call("GET", "/v1/sensors").body["sensors"][0]
    assert sensor["last_value"] == 20.75
    assert sensor["last_seen"] == "2026-09-21T14:13:10Z"
    assert sensor["stale"] is False
    hub.clock.advance(90)
    assert hub.call("GET", "/v1/sensors").body["sensors"][0]["stale"] is True
    assert "readings" in hub.changes


def test_readings_from_the_future_are_rejected(hub):
    sensor_node(hub)
    reply = hub.call("POST", "/v1/readings", {"node_id": "node-1", "readings": [
        {"sensor_id": "28-000000000001", "time": "2026-09-21T15:13:00Z", "value": 20.5}]}, token="device")
    assert reply.body["errors"] == [{"index": 0, "sensor_id": "28-000000000001", "reason": "future"}]


def test_outputs_patch_and_function_conflict(hub):
    from tests.hubkit import relay_node

    relay_node(hub)
    zone = hub.call("POST", "/v1/zones", {"name": "Living"}).body
    reply = hub.call("PATCH", "/v1/outputs/gpio17", {"zone_id": zone["id"], "function": "heat"})
    assert reply.status == 200 and reply.body["function"] == "heat"
    assert hub.call("GET", f"/v1/zones/{zone['id']}").body["outputs"] == {"heat": "gpio17"}
    clash = hub.call("PATCH", "/v1/outputs/gpio27", {"zone_id": zone["id"], "function": "heat"})
    assert clash.status == 409
    assert [o["state"] for o in hub.call("GET", "/v1/outputs").body["outputs"]] == ["off", "off"]


def test_settings_get_and_patch(hub):
    settings = hub.call("GET", "/v1/settings").body
    assert settings["control_interval_s"] == 30 and settings["min_off_s"] == 300
    reply = hub.call("PATCH", "/v1/settings", {"timezone": "Europe/Berlin", "deadband": 0.3})
    assert reply.status == 200
    assert reply.body["timezone"] == "Europe/Berlin" and reply.body["deadband"] == 0.3
    assert hub.call("PATCH", "/v1/settings", {"timezone": "Mars/Olympus"}).status == 422


def test_status_shows_zone_temperature(hub):
    sensor_node(hub)
    zone = hub.call("POST", "/v1/zones", {"name": "Living", "sensors": ["28-000000000001", "28-000000000002"]}).body
    hub.call("POST", "/v1/readings", {"node_id": "node-1", "readings": [
        {"sensor_id": "28-000000000001", "time": "2026-09-21T14:13:00Z", "value": 20.0},
        {"sensor_id": "28-000000000002", "time": "2026-09-21T14:13:00Z", "value": 21.0}]}, token="device")
    status = hub.call("GET", "/v1/status").body
    assert status["hub_id"] == hub.hub_id
    assert status["zones"][0]["id"] == zone["id"]
    assert status["zones"][0]["temperature"] == 20.5
    assert status["counts"] == {"nodes": 1, "sensors": 2, "outputs": 0, "zones": 1}


def test_relay_registration_gives_its_command_token_and_takes_state_reports(hub):
    from tests.hubkit import relay_node

    reply = relay_node(hub)
    token = reply.body["command_token"]
    assert len(token) >= 43, "256 random bits"
    assert relay_node(hub).body["command_token"] == token, "a relay keeps its token across registrations"
    assert relay_node(hub, "relay-2", outputs=("gpio22",)).body["command_token"] != token
    assert "command_token" not in sensor_node(hub).body
    state = hub.call("PUT", "/v1/outputs/gpio17/state",
                     {"state": "on", "time": "2026-09-21T14:13:00Z", "reason": "command"},
                     token="node:relay-1")
    assert state.status == 200 and state.body["state"] == "on"
    assert state.body["state_since"] == "2026-09-21T14:13:00Z"
    assert [o["state"] for o in hub.call("GET", "/v1/outputs").body["outputs"]] == ["on", "off", "off"]
    enrolled = hub.call("POST", "/v1/enroll", {"node_id": "other"}, token="test-enrollment-key").body
    refused = hub.call("PUT", "/v1/outputs/gpio17/state", {"state": "off"}, token=enrolled["token"])
    assert refused.status == 403


def test_an_https_relay_registers_the_certificate_it_presents(hub):
    from tests.hubkit import relay_node

    fingerprint = "ab" * 32
    hub.node_token("relay-1")
    before = hub.dump()
    for extra, message in [
        ({"url": "https://10.0.0.5:8574/"}, "at /: 'tls_fingerprint' is a required property"),
        ({"url": "http://10.0.0.5:8574/", "tls_fingerprint": fingerprint}, "at /url: 'http://10.0.0.5:8574/' does "
                                                                            "not match '^https:'"),
    ]:
        reply = hub.call("POST", "/v1/nodes", {"node_id": "relay-1", "kind": "relay", **extra},
                         token="node:relay-1")
        assert reply.status == 422 and message in reply.body["error"]["message"], reply.body
    reply = hub.call("POST", "/v1/nodes", {"node_id": "relay-1", "kind": "relay", "url": "https://10.0.0.5:8574/",
                                           "tls_fingerprint": "AB:" * 31 + "AB"}, token="node:relay-1")
    assert reply.status == 422, "the fingerprint's one form: 64 lowercase hex digits"
    assert hub.dump() == before

    assert relay_node(hub, fingerprint=fingerprint).status == 200
    node = hub.call("GET", "/v1/nodes/relay-1").body
    assert (node["url"], node["tls_fingerprint"]) == ("https://127.0.0.1:8574/", fingerprint)
    assert relay_node(hub).status == 200, "back on plain HTTP"
    assert hub.call("GET", "/v1/nodes/relay-1").body["tls_fingerprint"] is None

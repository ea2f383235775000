"""Shared set-up for the scheduling API tests: a zone with a default target, and rule bodies.

The hub's clock starts at 2026-09-21T14:13:20Z, a Monday (tests/hubkit.py START)."""

from tests.hubkit import Hub, sensor_node

DEFAULT = {"mode": "heat", "heat_setpoint": 16}


def heat(setpoint: float, **more) -> dict:
    return {"mode": "heat", "heat_setpoint": setpoint, **more}


def recurring(name: str, cron: str, duration: str, setpoint: float, zone_id: int = 1, **more) -> dict:
    return {"zone_id": zone_id, "name": name, "kind": "recurring", "cron": cron,
            "duration": duration, "target": heat(setpoint), **more}


def once(name: str, interval: str, setpoint: float, zone_id: int = 1, **more) -> dict:
    return {"zone_id": zone_id, "name": name, "kind": "once", "interval": interval,
            "target": heat(setpoint), **more}


def zone_hub(hub: Hub, timezone: str = "UTC") -> Hub:
    """Zone 1 ("Living", default heat 16 °C, both sensors of node-1) in the given time zone."""
    sensor_node(hub)
    assert hub.call("PATCH", "/v1/settings", {"timezone": timezone}).status == 200
    reply = hub.call("POST", "/v1/zones", {"name": "Living", "default_target": DEFAULT,
                                           "sensors": ["28-000000000001", "28-000000000002"]})
    assert reply.status == 201 and reply.body["id"] == 1
    hub.changes.clear()
    return hub


def post(hub: Hub, body: dict) -> dict:
    reply = hub.call("POST", "/v1/rules", body)
    assert reply.status == 201, reply.body
    return reply.body


def state(hub: Hub, zone_id: int = 1) -> dict:
    reply = hub.call("GET", f"/v1/zones/{zone_id}/state")
    assert reply.status == 200, reply.body
    return reply.body


def timeline(hub: Hub, start: str, end: str, zone_id: int = 1) -> dict:
    reply = hub.call("GET", f"/v1/zones/{zone_id}/timeline?from={start}&to={end}")
    assert reply.status == 200, reply.body
    return reply.body

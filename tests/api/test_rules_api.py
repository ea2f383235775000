"""/v1/rules: create, read, list, change and delete rules; refusals store nothing."""

import pytest

from tests.api.schedkit import heat, once, post, recurring, state, zone_hub
from tests.hubkit import sensor_node

EVENINGS = recurring("evenings", "0 18 * * 1-5", "PT5H", 21)


@pytest.fixture
def hub(hub):
    return zone_hub(hub)


def test_rules_crud_round_trip(hub):
    made = post(hub, {**EVENINGS, "priority": 3})
    assert made == {
        "id": 1, "zone_id": 1, "name": "evenings", "kind": "recurring", "cron": "0 18 * * 1-5",
        "duration": "PT5H", "end_cron": None, "interval": None, "start": None, "end": None,
        "target": {"mode": "heat", "heat_setpoint": 21.0, "cool_setpoint": None, "fan": "auto",
                   "sensors": [], "aggregation": "mean", "decision": None},
        "priority": 3, "enabled": True, "changed_at": "2026-09-21T14:13:20Z",
    }
    away = post(hub, once("away", "2026-12-21T00:00/2026-12-28T23:59", 12))
    assert away["id"] == 2 and away["interval"] == "2026-12-21T00:00/2026-12-28T23:59"
    assert hub.call("GET", "/v1/rules/1").body == made
    assert [r["id"] for r in hub.call("GET", "/v1/rules").body["rules"]] == [1, 2]

    hub.clock.advance(60)
    patched = hub.call("PATCH", "/v1/rules/1", {"end_cron": "0 23 * * *", "duration": None,
                                                "target": heat(20.5), "enabled": False})
    assert patched.status == 200, patched.body
    assert patched.body == {**made, "duration": None, "end_cron": "0 23 * * *",
                            "target": {**made["target"], "heat_setpoint": 20.5}, "enabled": False,
                            "changed_at": "2026-09-21T14:14:20Z"}
    assert hub.call("GET", "/v1/rules/1").body == patched.body

    assert hub.call("DELETE", "/v1/rules/1").status == 204
    assert hub.call("GET", "/v1/rules/1").status == 404
    assert hub.call("DELETE", "/v1/rules/1").status == 404
    assert hub.call("PATCH", "/v1/rules/1", {"priority": 1}).status == 404
    assert [r["id"] for r in hub.call("GET", "/v1/rules").body["rules"]] == [2]
    assert hub.changes == ["rules"] * 4


def test_list_filters_by_zone(hub):
    assert hub.call("POST", "/v1/zones", {"name": "Bedroom"}).body["id"] == 2
    post(hub, EVENINGS)
    post(hub, {**EVENINGS, "zone_id": 2})
    assert [r["zone_id"] for r in hub.call("GET", "/v1/rules?zone_id=2").body["rules"]] == [2]
    assert [r["zone_id"] for r in hub.call("GET", "/v1/rules").body["rules"]] == [1, 2]
    missing = hub.call("GET", "/v1/rules?zone_id=9")
    assert missing.status == 404 and missing.body["error"]["message"] == "no zone 9"
    assert hub.call("GET", "/v1/rules?zone_id=zero").status == 422


@pytest.mark.parametrize("body, field", [
    ({**EVENINGS, "cron": "0 25 * * *"}, "cron"),
    ({**EVENINGS, "cron": "0 18 * * 1-5 *"}, "cron"),
    ({**EVENINGS, "duration": "PT"}, "duration"),
    ({**EVENINGS, "duration": "P32D"}, "duration"),
    (once("bad", "2026-12-28T00:00/2026-12-21T00:00", 20), "interval"),
    (once("bad", "2026-12-21/2026-12-28", 20), "interval"),
    (once("bad", "not an interval", 20), "interval"),
    ({**EVENINGS, "target": heat(4.5)}, "target"),
    ({**EVENINGS, "target": heat(35.5)}, None),  # the schema's bound: refused before parsing
    ({**EVENINGS, "target": {"mode": "auto", "heat_setpoint": 21, "cool_setpoint": 21.3}}, "target"),
    ({**EVENINGS, "target": {"mode": "cool"}}, "target"),
])
def test_invalid_rules_are_422_with_details_and_nothing_stored(hub, body, field):
    before = hub.dump()
    reply = hub.call("POST", "/v1/rules", body)
    assert reply.status == 422 and reply.error == "invalid", reply.body
    if field is not None:
        # the core's details name a field; the schema's, a JSON pointer
        named = {d.get("field") or d["path"].split("/")[1] for d in reply.body["error"]["details"]}
        assert field in named, reply.body
    assert hub.dump() == before
    assert hub.changes == []


def test_unknown_zone_or_sensor_in_the_body_is_a_409_conflict(hub):
    """The body is well formed (the document accepts it); the hub's state refuses it."""
    before = hub.dump()
    reply = hub.call("POST", "/v1/rules", {**EVENINGS, "zone_id": 7})
    assert reply.status == 409 and reply.body["error"] == {"code": "conflict", "message": "no zone 7"}
    reply = hub.call("POST", "/v1/rules", {**EVENINGS, "target": heat(
        20, sensors=[{"sensor_id": "28-000000000001"}, {"sensor_id": "28-00000000dead"}])})
    assert reply.status == 409
    assert reply.body["error"]["details"] == [{"field": "target", "message": "no sensor '28-00000000dead'"}]
    assert hub.dump() == before


def test_target_may_name_any_sensor_known_to_the_hub(hub):
    """Sensors move between zones independently of rules, so a rule may name a sensor the
    hub knows even when it is not (yet) in the rule's zone."""
    sensor_node(hub, "node-2", sensors=("28-000000000009",))
    made = post(hub, {**EVENINGS, "target": heat(20, sensors=[{"sensor_id": "28-000000000009", "weight": 2}])})
    assert made["target"]["sensors"] == [{"sensor_id": "28-000000000009", "weight": 2.0}]


def test_invalid_patches_are_refused_and_change_nothing(hub):
    post(hub, EVENINGS)
    before = hub.dump()
    for body in ({"cron": "*/0 * * * *"}, {"kind": "once"}, {"zone_id": 1}, {"target": heat(36)},
                 {"name": None}, {}):
        reply = hub.call("PATCH", "/v1/rules/1", body)
        assert reply.status == 422, (body, reply.body)
    # well formed, but not for this rule (it has a duration; it is recurring) or these sensors
    for body in ({"end_cron": "0 23 * * *"}, {"duration": None}, {"interval": "2026-12-21T00:00/PT1H"},
                 {"target": heat(20, sensors=[{"sensor_id": "nope"}])}):
        reply = hub.call("PATCH", "/v1/rules/1", body)
        assert reply.status == 409 and reply.error == "conflict", (body, reply.body)
    assert hub.dump() == before
    assert hub.changes == ["rules"]


def test_holds_are_listed_but_not_patched(hub):
    hold = hub.call("PUT", "/v1/zones/1/hold", {"target": heat(23), "until": None}).body
    assert hub.call("GET", "/v1/rules").body["rules"] == [hold]
    reply = hub.call("PATCH", f"/v1/rules/{hold['id']}", {"name": "x"})
    assert reply.status == 409 and reply.body["error"]["details"][0]["field"] == "kind"
    assert hub.call("DELETE", f"/v1/rules/{hold['id']}").status == 204
    assert hub.changes == ["hold", "hold"]
    assert state(hub)["rule_id"] is None


def test_deleting_a_zone_deletes_its_rules_and_hold(hub):
    post(hub, EVENINGS)
    hub.call("PUT", "/v1/zones/1/hold", {"target": heat(23), "until": "PT1H"})
    assert len(hub.call("GET", "/v1/rules").body["rules"]) == 2
    assert hub.call("DELETE", "/v1/zones/1").status == 204
    assert hub.call("GET", "/v1/rules").body["rules"] == []
    assert hub.call("GET", "/v1/rules/1").status == 404


def test_a_new_rule_replans_at_once(hub):
    assert state(hub)["target"]["heat_setpoint"] == 16
    made = post(hub, once("now", "2026-09-21T14:00Z/PT2H", 22))
    now = state(hub)
    assert (now["target"]["heat_setpoint"], now["rule_id"]) == (22, made["id"])
    assert now["next_change"] == "2026-09-21T16:00:00Z"
    hub.call("PATCH", f"/v1/rules/{made['id']}", {"target": heat(19)})
    assert state(hub)["target"]["heat_setpoint"] == 19
    hub.call("DELETE", f"/v1/rules/{made['id']}")
    assert state(hub)["rule_id"] is None
    assert hub.changes == ["rules", "rules", "rules"]


def test_rules_survive_a_restart(hub):
    post(hub, EVENINGS)
    post(hub, once("away", "2026-12-21T00:00/PT36H", 12, priority=-4, enabled=False))
    before = hub.call("GET", "/v1/rules").body
    again = hub.restart()
    assert again.call("GET", "/v1/rules").body == before
    assert again.call("POST", "/v1/rules", EVENINGS).body["id"] == 3
    again.close()


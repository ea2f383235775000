"""PUT/DELETE /v1/zones/{id}/hold: every form of `until`, one hold per zone, expiry."""

import pytest

from tests.api.schedkit import heat, once, post, recurring, state, zone_hub

# The clock starts at 2026-09-21T14:13:20Z, a Monday.
EVENINGS = recurring("evenings", "0 18 * * *", "PT5H", 21)


@pytest.fixture
def hub(hub):
    return zone_hub(hub)


def put(hub, until, setpoint=23, zone_id=1):
    reply = hub.call("PUT", f"/v1/zones/{zone_id}/hold", {"target": heat(setpoint), "until": until})
    assert reply.status == 200, reply.body
    return reply.body


@pytest.mark.parametrize("until, end", [
    ("PT2H", "2026-09-21T16:13:20Z"),
    ("P1DT30M", "2026-09-22T14:43:20Z"),
    ("2026-09-21T20:00:00Z", "2026-09-21T20:00:00Z"),
    ("2026-09-21T22:00:00+02:00", "2026-09-21T20:00:00Z"),
    ("2026-09-21T21:30", "2026-09-21T21:30:00Z"),  # no offset: the hub's zone (UTC here)
    ("next", "2026-09-21T18:00:00Z"),  # the evening rule starts
    (None, None),
])
def test_hold_until_each_form(hub, until, end):
    post(hub, EVENINGS)
    hold = put(hub, until)
    assert (hold["kind"], hold["start"], hold["end"]) == ("hold", "2026-09-21T14:13:20Z", end)
    now = state(hub)
    assert (now["rule_id"], now["target"]["heat_setpoint"]) == (hold["id"], 23)
    assert now["next_change"] == end  # the evening rule under a hold changes nothing
    assert now["why"].startswith("hold")
    assert hub.changes == ["rules", "hold"]


def test_hold_next_with_no_schedule_is_indefinite(hub):
    assert put(hub, "next")["end"] is None


def test_hold_next_ends_at_the_schedule_change_inside_a_rule(hub):
    post(hub, once("now", "2026-09-21T12:00Z/2026-09-21T15:30Z", 19))
    assert put(hub, "next")["end"] == "2026-09-21T15:30:00Z"


def test_hold_with_local_until_follows_the_hub_time_zone(hub):
    hub.call("PATCH", "/v1/settings", {"timezone": "America/New_York"})
    assert put(hub, "2026-09-21T18:00")["end"] == "2026-09-21T22:00:00Z"


def test_a_new_hold_replaces_the_old_one(hub):
    first = put(hub, "PT1H", 23)
    second = put(hub, None, 18)
    holds = [r for r in hub.call("GET", "/v1/rules").body["rules"] if r["kind"] == "hold"]
    assert holds == [second] and second["id"] != first["id"]
    assert state(hub)["target"]["heat_setpoint"] == 18


def test_delete_hold_returns_to_the_schedule_at_once(hub):
    post(hub, once("now", "2026-09-21T12:00Z/PT6H", 19))
    put(hub, None)
    assert state(hub)["target"]["heat_setpoint"] == 23
    assert hub.call("DELETE", "/v1/zones/1/hold").status == 204
    assert state(hub)["target"]["heat_setpoint"] == 19
    again = hub.call("DELETE", "/v1/zones/1/hold")
    assert again.status == 404 and again.body["error"]["message"] == "zone 1 has no hold"
    assert hub.changes == ["rules", "hold", "hold"]


def test_unknown_zone_is_404_and_stores_nothing(hub):
    before = hub.dump()
    for method, body in (("PUT", {"target": heat(20), "until": None}), ("DELETE", None)):
        reply = hub.call(method, "/v1/zones/9/hold", body)
        assert reply.status == 404 and reply.error == "not_found"
    assert hub.dump() == before


@pytest.mark.parametrize("body, field", [
    ({"target": heat(20), "until": "PT0S"}, "until"),
    ({"target": heat(20), "until": "soon"}, "until"),
    ({"target": heat(20), "until": "P1Y"}, "until"),
    ({"target": heat(4), "until": None}, "target"),
    ({"target": {"mode": "auto", "heat_setpoint": 22, "cool_setpoint": 22.2}, "until": None}, "target"),
    ({"target": heat(20)}, "until"),
])
def test_invalid_holds_are_422_and_store_nothing(hub, body, field):
    before = hub.dump()
    reply = hub.call("PUT", "/v1/zones/1/hold", body)
    assert reply.status == 422, reply.body
    named = {d.get("field") or d["path"].split("/")[1] for d in reply.body["error"]["details"]}
    assert field in named or repr(field) in reply.body["error"]["message"], reply.body
    assert hub.dump() == before and hub.changes == []


@pytest.mark.parametrize("body, message", [
    ({"target": heat(20), "until": "2026-09-21T14:00:00Z"}, "until: is not after now"),
    ({"target": heat(20, sensors=[{"sensor_id": "28-0000000000ff"}]), "until": None},
     "target names no known sensor '28-0000000000ff'"),
])
def test_holds_at_odds_with_the_hubs_clock_or_sensors_are_409_and_store_nothing(hub, body, message):
    """Well-formed holds (the document accepts them) that the hub's state refuses."""
    before = hub.dump()
    reply = hub.call("PUT", "/v1/zones/1/hold", body)
    assert reply.status == 409 and reply.body["error"]["message"] == message
    assert hub.dump() == before and hub.changes == []


def test_an_expired_hold_stops_applying_and_is_forgotten_later(hub):
    hold = put(hub, "PT1H")
    hub.clock.advance(3600)
    now = state(hub)
    assert now["rule_id"] is None and now["target"]["heat_setpoint"] == 16
    assert hub.call("GET", f"/v1/rules/{hold['id']}").status == 200  # still stored...
    post(hub, EVENINGS)  # ...until the next change to the schedule
    assert hub.call("GET", f"/v1/rules/{hold['id']}").status == 404


def test_holds_survive_a_restart(hub):
    hold = put(hub, "PT3H")
    again = hub.restart()
    assert again.call("GET", f"/v1/rules/{hold['id']}").body == hold
    assert state(again)["rule_id"] == hold["id"]
    again.close()

"""GET /v1/zones/{id}/timeline and /state, schedule plugins per zone, GET /v1/plugins."""

from importlib.metadata import EntryPoint

import attrs
import pytest

from rpymostat.runtime import plugins
from tests.api.schedkit import once, post, recurring, state, timeline, zone_hub

DAY = ("2026-09-22T00:00:00Z", "2026-09-23T00:00:00Z")


@pytest.fixture
def hub(hub):
    return zone_hub(hub)


def spans(body):
    return [(s["start"][11:16], s["end"][11:16], s["rule_id"], s["target"]["heat_setpoint"])
            for s in body["segments"]]


def test_timeline_is_contiguous_with_why_and_shadowed(hub):
    post(hub, recurring("evenings", "0 18 * * *", "PT5H", 21))
    post(hub, recurring("dinner", "0 19 * * *", "PT1H", 22))
    body = timeline(hub, *DAY)
    assert (body["start"], body["end"]) == DAY
    assert spans(body) == [("00:00", "18:00", None, 16), ("18:00", "19:00", 1, 21),
                           ("19:00", "20:00", 2, 22), ("20:00", "23:00", 1, 21),
                           ("23:00", "00:00", None, 16)]
    segments = body["segments"]
    assert all(a["end"] == b["start"] for a, b in zip(segments, segments[1:]))
    assert segments[0]["why"] == "default target: no rule applies"
    assert segments[2]["why"] == ("recurring rule 'dinner' (19:00–20:00) beats recurring "
                                  "'evenings' (shorter)")
    assert [s["shadowed"] for s in segments] == [[], [], [1], [], []]
    assert body["conflicts"] == [] and body["warnings"] == []


def test_equally_specific_overlaps_are_reported_as_conflicts(hub):
    post(hub, recurring("a", "0 18 * * *", "PT2H", 21))
    hub.clock.advance(1)
    post(hub, recurring("b", "0 19 * * *", "PT2H", 22))
    body = timeline(hub, *DAY)
    assert body["conflicts"] == [{"start": "2026-09-22T19:00:00Z", "end": "2026-09-22T20:00:00Z",
                                  "rule_ids": [1, 2], "winner": 2}]
    assert "conflict" in body["segments"][2]["why"]
    hub.call("PATCH", "/v1/rules/1", {"priority": 1})
    assert timeline(hub, *DAY)["conflicts"] == []


def test_window_defaults_and_limits(hub):
    body = hub.call("GET", "/v1/zones/1/timeline").body
    assert (body["start"], body["end"]) == ("2026-09-21T14:13:20Z", "2026-09-28T14:13:20Z")
    only_from = hub.call("GET", "/v1/zones/1/timeline?from=2026-10-01T00:00:00Z").body
    assert only_from["end"] == "2026-10-08T00:00:00Z"
    # a "+" sent as it is in the query string is a plus, not a space
    plus = hub.call("GET", "/v1/zones/1/timeline?from=2026-10-01T02:00:00+02:00&to=2026-10-02T00:00:00Z")
    assert plus.body["start"] == "2026-10-01T00:00:00Z"
    longest = hub.call("GET", "/v1/zones/1/timeline?from=2026-01-01T00:00:00Z&to=2027-02-05T00:00:00Z")
    assert longest.status == 200 and longest.body["warnings"] == []
    cut = hub.call("GET", "/v1/zones/1/timeline?from=2026-01-01T00:00:00Z&to=2030-01-01T00:00:00Z")
    assert cut.status == 200 and cut.body["end"] == "2027-02-05T00:00:00Z"
    assert cut.body["warnings"] == ["a timeline spans at most 400 days: this one ends at 2027-02-05T00:00:00Z"]
    for query in ("from=2026-10-02T00:00:00Z&to=2026-10-01T00:00:00Z",
                  "from=2026-10-01T00:00:00Z&to=2026-10-01T00:00:00Z", "to=2026-09-01T00:00:00Z"):
        reply = hub.call("GET", f"/v1/zones/1/timeline?{query}")
        assert reply.status == 200 and reply.body["segments"] == [], (query, reply.body)
    for query in ("from=yesterday", "from=2026-10-01T00:00:00", "from=2026-10-01T00:00:00 02:00",
                  "to=1969-12-31T23:59:59Z", "from=9999-12-31T23:00:00Z", "from="):
        reply = hub.call("GET", f"/v1/zones/1/timeline?{query}")
        assert reply.status == 422 and reply.error == "invalid", (query, reply.body)
    assert hub.call("GET", "/v1/zones/9/timeline").status == 404
    assert hub.call("GET", "/v1/zones/9/state").status == 404


def test_state_shows_target_rule_why_and_next_change(hub):
    post(hub, recurring("afternoon", "0 14 * * *", "PT2H", 20))
    post(hub, recurring("evenings", "0 18 * * *", "PT5H", 21))
    assert state(hub) == {
        "zone_id": 1, "time": "2026-09-21T14:13:20Z",
        "target": {"mode": "heat", "heat_setpoint": 20.0, "cool_setpoint": None, "fan": "auto",
                   "sensors": [], "aggregation": "mean", "decision": None},
        "rule_id": 1, "why": "recurring rule 'afternoon' (14:00–16:00)", "shadowed": [],
        "since": "2026-09-21T14:00:00Z", "next_change": "2026-09-21T16:00:00Z", "warnings": [],
    }
    hub.clock.advance(2 * 3600)
    later = state(hub)
    assert (later["rule_id"], later["since"], later["next_change"]) == (
        None, "2026-09-21T16:00:00Z", "2026-09-21T18:00:00Z")


def test_state_merges_the_control_loops_fields_without_rewriting_the_schedule(hub):
    hub.api.zone_runtime = lambda zone_id: {"temperature": 19.5, "action": "heating",
                                            "rule_id": "not the loop's to say"}
    now = state(hub)
    assert (now["temperature"], now["action"], now["rule_id"]) == (19.5, "heating", None)


def test_dst_through_the_api_in_berlin(hub):
    """02:30 happens twice on 2026-10-25 in Berlin: the rule fires once, at the first;
    07:00 stays 07:00 local across the change (05:00Z in summer, 06:00Z in winter)."""
    hub.call("PATCH", "/v1/settings", {"timezone": "Europe/Berlin"})
    post(hub, recurring("small hours", "30 2 * * *", "PT30M", 18))
    post(hub, recurring("morning", "0 7 * * *", "PT1H", 21))
    body = timeline(hub, "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z")
    starts = [(s["start"], s["rule_id"]) for s in body["segments"] if s["rule_id"]]
    assert starts == [("2026-10-24T00:30:00Z", 1), ("2026-10-24T05:00:00Z", 2),
                      ("2026-10-25T00:30:00Z", 1), ("2026-10-25T06:00:00Z", 2),
                      ("2026-10-26T01:30:00Z", 1), ("2026-10-26T06:00:00Z", 2)]


def test_a_time_zone_change_replans_at_once(hub):
    post(hub, recurring("evenings", "0 18 * * *", "PT5H", 21))
    assert state(hub)["next_change"] == "2026-09-21T18:00:00Z"
    assert hub.call("PATCH", "/v1/settings", {"timezone": "America/New_York"}).status == 200
    assert state(hub)["next_change"] == "2026-09-21T22:00:00Z"  # 18:00 EDT
    assert hub.changes == ["rules", "settings"]


# --- schedule plugins ---------------------------------------------------------------

class EcoOffset:
    """A schedule plugin as a third party would ship it: lowers every heat setpoint."""

    name = "eco"
    settings_schema = {"type": "object", "additionalProperties": False,
                       "properties": {"offset": {"type": "number", "minimum": 0, "maximum": 5}}}

    def transform(self, timeline, settings, zone):
        def lowered(segment):
            target = attrs.evolve(segment.target,
                                  heat_setpoint=segment.target.heat_setpoint - settings.get("offset", 1))
            return attrs.evolve(segment, target=target)

        return attrs.evolve(timeline, segments=tuple(lowered(s) for s in timeline.segments))


@pytest.fixture
def eco_installed(monkeypatch):
    """Installs EcoOffset as the entry point ``eco`` of group rpymostat.core.schedule.occurrences."""
    real = plugins.entry_points
    extra = EntryPoint(name="eco", value=f"{__name__}:EcoOffset", group="rpymostat.schedule")

    def entry_points(**selection):
        found = list(real(**selection))
        return found + [extra] if selection.get("group") == "rpymostat.schedule" else found

    monkeypatch.setattr(plugins, "entry_points", entry_points)


def test_an_installed_schedule_plugin_shapes_the_timeline(hub, eco_installed):
    post(hub, once("now", "2026-09-22T10:00Z/PT2H", 21))
    assert hub.call("GET", "/v1/zones/1/schedule_plugins").body == {"plugins": []}
    reply = hub.call("PUT", "/v1/zones/1/schedule_plugins",
                     {"plugins": [{"name": "eco", "settings": {"offset": 2}}]})
    assert reply.status == 200 and reply.body == {"plugins": [{"name": "eco", "settings": {"offset": 2}}]}
    assert hub.call("GET", "/v1/zones/1/schedule_plugins").body == reply.body
    assert [s[3] for s in spans(timeline(hub, *DAY))] == [14, 19, 14]
    assert state(hub)["target"]["heat_setpoint"] == 14
    assert hub.changes == ["rules", "rules"]


def test_schedule_plugin_choices_are_checked(hub, eco_installed):
    before = hub.dump()
    for body in ({"plugins": [{"name": "eco", "settings": {"offset": 9}}]},
                 {"plugins": [{"name": "eco"}, {"name": "eco"}]}):
        reply = hub.call("PUT", "/v1/zones/1/schedule_plugins", body)
        assert reply.status == 422, reply.body
    reply = hub.call("PUT", "/v1/zones/1/schedule_plugins", {"plugins": [{"name": "calendar"}]})
    assert reply.status == 409 and reply.body["error"]["message"] == "no schedule plugin 'calendar' is installed"
    assert hub.call("PUT", "/v1/zones/9/schedule_plugins", {"plugins": []}).status == 404
    assert hub.dump() == before


def test_a_plugin_no_longer_installed_is_skipped_with_a_warning(hub):
    hub.raw_store.put_schedule_plugins(1, [{"name": "gone", "settings": {}}])
    body = timeline(hub, *DAY)
    assert spans(body) == [("00:00", "00:00", None, 16)]
    assert body["warnings"] == ["schedule plugin 'gone' ignored: not installed"]


def test_plugins_are_listed_by_kind_with_their_settings_schema(hub, eco_installed):
    body = hub.call("GET", "/v1/plugins").body["plugins"]
    assert set(body) == {"aggregation", "decision", "schedule", "sensor_driver", "relay_driver"}
    names = {kind: {p["name"] for p in found} for kind, found in body.items()}
    assert {"mean", "weighted_mean", "min", "max", "single"} <= names["aggregation"]
    assert "hysteresis" in names["decision"]
    assert {"w1", "sim", "command"} <= names["sensor_driver"]
    assert {"gpio", "phidget", "piface", "sim"} <= names["relay_driver"]
    eco = [p for p in body["schedule"] if p["name"] == "eco"]
    assert eco == [{"name": "eco", "settings_schema": EcoOffset.settings_schema, "error": None}]
    assert all(isinstance(p["settings_schema"], dict) for found in body.values() for p in found)
    assert hub.call("GET", "/v1/plugins", token="device").status == 403

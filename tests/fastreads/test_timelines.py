"""The timeline cache: read once, dropped by every change the timeline depends on, moved
on with time, and capped for a schedule that changes every minute."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from twisted.internet.defer import maybeDeferred

from rpymostat.core.schedule.rules import rule_from_json
from rpymostat.core.schedule.timeline import ZoneSchedule
from rpymostat.core.target import Target
from rpymostat.core.timeutil import format_time, from_timestamp, parse_time
from rpymostat.hub.api.schedule import Plan
from rpymostat.hub.timelines import MAX_OCCURRENCES, Timelines
from tests.api.schedkit import heat, post, recurring, zone_hub
from tests.hubkit import START


@pytest.fixture
def zoned(hub):
    zone_hub(hub)
    return hub


class Counting:
    """Counts calls of one store method."""

    def __init__(self, store, name):
        self.calls = 0
        self.inner = getattr(store, name)
        setattr(store, name, self)

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.inner(*args, **kwargs)


def timeline(hub, query: str = "") -> dict:
    reply = hub.call("GET", f"/v1/zones/1/timeline{query}")
    assert reply.status == 200, reply.body
    return reply.body


def targets(body: dict) -> list[float]:
    return [s["target"]["heat_setpoint"] for s in body["segments"]]


def test_the_plan_is_read_once_and_each_window_resolved_once(zoned):
    post(zoned, recurring("evenings", "0 18 * * *", "PT4H", 21))
    reads = Counting(zoned.raw_store, "list_rules")
    first = timeline(zoned)
    assert timeline(zoned) == first and zoned.call("GET", "/v1/zones/1/state").status == 200
    assert reads.calls == 1
    assert first["start"] == format_time(START) and first["end"] == format_time(START + 7 * 86400)


@pytest.mark.parametrize("change", ["rule", "patch_rule", "delete_rule", "hold", "cancel_hold", "zone",
                                    "timezone"])
def test_each_change_a_timeline_depends_on_shows_in_the_next_answer(zoned, change):
    rule = post(zoned, recurring("evenings", "0 18 * * *", "PT4H", 21))
    before = timeline(zoned)
    if change == "cancel_hold":
        zoned.call("PUT", "/v1/zones/1/hold", {"target": heat(25), "until": "PT1H"})
        before = timeline(zoned)
    steps = {
        "rule": lambda: post(zoned, recurring("mornings", "0 6 * * *", "PT2H", 19)),
        "patch_rule": lambda: zoned.call("PATCH", f"/v1/rules/{rule['id']}", {"target": heat(22)}),
        "delete_rule": lambda: zoned.call("DELETE", f"/v1/rules/{rule['id']}"),
        "hold": lambda: zoned.call("PUT", "/v1/zones/1/hold", {"target": heat(25), "until": "PT1H"}),
        "cancel_hold": lambda: zoned.call("DELETE", "/v1/zones/1/hold"),
        "zone": lambda: zoned.call("PATCH", "/v1/zones/1", {"default_target": heat(15)}),
        "timezone": lambda: zoned.call("PATCH", "/v1/settings", {"timezone": "America/New_York"}),
    }
    done = steps[change]()
    assert getattr(done, "status", 200) < 300
    after = timeline(zoned)
    assert after != before
    assert after == _fresh(zoned)


def _fresh(hub) -> dict:
    """The timeline as a hub with nothing kept would answer it."""
    hub.api.timelines.changed("rules")
    return timeline(hub)


def test_the_default_window_moves_on_with_time(zoned):
    post(zoned, recurring("evenings", "0 18 * * *", "PT4H", 21))
    first = timeline(zoned)
    zoned.clock.advance(86400.4)
    later = timeline(zoned)
    assert later["start"] == format_time(START + 86400)
    assert parse_time(later["segments"][-1]["end"]) == from_timestamp(START + 8 * 86400)
    assert later != first


def test_a_schedule_that_changes_every_minute_is_cut_with_a_reason(zoned):
    post(zoned, {"zone_id": 1, "name": "busy", "kind": "recurring", "cron": "* * * * *",
                 "end_cron": "* * * * *", "target": heat(21)})
    post(zoned, {"zone_id": 1, "name": "also busy", "kind": "recurring", "cron": "*/2 * * * *",
                 "duration": "PT1M", "target": heat(22)})
    body = timeline(zoned, f"?from={format_time(START)}&to={format_time(START + 400 * 86400)}")
    days = MAX_OCCURRENCES / (1440 + 720)
    assert parse_time(body["end"]) == from_timestamp(START) + timedelta(days=days)
    assert any("at most" in warning and "2160 times a day" in warning for warning in body["warnings"])
    assert len(body["segments"]) <= MAX_OCCURRENCES
    state = zoned.call("GET", "/v1/zones/1/state")
    assert state.status == 200 and state.body["time"] == format_time(START)


def test_large_windows_are_resolved_by_the_runner_given():
    now = from_timestamp(START)
    busy = rule_from_json({"zone_id": 1, "name": "busy", "kind": "recurring", "cron": "*/5 * * * *",
                           "duration": "PT1M", "target": heat(21)}, tz=ZoneInfo("UTC"), now=now)
    plan = Plan(ZoneSchedule(1, ZoneInfo("UTC"), Target.from_json(heat(16)), [attrs.evolve(busy, id=1)]), (), ())
    ran = []

    def runner(function, *args):
        ran.append(function.__name__)
        return maybeDeferred(function, *args)

    timelines = Timelines(lambda zone_id: maybeDeferred(lambda: plan), runner)
    small, large = [], []
    timelines.timeline(1, now, now + timedelta(hours=2)).addCallback(small.append)
    assert small and ran == []
    timelines.timeline(1, now, now + timedelta(days=30)).addCallback(large.append)
    assert large and ran == ["resolve_timeline"]

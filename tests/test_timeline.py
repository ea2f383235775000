"""Timeline resolution, current state, holds and schedule plugins (rpymostat.core.schedule.timeline)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rpymostat.core.schedule.occurrences import occurrences
from rpymostat.core.schedule.plugins import PluginUse, is_schedule_plugin, settings_problems
from rpymostat.core.schedule.rules import SCHEMAS, HoldRequest, Rule
from rpymostat.core.schedule.timeline import (
    Conflict,
    ZoneSchedule,
    current_state,
    make_hold,
    resolve_timeline,
    state_to_json,
    timeline_to_json,
)
from rpymostat.core.target import Target
from rpymostat.core.timeutil import UTC
from rpymostat.hub import plugins as hub_plugins

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")
DEFAULT = Target(heat_setpoint=16.0)
T0 = datetime(2026, 12, 1, tzinfo=UTC)  # a Tuesday


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def rule(rule_id, kind, heat=20.0, priority=0, changed=0, enabled=True, zone_id=1, name=None,
         **timing):
    return Rule(id=rule_id, zone_id=zone_id, name=name or f"r{rule_id}", kind=kind,
                target=Target(heat_setpoint=heat), priority=priority, enabled=enabled,
                changed_at=T0 + timedelta(minutes=changed), **timing)


def rec(rule_id, cron, hours=None, end_cron=None, **kw):
    duration = None if hours is None else timedelta(hours=hours)
    return rule(rule_id, "recurring", cron=cron, duration=duration, end_cron=end_cron, **kw)


def once(rule_id, interval, **kw):
    return rule(rule_id, "once", interval=interval, **kw)


def hold(rule_id, start, end, **kw):
    return rule(rule_id, "hold", start=start, end=end, **kw)


def zone(*rules, tz=UTC_ZONE):
    return ZoneSchedule(zone_id=1, tz=tz, default=DEFAULT, rules=rules)


def at(zone_schedule, instant):
    """The segment in force at ``instant`` and the conflicts covering it."""
    timeline = resolve_timeline(zone_schedule, instant - timedelta(days=2),
                                instant + timedelta(days=2))
    conflicts = [c for c in timeline.conflicts if c.start <= instant < c.end]
    return timeline.at(instant), conflicts


PRECEDENCE = [
    # (case, rules, instant, winner, conflicting ids)
    ("hold beats once and recurring",
     [hold(1, utc(2026, 12, 1), None), once(2, "2026-12-01T19:00Z/PT1H"), rec(3, "0 19 * * *", 1)],
     utc(2026, 12, 1, 19, 30), 1, None),
    ("once beats recurring, even a shorter one",
     [once(2, "2026-11-01T00:00Z/P60D"), rec(3, "0 19 * * *", 1)],
     utc(2026, 12, 1, 19, 30), 2, None),
    ("shortest occurrence wins within a kind",
     [rec(1, "0 18 * * *", 5), rec(2, "0 19 * * *", 1)],
     utc(2026, 12, 1, 19, 30), 2, None),
    ("shortest once wins",
     [once(1, "2026-12-01T00:00Z/P2D"), once(2, "2026-12-01T12:00Z/PT12H")],
     utc(2026, 12, 1, 13), 2, None),
    ("shortest hold wins",
     [hold(1, utc(2026, 12, 1), None), hold(2, utc(2026, 12, 1), utc(2026, 12, 2))],
     utc(2026, 12, 1, 13), 2, None),
    ("shorter beats higher priority",
     [rec(1, "0 18 * * *", 5, priority=9), rec(2, "0 19 * * *", 1)],
     utc(2026, 12, 1, 19, 30), 2, None),
    ("equal length: higher priority wins",
     [rec(1, "0 19 * * *", 1, priority=1), rec(2, "30 18 * * *", 1)],
     utc(2026, 12, 1, 19, 15), 1, None),
    ("equal length and priority: most recently changed wins, reported",
     [rec(1, "0 19 * * *", 1, changed=5), rec(2, "30 18 * * *", 1, changed=9)],
     utc(2026, 12, 1, 19, 15), 2, (1, 2)),
    ("all equal: lowest id wins, reported",
     [rec(4, "0 19 * * *", 1), rec(3, "30 18 * * *", 1)],
     utc(2026, 12, 1, 19, 15), 3, (3, 4)),
    ("three-way tie lists all",
     [once(5, "2026-12-01T00:00Z/P1D"), once(6, "2026-12-01T00:00Z/P1D"),
      once(7, "2026-12-01T01:00Z/P1D"), rec(1, "0 0 * * *", 1)],
     utc(2026, 12, 1, 2), 5, (5, 6, 7)),
    ("a shorter rule settles a tie beneath it",
     [rec(1, "0 18 * * *", 5), rec(2, "0 18 * * *", 5), rec(3, "0 19 * * *", 1)],
     utc(2026, 12, 1, 19, 30), 3, None),
    ("a disabled rule is ignored",
     [rec(1, "0 18 * * *", 5), rec(2, "0 19 * * *", 1, enabled=False)],
     utc(2026, 12, 1, 19, 30), 1, None),
    ("another zone's rule is ignored",
     [rec(1, "0 18 * * *", 5), rec(2, "0 19 * * *", 1, zone_id=2)],
     utc(2026, 12, 1, 19, 30), 1, None),
    ("an expired hold is ignored",
     [hold(1, utc(2026, 12, 1), utc(2026, 12, 1, 12)), rec(2, "0 18 * * *", 5)],
     utc(2026, 12, 1, 19), 2, None),
    ("no covering rule: default",
     [rec(1, "0 18 * * *", 5), once(2, "2026-12-05T00:00Z/P1D")],
     utc(2026, 12, 1, 12), None, None),
    ("end_cron occurrences are measured too",
     [rec(1, "0 18 * * *", end_cron="0 23 * * *"), rec(2, "0 17 * * *", 4)],
     utc(2026, 12, 1, 20), 2, None),
]


@pytest.mark.parametrize("case, rules, instant, winner, conflict", PRECEDENCE,
                         ids=[c[0] for c in PRECEDENCE])
def test_precedence(case, rules, instant, winner, conflict):
    for ordering in (rules, rules[::-1]):
        segment, conflicts = at(zone(*ordering), instant)
        assert segment.rule_id == winner
        if winner is None:
            assert segment.target == DEFAULT and "default" in segment.why
        else:
            assert segment.target == next(r for r in rules if r.id == winner).target
        if conflict is None:
            assert conflicts == []
            assert not segment.why.startswith("conflict")
        else:
            assert [(c.rule_ids, c.winner) for c in conflicts] == [(conflict, winner)]
            assert segment.why.startswith("conflict")


def test_conflict_reports_the_overlap_span():
    timeline = resolve_timeline(zone(rec(1, "0 19 * * *", 1), rec(2, "30 18 * * *", 1)),
                                utc(2026, 12, 1), utc(2026, 12, 2))
    assert timeline.conflicts == (Conflict(utc(2026, 12, 1, 19), utc(2026, 12, 1, 19, 30), (1, 2), 1),)


def test_segments_merge_and_list_shadowed_rules():
    rules = [rec(1, "0 18 * * 1-5", 5, name="weeknights"),
             once(2, "2026-12-21T00:00/2026-12-28T23:59", name="away", heat=12),
             rec(3, "0 19 * * *", 1, name="evening", heat=21)]
    timeline = resolve_timeline(zone(*rules, tz=NY), utc(2026, 12, 21, 5), utc(2026, 12, 23))
    (segment,) = timeline.segments
    assert segment.rule_id == 2 and segment.shadowed == (1, 3)
    assert segment.why == "once rule 'away' (Dec 21–28) beats recurring 'evening' and 1 more"
    assert segment.target == Target(heat_setpoint=12)


@pytest.mark.parametrize("rules, instant, why", [
    ([rec(1, "0 18 * * *", 5, name="weeknights"), once(2, "2026-12-01T00:00Z/P2D", name="away")],
     utc(2026, 12, 1, 19), "once rule 'away' (Dec 1–3) beats recurring 'weeknights'"),
    ([rec(1, "0 18 * * *", 5, name="weeknights"), rec(2, "0 19 * * *", 1, name="evening")],
     utc(2026, 12, 1, 19, 30), "recurring rule 'evening' (19:00–20:00) beats recurring 'weeknights' (shorter)"),
    ([rec(1, "0 19 * * *", 1, name="a", priority=2), rec(2, "30 18 * * *", 1, name="b")],
     utc(2026, 12, 1, 19, 15), "recurring rule 'a' (19:00–20:00) beats recurring 'b' (priority 2 > 0)"),
    ([rec(1, "0 19 * * *", 1, name="a"), rec(2, "30 18 * * *", 1, name="b")],
     utc(2026, 12, 1, 19, 15),
     "conflict: recurring rule 'a' (19:00–20:00) and recurring 'b' are equally specific; 'a' applies (lowest id)"),
    ([hold(1, utc(2026, 12, 1), utc(2026, 12, 1, 21)), rec(2, "0 19 * * *", 1, name="b")],
     utc(2026, 12, 1, 19, 15), "hold (until 21:00) beats recurring 'b'"),
    ([hold(1, utc(2026, 12, 1), None)], utc(2026, 12, 1, 19), "hold (indefinite)"),
    ([], utc(2026, 12, 1, 19), "default target: no rule applies"),
])
def test_why_is_short_and_clear(rules, instant, why):
    assert at(zone(*rules), instant)[0].why == why


def test_window_errors():
    z = zone(rec(1, "0 18 * * *", 5))
    with pytest.raises(ValueError, match="aware"):
        resolve_timeline(z, datetime(2026, 12, 1), datetime(2026, 12, 2))
    with pytest.raises(ValueError, match="end after"):
        resolve_timeline(z, T0, T0)
    with pytest.raises(ValueError, match="400 days"):
        resolve_timeline(z, T0, T0 + timedelta(days=401))
    with pytest.raises(ValueError, match="id of its own"):
        resolve_timeline(zone(rec(1, "0 18 * * *", 5), once(1, "2026-12-01T00:00Z/P1D")),
                         T0, T0 + timedelta(days=1))


def test_timeline_json_matches_the_schema():
    rules = [rec(1, "0 19 * * *", 1), rec(2, "30 18 * * *", 1), once(3, "2026-12-02T00:00Z/P1D")]
    z = zone(*rules)
    data = timeline_to_json(resolve_timeline(z, T0, T0 + timedelta(days=3)))
    assert data["conflicts"] and data["segments"][0]["start"] == "2026-12-01T00:00:00Z"
    root = {"components": {"schemas": {**SCHEMAS, "Target": {"type": "object"}}}}
    for name, value in [("Timeline", data), ("ScheduleState", state_to_json(current_state(z, T0)))]:
        jsonschema.Draft202012Validator({**root, "$ref": f"#/components/schemas/{name}"}).validate(value)


# --- current state and holds ---------------------------------------------------------

def test_current_state_and_next_change():
    z = zone(rec(1, "0 18 * * *", 5))
    state = current_state(z, utc(2026, 12, 1, 19))
    assert state.segment.rule_id == 1 and state.next_change == utc(2026, 12, 1, 23)
    state = current_state(z, utc(2026, 12, 1, 23))
    assert state.segment.rule_id is None and state.next_change == utc(2026, 12, 2, 18)


def test_next_change_far_away_and_none():
    z = zone(once(1, "2027-02-01T00:00Z/P1D"))
    assert current_state(z, T0).next_change == utc(2027, 2, 1)
    assert current_state(zone(), T0).next_change is None
    assert current_state(zone(hold(1, T0, None)), T0).next_change is None


@pytest.mark.parametrize("until, end", [
    (None, None),
    (timedelta(hours=2), utc(2026, 12, 1, 21)),
    (utc(2026, 12, 2, 6), utc(2026, 12, 2, 6)),
    ("next", utc(2026, 12, 1, 23)),
])
def test_make_hold_resolves_its_end_when_made(until, end):
    now = utc(2026, 12, 1, 19)
    old_hold = hold(8, utc(2026, 12, 1, 18), utc(2026, 12, 1, 20))  # replaced, so not "next"
    z = zone(rec(1, "0 18 * * *", 5), old_hold)
    made = make_hold(z, HoldRequest(Target(heat_setpoint=23), until), now, hold_id=9)
    assert (made.id, made.kind, made.start, made.end) == (9, "hold", now, end)
    assert made.changed_at == now and made.target == Target(heat_setpoint=23)


def test_hold_until_next_without_any_change_is_indefinite():
    made = make_hold(zone(), HoldRequest(Target(), "next"), T0, hold_id=1)
    assert made.end is None


def test_hold_applies_then_schedule_resumes():
    now = utc(2026, 12, 1, 19)
    z = zone(rec(1, "0 18 * * *", 5))
    made = make_hold(z, HoldRequest(Target(heat_setpoint=23), "next"), now, hold_id=9)
    z = attrs.evolve(z, rules=[*z.rules, made])
    timeline = resolve_timeline(z, utc(2026, 12, 1, 18), utc(2026, 12, 2))
    assert [(s.start.hour, s.end.hour, s.rule_id) for s in timeline.segments] == [
        (18, 19, 1), (19, 23, 9), (23, 0, None)]
    assert timeline.segments[1].shadowed == (1,)


# --- plugins -------------------------------------------------------------------------

class EcoNights:
    """Example plugin: adds a cool night to every zone and lowers every heat setpoint."""

    name = "eco-nights"
    settings_schema = {
        "type": "object", "additionalProperties": False,
        "properties": {"offset": {"type": "number", "minimum": 0, "maximum": 5},
                       "night_heat": {"type": "number", "minimum": 5, "maximum": 35}},
    }

    def rules(self, zone_schedule, settings, start, end):
        return [Rule(id=1, zone_id=zone_schedule.zone_id, name="eco night", kind="recurring",
                     target=Target(heat_setpoint=settings.get("night_heat", 17.0)),
                     cron="0 23 * * *", duration=timedelta(hours=7))]

    def transform(self, timeline, settings, zone_schedule):
        offset = settings.get("offset", 0.0)

        def lowered(segment):
            target = segment.target
            if target.heat_setpoint is not None:
                target = attrs.evolve(target, heat_setpoint=max(5.0, target.heat_setpoint - offset))
            return attrs.evolve(segment, target=target)

        return attrs.evolve(timeline, segments=tuple(lowered(s) for s in timeline.segments))


def test_plugin_contributes_rules_under_the_same_precedence():
    use = PluginUse(EcoNights(), {"night_heat": 15.0})
    z = zone(rec(1, "0 18 * * *", 5), once(2, "2026-12-02T00:00Z/PT2H"))
    timeline = resolve_timeline(z, utc(2026, 12, 1, 12), utc(2026, 12, 2, 12), [use])
    assert [(s.start.hour, s.rule_id) for s in timeline.segments] == [
        (12, None), (18, 1), (23, "eco-nights:1"), (0, 2), (2, "eco-nights:1"), (6, None)]
    assert timeline.segments[2].target == Target(heat_setpoint=15.0)
    assert timeline.warnings == ()


def test_plugin_transforms_the_timeline_and_equal_neighbours_merge():
    class Flatten:
        name = "flatten"
        settings_schema = {"type": "object"}

        def transform(self, timeline, settings, zone_schedule):
            return attrs.evolve(timeline, segments=tuple(
                attrs.evolve(s, rule_id=None, target=DEFAULT) for s in timeline.segments))

    z = zone(rec(1, "0 18 * * *", 5, heat=21.0))
    plain = resolve_timeline(z, T0, T0 + timedelta(days=1))
    eco = resolve_timeline(z, T0, T0 + timedelta(days=1), [PluginUse(EcoNights(), {"offset": 2})])
    assert [s.target.heat_setpoint for s in plain.segments] == [16.0, 21.0, 16.0]
    # The eco night (23:00-06:00, 17 °C) runs into the window from the night before.
    assert [s.target.heat_setpoint for s in eco.segments] == [15.0, 14.0, 19.0, 15.0]
    flat = resolve_timeline(z, T0, T0 + timedelta(days=1), [PluginUse(Flatten())])
    assert len(flat.segments) == 1 and flat.segments[0].shadowed == ()


def test_broken_plugins_are_skipped_with_a_warning():
    class Crashes:
        name = "crashes"
        settings_schema = {}

        def rules(self, zone_schedule, settings, start, end):
            raise RuntimeError("calendar offline")

    class LeavesGap:
        name = "gap"
        settings_schema = {}

        def transform(self, timeline, settings, zone_schedule):
            return attrs.evolve(timeline, segments=timeline.segments[1:])

    z = zone(rec(1, "0 18 * * *", 5))
    plain = resolve_timeline(z, T0, T0 + timedelta(days=1))
    timeline = resolve_timeline(z, T0, T0 + timedelta(days=1),
                                [PluginUse(Crashes()), PluginUse(LeavesGap())])
    assert timeline.segments == plain.segments
    assert [w.split(":")[0] for w in timeline.warnings] == [
        "schedule plugin 'crashes' failed to add rules", "schedule plugin 'gap' ignored"]
    assert "calendar offline" in timeline.warnings[0]


def test_plugin_settings_are_checked_against_its_schema():
    assert settings_problems(EcoNights(), {"offset": 1}) == []
    assert settings_problems(EcoNights(), {"offset": 9, "x": 1}) != []
    assert any("offset" in p for p in settings_problems(EcoNights(), {"offset": 9}))


def test_only_fitting_objects_count_as_schedule_plugins(monkeypatch):
    assert is_schedule_plugin(EcoNights())
    assert not is_schedule_plugin(object())
    nameless_hooks = type("NoHooks", (), {"name": "x", "settings_schema": {}})()
    assert not is_schedule_plugin(nameless_hooks)
    monkeypatch.setattr(hub_plugins, "load_all",
                        lambda group: {"eco": EcoNights(), "junk": nameless_hooks})
    assert list(hub_plugins.load_schedule_plugins()) == ["eco"]


# --- properties ----------------------------------------------------------------------

WINDOWS = [(NY, datetime(2026, 3, 6)), (NY, datetime(2026, 10, 30)),
           (BERLIN, datetime(2026, 3, 27)), (UTC_ZONE, datetime(2026, 12, 1))]
KIND_RANK = {"hold": 0, "once": 1, "recurring": 2}


@st.composite
def schedules(draw):
    tz, local_start = draw(st.sampled_from(WINDOWS))
    start = local_start.replace(tzinfo=tz).astimezone(UTC)
    end = start + timedelta(days=3)
    rules = []
    for rule_id in range(1, draw(st.integers(0, 9)) + 1):
        kind = draw(st.sampled_from(["hold", "once", "recurring", "recurring"]))
        common = dict(priority=draw(st.sampled_from([0, 0, 1])),
                      changed=draw(st.sampled_from([0, 0, 5])),
                      enabled=draw(st.booleans()) or rule_id % 4 != 0,
                      heat=draw(st.sampled_from([17.0, 20.0])))
        half_hours = st.integers(1, 12).map(lambda n: n * 30)
        if kind == "hold":
            begin = start + timedelta(minutes=30 * draw(st.integers(-4, 140)))
            length = draw(st.none() | half_hours)
            rules.append(hold(rule_id, begin, length and begin + timedelta(minutes=length), **common))
        elif kind == "once":
            wall = local_start + timedelta(minutes=30 * draw(st.integers(-4, 140)))
            text = f"{wall:%Y-%m-%dT%H:%M}/PT{draw(half_hours)}M"
            rules.append(once(rule_id, text, **common))
        else:
            cron = (f"{draw(st.sampled_from([0, 30]))} "
                    f"{draw(st.sampled_from(['1', '2', '3', '6', '18', '22', '*/8']))} * * "
                    f"{draw(st.sampled_from(['*', '1-5', '0,6']))}")
            if draw(st.booleans()):
                rules.append(rec(rule_id, cron, draw(half_hours) / 60, **common))
            else:
                rules.append(rec(rule_id, cron, end_cron=f"0 {draw(st.sampled_from([2, 3, 7]))} * * *",
                                 **common))
    return ZoneSchedule(1, tz, DEFAULT, rules), start, end


def reference(z, start, end, instant):
    """Brute force: every covering occurrence, most specific first, by DESIGN §5."""
    covering = {}
    for r in z.rules:
        if not r.enabled:
            continue
        for occ in occurrences(r, z.tz, start, end):
            if occ.start <= instant and (occ.end is None or instant < occ.end):
                length = float("inf") if occ.end is None else (occ.end - occ.start).total_seconds()
                key = (KIND_RANK[r.kind], length, -r.priority, -r.changed_at.timestamp(), r.id)
                covering[r.id] = min(covering.get(r.id, key), key)
    ranked = sorted(covering.values())
    if not ranked:
        return None, set(), ()
    best = ranked[0]
    ties = [k[4] for k in ranked if k[:3] == best[:3]]
    return best[4], set(covering) - {best[4]}, tuple(sorted(ties)) if len(ties) > 1 else ()


def sample_instants(z, timeline, start, end, extra):
    instants = set(extra)
    for s in timeline.segments:
        instants |= {s.start, s.start + (s.end - s.start) / 2, s.end - timedelta(seconds=1)}
    for r in z.rules:
        for occ in occurrences(r, z.tz, start, end):
            for edge in (occ.start, occ.end):
                if edge is not None:
                    instants |= {edge - timedelta(seconds=1), edge}
    return sorted(i for i in instants if start <= i < end)


@given(schedules(), st.lists(st.floats(0, 1), max_size=20))
def test_timeline_picks_the_most_specific_rule_everywhere(case, fractions):
    z, start, end = case
    timeline = resolve_timeline(z, start, end)
    segments = timeline.segments
    assert segments[0].start == start and segments[-1].end == end
    for a, b in zip(segments, segments[1:]):
        assert a.end == b.start and a.start < a.end
        assert a.rule_id != b.rule_id  # equal neighbours are merged
    extra = [start + (end - start) * f for f in fractions]
    for instant in sample_instants(z, timeline, start, end, extra):
        winner, shadowed, ties = reference(z, start, end, instant)
        segment = timeline.at(instant)
        assert segment.rule_id == winner, instant
        assert shadowed <= set(segment.shadowed)
        found = [c for c in timeline.conflicts if c.start <= instant < c.end]
        assert [(c.rule_ids, c.winner) for c in found] == ([(ties, winner)] if ties else [])


@given(schedules(), st.randoms(use_true_random=False))
def test_timeline_is_deterministic_and_ignores_rule_order(case, rnd):
    z, start, end = case
    shuffled = list(z.rules)
    rnd.shuffle(shuffled)
    first = resolve_timeline(z, start, end)
    assert resolve_timeline(z, start, end) == first
    assert resolve_timeline(attrs.evolve(z, rules=shuffled), start, end) == first


@given(schedules(), st.integers(1, 71))
def test_a_sub_window_agrees_with_the_whole(case, hours):
    """Cutting the window anywhere changes nothing but the cut segment's ends."""
    z, start, end = case
    cut = start + timedelta(hours=hours)
    whole = resolve_timeline(z, start, end)
    left, right = resolve_timeline(z, start, cut), resolve_timeline(z, cut, end)
    for instant in [start, cut - timedelta(seconds=1), cut, end - timedelta(seconds=1)]:
        part = left if instant < cut else right
        assert part.at(instant).rule_id == whole.at(instant).rule_id



def test_hold_ending_before_now_is_refused():
    with pytest.raises(ValueError, match="end after now"):
        make_hold(zone(), HoldRequest(Target(), utc(2026, 11, 30)), T0)


def test_rule_that_no_longer_expands_is_left_out_with_a_warning():
    """A local interval valid in UTC is empty in New York (inside the spring-forward gap)."""
    gap = once(2, "2026-03-08T02:00/2026-03-08T02:30", name="gap")
    z = attrs.evolve(zone(rec(1, "0 18 * * *", 5), gap), tz=NY)
    timeline = resolve_timeline(z, utc(2026, 3, 8), utc(2026, 3, 9))
    assert [s.rule_id for s in timeline.segments] == [1, None, 1]
    assert timeline.warnings == (
        "rule 2 ('gap') ignored: interval ends before or when it starts: "
        "'2026-03-08T02:00/2026-03-08T02:30'",)

"""The equipment guard, one rule at a time: what it allows, what it changes, when to recheck."""

import math

import attrs
import pytest

from rpymostat.core import settings as hub_settings
from rpymostat.core.control.guard import (
    Commands,
    Equipment,
    FunctionState,
    Inputs,
    Settings,
    apply,
    guard,
    restarted,
    safe_target,
    switched_off,
)
from rpymostat.core.target import Target

NOW = 1_000_000.0
FRESH = NOW - 10.0          # stale at NOW + 80 with the default 30 s report interval
HEAT = Commands(heat=True)
COOL = Commands(cool=True, fan=True)
NOTHING = Commands()
DEFAULTS = Settings()


def on(since, starts=None):
    return FunctionState(True, since, None, (since,) if starts is None else starts)


def off(last_off=None, starts=()):
    return FunctionState(False, None, last_off, starts)


def run(proposed, temperature=20.0, time=FRESH, mode="heat", hub_start=0.0, settings=DEFAULTS,
        **functions):
    target = Target(mode=mode, heat_setpoint=20.0, cool_setpoint=25.0)
    equipment = Equipment(hub_start=hub_start, **functions)
    return guard(Inputs(temperature, time, target, equipment, NOW, settings), proposed)


def rules(result):
    return [(change.subject, change.rule) for change in result.changes]


def codes(result):
    return [alarm.code for alarm in result.alarms]


STALE = NOW + 80.0

# Starting: (case, proposed, equipment/options, allowed, guard rules, recheck_at)
START_CASES = [
    ("nothing in the way", HEAT, {}, True, [], STALE),
    ("min off not over", HEAT, {"heat": off(NOW - 299)}, False, [("heat", "min_off")], NOW + 1),
    ("min off just over", HEAT, {"heat": off(NOW - 300)}, True, [], STALE),
    ("min off counted from start-up", HEAT, {"hub_start": NOW - 100}, False,
     [("heat", "startup")], NOW + 200),
    ("start-up wait over", HEAT, {"hub_start": NOW - 300}, True, [], STALE),
    ("both min off and start-up: the later one", HEAT,
     {"hub_start": NOW - 250, "heat": off(NOW - 100)}, False,
     [("heat", "min_off"), ("heat", "startup")], NOW + 200),
    ("six starts in the hour", HEAT,
     {"heat": off(NOW - 400, (NOW - 3500, NOW - 3000, NOW - 2000, NOW - 1500, NOW - 1000, NOW - 700))},
     False, [("heat", "max_starts")], NOW + 100),
    ("a start exactly an hour ago no longer counts", HEAT,
     {"heat": off(NOW - 400, (NOW - 3600, NOW - 3000, NOW - 2000, NOW - 1500, NOW - 1000, NOW - 700))},
     True, [], STALE),
    ("five starts in the hour", HEAT,
     {"heat": off(NOW - 400, (NOW - 3000, NOW - 2000, NOW - 1500, NOW - 1000, NOW - 700))},
     True, [], STALE),
    ("max starts is a setting", HEAT,
     {"heat": off(NOW - 400, (NOW - 3000, NOW - 1000)), "settings": Settings(max_starts_per_hour=2)},
     False, [("heat", "max_starts")], NOW + 600),
    ("changeover from cool not over", HEAT, {"cool": off(NOW - 29)}, False,
     [("heat", "changeover")], NOW + 1),
    ("changeover from cool over", HEAT, {"cool": off(NOW - 30)}, True, [], STALE),
    ("cool to heat waits for cool to stop", HEAT, {"cool": on(NOW - 1000)}, False,
     [("heat", "changeover")], NOW + 30),
    ("cool held by min run, heat after it and changeover", HEAT,
     {"cool": on(NOW - 100), "settings": Settings(report_interval_s=300)}, False,
     [("cool", "min_run"), ("heat", "changeover")], NOW + 200),
    ("heat to cool changeover", COOL, {"heat": off(NOW - 10)}, False,
     [("cool", "changeover")], NOW + 20),
    ("aux counts as heat for changeover", COOL, {"aux": off(NOW - 10)}, False,
     [("cool", "changeover")], NOW + 20),
    ("cool after aux has run its minimum", COOL, {"aux": on(NOW - 400)}, False,
     [("cool", "changeover")], NOW + 30),
    ("min off is per function", COOL, {"heat": off(NOW - 100), "cool": off(NOW - 400)}, True, [],
     STALE),
]


@pytest.mark.parametrize("case, proposed, options, allowed, expected_rules, recheck_at", START_CASES,
                         ids=[case[0] for case in START_CASES])
def test_starting(case, proposed, options, allowed, expected_rules, recheck_at):
    options = dict(options)
    result = run(proposed, temperature=22.0, mode="auto", **options)
    function = "heat" if proposed.heat else "cool"
    assert getattr(result.commands, function) is allowed
    assert rules(result) == expected_rules
    assert result.recheck_at == recheck_at
    assert result.alarms == ()


# Stopping: (case, proposed, mode, temperature, equipment, still on, rules, alarms)
STOP_CASES = [
    ("min run holds", NOTHING, "heat", 21.0, {"heat": on(NOW - 299)}, True, [("heat", "min_run")], []),
    ("min run over", NOTHING, "heat", 21.0, {"heat": on(NOW - 300)}, False, [], []),
    ("user off cuts a run short", NOTHING, "off", 21.0, {"heat": on(NOW - 10)}, False, [], []),
    ("changing mode is not an off", NOTHING, "cool", 21.0, {"heat": on(NOW - 10)}, True,
     [("heat", "min_run")], []),
    ("no temperature cuts a run short", HEAT, "heat", None, {"heat": on(NOW - 10)}, False,
     [("heat", "no_temperature")], ["no_temperature"]),
    ("over-temperature cuts a run short", HEAT, "heat", 35.1, {"heat": on(NOW - 10)}, False,
     [("heat", "over_temperature")], ["over_temperature"]),
    ("35 °C itself is not over", HEAT, "heat", 35.0, {"heat": on(NOW - 10)}, True, [], []),
    ("just above 35 °C is over", HEAT, "heat", 35.01, {"heat": on(NOW - 10)}, False,
     [("heat", "over_temperature")], ["over_temperature"]),
    ("run counted from start-up when its start is unknown", NOTHING, "heat", 21.0,
     {"heat": FunctionState(True), "hub_start": NOW - 100}, True, [("heat", "min_run")], []),
]


@pytest.mark.parametrize("case, proposed, mode, temperature, options, still_on, expected_rules, alarms",
                         STOP_CASES, ids=[case[0] for case in STOP_CASES])
def test_stopping(case, proposed, mode, temperature, options, still_on, expected_rules, alarms):
    result = run(proposed, temperature=temperature, mode=mode, **options)
    assert result.commands.heat is still_on
    assert rules(result) == expected_rules
    assert codes(result) == alarms


def test_min_run_recheck_is_when_the_run_may_end():
    result = run(NOTHING, heat=on(NOW - 200), settings=Settings(report_interval_s=300))
    assert result.recheck_at == NOW + 100
    assert result.changes[0].until == NOW + 100


@pytest.mark.parametrize("temperature, time, problem", [
    (None, None, "no_temperature"),
    (20.0, None, "no_temperature"),
    (20.0, NOW - 90.0, "stale"),
    (20.0, NOW + 31.0, "future"),
    (math.nan, FRESH, "nan"),
    (85.0, FRESH, "power_on_reset"),
    (-127.0, FRESH, "sensor_error"),
    (90.0, FRESH, "out_of_range"),
])
def test_no_valid_fresh_temperature_stops_all_demand(temperature, time, problem):
    result = run(Commands(heat=True, aux=True, fan=True), temperature=temperature, time=time,
                 heat=on(NOW - 10))
    assert result.commands == Commands(fan=True)
    assert codes(result) == ["no_temperature"]
    assert problem in result.alarms[0].message
    cooling = run(COOL, temperature=temperature, time=time, mode="cool", cool=on(NOW - 10))
    assert not cooling.commands.cool


def test_nothing_starts_without_a_temperature_not_even_the_freeze_guard():
    result = run(NOTHING, temperature=None, time=None, mode="off")
    assert result.commands == NOTHING
    assert result.recheck_at is None


def test_over_temperature_refuses_a_start_and_leaves_cooling_alone():
    assert not run(HEAT, temperature=36.0).commands.heat
    result = run(COOL, temperature=36.0, mode="cool")
    assert result.commands.cool
    assert codes(result) == ["over_temperature"]


FREEZE_CASES = [
    ("heats in off mode", "off", 4.9, {}, NOTHING, True, [("heat", "freeze")], ["freeze"]),
    ("heats in fan mode", "fan", 4.9, {}, Commands(fan=True), True, [("heat", "freeze")], ["freeze"]),
    ("5 °C itself is not below", "off", 5.0, {}, NOTHING, False, [], []),
    ("keeps heating up to 6 °C", "off", 5.9, {"heat": on(NOW - 1000)}, NOTHING, True, [("heat", "freeze")],
     []),
    ("stops at 6 °C in off mode", "off", 6.0, {"heat": on(NOW - 10)}, NOTHING, False, [], []),
    ("respects min off", "off", 4.0, {"heat": off(NOW - 100)}, NOTHING, False,
     [("heat", "freeze"), ("heat", "min_off")], ["freeze"]),
    ("respects start-up", "off", 4.0, {"hub_start": NOW - 10}, NOTHING, False,
     [("heat", "freeze"), ("heat", "startup")], ["freeze"]),
    ("stops cooling, then changeover", "cool", 4.0, {"cool": on(NOW - 10)}, COOL, False,
     [("cool", "freeze"), ("heat", "freeze"), ("heat", "changeover")], ["freeze"]),
    ("not needed when heating anyway", "heat", 4.0, {}, HEAT, True, [], ["freeze"]),
]


@pytest.mark.parametrize("case, mode, temperature, options, proposed, heat, expected_rules, alarms",
                         FREEZE_CASES, ids=[case[0] for case in FREEZE_CASES])
def test_freeze_guard(case, mode, temperature, options, proposed, heat, expected_rules, alarms):
    result = run(proposed, temperature=temperature, mode=mode, **options)
    assert result.commands.heat is heat
    assert not result.commands.cool
    assert rules(result) == expected_rules
    assert codes(result) == alarms


def test_freeze_guard_recheck_after_cooling_stops():
    result = run(COOL, temperature=4.0, mode="cool", cool=on(NOW - 10))
    assert result.recheck_at == NOW + 30


EXCLUSIVE_CASES = [
    ("nothing running: heat wins", Commands(heat=True, cool=True), {}, Commands(heat=True),
     [("cool", "exclusive")]),
    ("cool running: cool stays", Commands(heat=True, cool=True), {"cool": on(NOW - 1000)},
     Commands(cool=True), [("heat", "exclusive")]),
    ("aux and cool", Commands(aux=True, cool=True), {}, Commands(aux=True), [("cool", "exclusive")]),
    ("heat and aux together are fine", Commands(heat=True, aux=True), {}, Commands(heat=True, aux=True),
     []),
]


@pytest.mark.parametrize("case, proposed, options, allowed, expected_rules", EXCLUSIVE_CASES,
                         ids=[case[0] for case in EXCLUSIVE_CASES])
def test_heat_and_cool_never_together(case, proposed, options, allowed, expected_rules):
    result = run(proposed, mode="auto", **options)
    assert result.commands == allowed
    assert rules(result) == expected_rules


def test_the_fan_is_not_guarded():
    assert run(Commands(fan=True), temperature=None, time=None).commands == Commands(fan=True)
    assert run(Commands(fan=False), hub_start=NOW).commands == NOTHING


def test_recheck_when_the_temperature_goes_stale_while_running():
    assert run(HEAT).recheck_at == FRESH + 3 * 30
    assert run(HEAT, settings=Settings(report_interval_s=60, stale_after_intervals=5)).recheck_at == (
        FRESH + 5 * 60)


def test_recheck_is_none_when_nothing_runs_or_waits():
    assert run(NOTHING).recheck_at is None


SETPOINT_CASES = [
    ("within range", Target("heat", 20.0), Target("heat", 20.0), [], False),
    ("heat too high", Target("heat", 40.0), Target("heat", 35.0), [("heat_setpoint", "setpoint_range")],
     False),
    ("heat too low", Target("heat", 2.0), Target("heat", 5.0), [("heat_setpoint", "setpoint_range")], False),
    ("cool too high", Target("cool", None, 50.0), Target("cool", None, 35.0),
     [("cool_setpoint", "setpoint_range")], False),
    ("not a number", Target("heat", math.nan), Target("heat", None),
     [("heat_setpoint", "setpoint_range")], True),
    ("auto too close", Target("auto", 20.0, 20.2), Target("auto", 20.0, 20.5),
     [("cool_setpoint", "auto_gap")], False),
    ("auto both at the top", Target("auto", 35.0, 36.0), Target("auto", 34.5, 35.0),
     [("cool_setpoint", "setpoint_range"), ("cool_setpoint", "auto_gap")], False),
    ("auto crossed", Target("auto", 25.0, 20.0), Target("auto", 25.0, 25.5),
     [("cool_setpoint", "auto_gap")], False),
    ("missing setpoint", Target("heat", None), Target("heat", None), [], True),
]


@pytest.mark.parametrize("case, target, expected, expected_rules, alarm", SETPOINT_CASES,
                         ids=[case[0] for case in SETPOINT_CASES])
def test_setpoints_only_within_5_to_35(case, target, expected, expected_rules, alarm):
    safe, changes, alarms = safe_target(target)
    assert safe == expected
    assert [(c.subject, c.rule) for c in changes] == expected_rules
    assert [a.code for a in alarms] == (["target_invalid"] if alarm else [])


def test_settings_from_the_hub_settings():
    values = hub_settings.for_zone(hub_settings.defaults(), {"min_off_s": 600})
    assert Settings.from_mapping(values) == Settings(min_off_s=600)


def test_apply_records_starts_and_stops():
    equipment = Equipment(0.0, heat=off(NOW - 5000, (NOW - 4000, NOW - 100)))
    started = apply(equipment, Commands(heat=True, fan=True), NOW)
    assert started.heat == FunctionState(True, NOW, NOW - 5000, (NOW - 100, NOW))
    assert started.fan == FunctionState(True, NOW, None, (NOW,))
    stopped = apply(started, Commands(fan=True), NOW + 400)
    assert stopped.heat == FunctionState(False, None, NOW + 400, (NOW - 100, NOW))
    assert stopped.fan == started.fan


def test_a_relay_switching_off_by_itself_and_a_restart():
    equipment = Equipment(0.0, cool=on(NOW - 100))
    lapsed = switched_off(equipment, "cool", NOW)
    assert lapsed.cool == FunctionState(False, None, NOW, (NOW - 100,))
    # It may have stayed on longer (a stop the relay did not confirm): the off moves later,
    # never earlier.
    assert switched_off(lapsed, "cool", NOW + 5).cool == FunctionState(False, None, NOW + 5, (NOW - 100,))
    assert switched_off(lapsed, "cool", NOW - 5) == lapsed
    assert restarted(lapsed, NOW + 10) == Equipment(NOW + 10, cool=lapsed.cool)


# The guard's own clock: Equipment on a monotonic clock that reads GUARD at NOW (wall).
GUARD = 5_000.0


def test_timers_count_on_the_guard_clock_and_freshness_on_the_wall_clock():
    inputs = Inputs(20.0, FRESH, Target(mode="heat", heat_setpoint=20.0), Equipment(
        hub_start=0.0, heat=off(GUARD - 200)), NOW, guard_now=GUARD)
    result = guard(inputs, HEAT)
    assert rules(result) == [("heat", "min_off")] and not result.commands.heat
    assert result.recheck_at == GUARD + 100  # on the guard's clock
    assert result.changes[0].until == GUARD + 100
    running = Inputs(20.0, FRESH, Target(mode="heat", heat_setpoint=20.0),
                     Equipment(hub_start=0.0, heat=on(GUARD - 1000)), NOW, guard_now=GUARD)
    assert guard(running, HEAT).recheck_at == GUARD + 80  # the reading goes stale at NOW + 80
    stale = attrs.evolve(running, temperature_time=NOW - 90)  # stale by the wall clock
    assert codes(guard(stale, HEAT)) == ["no_temperature"]


def test_a_wall_clock_far_from_the_guard_clock_changes_nothing_but_the_reported_times():
    """The same history and inputs decide the same whatever the wall clock reads."""
    cases = [({"heat": off(GUARD - 299)}, HEAT), ({"hub_start": GUARD - 100}, HEAT),
             ({"heat": on(GUARD - 100)}, NOTHING), ({"cool": off(GUARD - 10)}, HEAT)]
    for functions, proposed in cases:
        results = [guard(Inputs(20.0, wall - 10, Target(mode="heat", heat_setpoint=20.0),
                                Equipment(**{"hub_start": 0.0, **functions}), wall, guard_now=GUARD), proposed)
                   for wall in (NOW, NOW + 3600, NOW - 3600)]
        assert all((r.commands, rules(r), r.recheck_at) == (results[0].commands, rules(results[0]),
                                                             results[0].recheck_at) for r in results)

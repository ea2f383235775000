"""decide(): the hysteresis plugin's proposals, the guard's last word, reasons and data."""

import json
import math
from pathlib import Path

import pytest

from rpymostat.core.control.decide import (
    Commands,
    Decision,
    Equipment,
    FunctionState,
    Inputs,
    Proposal,
    Settings,
    action_of,
    decide,
)
from rpymostat.core.control.hysteresis import Hysteresis
from rpymostat.core.target import Target
from rpymostat.runtime import plugins
from tests.example_decision_plugin import TwoStage

NOW = 1_000_000.0
FRESH = NOW - 10.0
IDLE = Equipment(hub_start=0.0)
HEATING = Equipment(0.0, heat=FunctionState(True, NOW - 1000, None, (NOW - 1000,)))
COOLING = Equipment(0.0, cool=FunctionState(True, NOW - 1000, None, (NOW - 1000,)),
                    fan=FunctionState(True, NOW - 1000, None, (NOW - 1000,)))


def inputs(temperature, target, equipment=IDLE, **options):
    return Inputs(temperature, None if temperature is None else FRESH, target, equipment, NOW,
                  **options)


HEAT_20 = Target("heat", 20.0)
COOL_25 = Target("cool", None, 25.0)
AUTO = Target("auto", 20.0, 25.0)

# (case, target, temperature, equipment, proposed commands, reason)
HYSTERESIS_CASES = [
    ("heat: below the deadband starts", HEAT_20, 19.4, IDLE, Commands(heat=True),
     "heating: 19.4 °C < 20 − 0.5"),
    ("heat: at the deadband edge does not start", HEAT_20, 19.5, IDLE, Commands(),
     "idle: 19.5 °C ≥ 20 − 0.5"),
    ("heat: in the band keeps running", HEAT_20, 20.5, HEATING, Commands(heat=True),
     "heating: 20.5 °C ≤ 20 + 0.5"),
    ("heat: past the overrun stops", HEAT_20, 20.6, HEATING, Commands(),
     "idle: 20.6 °C > 20 + 0.5"),
    ("heat: in the band stays idle", HEAT_20, 19.8, IDLE, Commands(), "idle: 19.8 °C ≥ 20 − 0.5"),
    ("heat: fan on", Target("heat", 20.0, fan="on"), 21.0, IDLE, Commands(fan=True),
     "idle: 21.0 °C > 20 + 0.5"),
    ("cool: above the deadband starts, with the fan", COOL_25, 25.6, IDLE,
     Commands(cool=True, fan=True), "cooling: 25.6 °C > 25 + 0.5"),
    ("cool: at the edge does not start", COOL_25, 25.5, IDLE, Commands(), "idle: 25.5 °C ≤ 25 + 0.5"),
    ("cool: in the band keeps running", COOL_25, 24.5, COOLING, Commands(cool=True, fan=True),
     "cooling: 24.5 °C ≥ 25 − 0.5"),
    ("cool: past the overrun stops", COOL_25, 24.4, COOLING, Commands(), "idle: 24.4 °C < 25 − 0.5"),
    ("auto: cold heats", AUTO, 19.0, IDLE, Commands(heat=True), "heating: 19.0 °C < 20 − 0.5"),
    ("auto: hot cools", AUTO, 26.0, IDLE, Commands(cool=True, fan=True), "cooling: 26.0 °C > 25 + 0.5"),
    ("auto: between is idle", AUTO, 22.0, IDLE, Commands(),
     "idle: 22.0 °C > 20 + 0.5 and 22.0 °C < 25 − 0.5"),
    ("auto: overlapping bands keep the running side", Target("auto", 20.0, 20.5), 20.4, HEATING,
     Commands(heat=True), "heating: 20.4 °C ≤ 20 + 0.5"),
    ("auto: overlapping bands keep cooling", Target("auto", 20.0, 20.5), 20.4, COOLING,
     Commands(cool=True, fan=True), "cooling: 20.4 °C ≥ 20.5 − 0.5"),
    ("off: nothing", Target("off", 20.0, fan="on"), 10.0, IDLE, Commands(), "idle: mode off"),
    ("fan: fan only", Target("fan", 20.0), 10.0, IDLE, Commands(fan=True), "fan: mode fan"),
    ("no temperature: nothing", HEAT_20, None, HEATING, Commands(), "idle: no temperature"),
    ("no temperature: fan on stays", Target("heat", 20.0, fan="on"), None, IDLE, Commands(fan=True),
     "idle: no temperature"),
    ("no setpoint for the mode", Target("heat", None), 10.0, IDLE, Commands(),
     "idle: mode heat has no setpoint"),
]


@pytest.mark.parametrize("case, target, temperature, equipment, commands, reason", HYSTERESIS_CASES,
                         ids=[case[0] for case in HYSTERESIS_CASES])
def test_hysteresis(case, target, temperature, equipment, commands, reason):
    proposal = Hysteresis().propose(inputs(temperature, target, equipment))
    assert proposal.commands == commands
    assert proposal.reason == reason
    json.dumps(proposal.data, allow_nan=False)


def test_hysteresis_reads_the_zone_deadband_and_overrun():
    settings = Settings(deadband=1.0, overrun=0.2)
    assert Hysteresis().propose(inputs(19.2, HEAT_20, settings=settings)).commands == Commands()
    assert Hysteresis().propose(inputs(18.9, HEAT_20, settings=settings)).commands.heat
    assert not Hysteresis().propose(inputs(20.3, HEAT_20, HEATING, settings=settings)).commands.heat


def test_the_reason_reads_like_a_sentence():
    decision = decide(inputs(18.9, Target("heat", 19.5), rule="weeknights"), Hysteresis())
    assert decision.reason == "heating: 18.9 °C < 19.5 − 0.5 (rule 'weeknights'); guard: ok"
    assert decision.action == "heating"
    assert decision.commands == Commands(heat=True)
    assert decision.alarms == ()
    assert decision.recheck_at == FRESH + 90


def test_the_guard_has_the_last_word_and_says_so():
    just_stopped = Equipment(0.0, heat=FunctionState(False, None, NOW - 60, (NOW - 600,)))
    decision = decide(inputs(18.9, Target("heat", 19.5), just_stopped), Hysteresis())
    assert decision.commands == Commands()
    assert decision.action == "idle"
    assert decision.reason == ("heating: 18.9 °C < 19.5 − 0.5; guard: heat held off: "
                               "minimum off time, 240 s left")
    assert decision.recheck_at == NOW + 240
    assert decision.data["proposal"]["commands"]["heat"] == "on"
    assert decision.data["commands"]["heat"] == "off"
    assert decision.data["guard"] == [{"subject": "heat", "rule": "min_off",
                                       "text": "heat held off: minimum off time, 240 s left",
                                       "until": NOW + 240}]


@pytest.mark.parametrize("temperature", [None, 4.0, 18.0, 36.0])
@pytest.mark.parametrize("target", [HEAT_20, COOL_25, AUTO, Target("off"), Target("heat", 80.0)])
def test_decision_data_is_json(temperature, target):
    decision = decide(inputs(temperature, target, HEATING), Hysteresis())
    assert isinstance(decision, Decision)
    assert json.loads(json.dumps(decision.data, allow_nan=False))["action"] == decision.action
    assert decision.data["alarms"] == [a.to_json() for a in decision.alarms]


def test_no_temperature_stops_everything_and_raises_an_alarm():
    decision = decide(inputs(None, HEAT_20, HEATING), Hysteresis())
    assert decision.commands == Commands()
    assert [a.code for a in decision.alarms] == ["no_temperature"]


class Seen:
    """A plugin that remembers the target it was shown and asks for heat regardless."""

    name = "seen"
    settings_schema = {"type": "object"}

    def propose(self, inputs):
        self.target = inputs.target
        return Proposal(Commands(heat=True), "heating: always")


def test_the_plugin_only_sees_safe_setpoints():
    plugin = Seen()
    decision = decide(inputs(20.0, Target("heat", 60.0)), plugin)
    assert plugin.target == Target("heat", 35.0)
    assert decision.data["target"]["heat_setpoint"] == 35.0
    assert "heat_setpoint 60 °C limited to 35 °C" in decision.reason


def test_a_plugin_cannot_heat_above_35():
    decision = decide(inputs(35.5, HEAT_20, HEATING), Seen())
    assert decision.commands == Commands()
    assert [a.code for a in decision.alarms] == ["over_temperature"]


class Broken:
    name = "broken"
    settings_schema = {"type": "object"}

    def __init__(self, result):
        self.result = result

    def propose(self, inputs):
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


@pytest.mark.parametrize("result", [ZeroDivisionError("oops"), None, Commands(heat=True)])
def test_a_broken_plugin_leaves_the_zone_off(result):
    decision = decide(inputs(15.0, HEAT_20, HEATING), Broken(result))
    assert decision.commands == Commands()
    assert [a.code for a in decision.alarms] == ["plugin_error"]
    assert decision.reason.startswith("idle: decision plugin 'broken' failed")


def test_a_broken_plugin_does_not_cut_a_run_short():
    young_run = Equipment(0.0, heat=FunctionState(True, NOW - 100, None, (NOW - 100,)))
    decision = decide(inputs(15.0, HEAT_20, young_run), Broken(ZeroDivisionError("oops")))
    assert decision.commands == Commands(heat=True)
    assert [c["rule"] for c in decision.data["guard"]] == ["min_run"]


@pytest.mark.parametrize("commands, action", [
    (Commands(), "idle"), (Commands(heat=True, fan=True), "heating"), (Commands(aux=True), "heating"),
    (Commands(cool=True, fan=True), "cooling"), (Commands(fan=True), "fan"),
])
def test_action(commands, action):
    assert action_of(commands) == action


def test_hysteresis_is_the_declared_entry_point():
    plugin = plugins.load("rpymostat.decision", "hysteresis")
    assert isinstance(plugin, Hysteresis)
    assert plugin.name == "hysteresis"
    assert set(plugin.settings_schema["properties"]) == {"deadband", "overrun"}


# The worked example of docs/decision-plugins.md, run through decide() and the guard.

def test_example_plugin_adds_the_second_stage_when_far_behind():
    decision = decide(inputs(17.5, HEAT_20), TwoStage())
    assert decision.commands == Commands(heat=True, aux=True)
    assert decision.reason == "heating: 17.5 °C < 20 − 0.5; aux: 17.5 °C < 20 − 2; guard: ok"
    assert decision.data["proposal"]["data"]["aux_below"] == 2.0


def test_example_plugin_reads_its_settings():
    decision = decide(inputs(17.5, HEAT_20, plugin_settings={"aux_below": 3.0}), TwoStage())
    assert decision.commands == Commands(heat=True)


def test_example_plugin_is_still_guarded():
    aux_just_stopped = Equipment(0.0, aux=FunctionState(False, None, NOW - 100, (NOW - 500,)))
    decision = decide(inputs(17.5, HEAT_20, aux_just_stopped), TwoStage())
    assert decision.commands == Commands(heat=True)
    assert [(c["rule"], c["until"]) for c in decision.data["guard"]] == [("min_off", NOW + 200)]
    assert decision.recheck_at == FRESH + 90
    stopped = decide(inputs(None, HEAT_20, aux_just_stopped), TwoStage())
    assert stopped.commands == Commands()


def test_example_plugin_never_heats_with_cooling():
    decision = decide(inputs(10.0, Target("auto", 20.0, 25.0), COOLING), TwoStage())
    assert not decision.commands.cool or not (decision.commands.heat or decision.commands.aux)
    assert decision.commands == Commands()
    assert math.isclose(decision.recheck_at, NOW + 30)


def test_the_documented_example_is_the_tested_one():
    root = Path(__file__).parent.parent
    doc = (root / "docs" / "decision-plugins.md").read_text()
    code = (root / "tests" / "example_decision_plugin.py").read_text()
    assert f"```python\n{code}```" in doc


def test_with_a_guard_clock_the_data_shows_wall_times_and_recheck_at_is_on_the_guard_clock():
    guard_now = 5_000.0
    held = Equipment(hub_start=0.0, heat=FunctionState(False, None, guard_now - 60, ()))
    decision = decide(inputs(18.0, HEAT_20, held, guard_now=guard_now), Hysteresis())
    assert not decision.commands.heat and "minimum off time, 240 s left" in decision.reason
    assert decision.recheck_at == guard_now + 240
    assert decision.data["recheck_at"] == NOW + 240
    assert [c["until"] for c in decision.data["guard"]] == [NOW + 240]

"""The ``predictive`` plugin: early starts, their latch, where it must not start early,
and that the guard's rules hold whatever it proposes."""

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rpymostat.core.control.decide import Equipment, Inputs, Proposal, Settings, apply, decide
from rpymostat.core.control.learner import Rate, ZoneModel
from rpymostat.core.control.lookahead import Outdoor, Previous, Upcoming
from rpymostat.core.control.predictive import Predictive, lead_time
from rpymostat.core.target import Target
from rpymostat.plugin import Hysteresis

H = 3600.0
NIGHT = Target(mode="heat", heat_setpoint=16.0)
DAY = Target(mode="heat", heat_setpoint=21.0)
MODEL = ZoneModel(Rate("heat", 2.8, confidence=1.0, learned=True, runs=(1, 2, 3)), Rate("cool", 2.0))
SCHEDULE = (Upcoming(0.0, NIGHT, "night", "recurring"), Upcoming(6 * H, DAY, "day", "recurring"))


def inputs_at(now, temperature=16.0, segments=SCHEDULE, model=MODEL, outdoor=-5.0, previous=None, target=NIGHT,
              equipment=None, plugin_settings=None):
    return Inputs(temperature, now, target, equipment or Equipment(hub_start=-H), now, Settings(),
                  segments=segments, model=model, outdoor=None if outdoor is None else Outdoor(outdoor, now - 60),
                  previous=previous, plugin_settings=plugin_settings or {})


def previous_of(decision, now):
    return Previous(now, decision.data["plugin"], decision.action, decision.data["proposal"]["data"])


def test_starts_early_enough_to_arrive_at_the_segment_start():
    lead = 5.0 / 2.8 * H * 1.05  # full confidence: 5 % margin
    assert decide(inputs_at(6 * H - lead - 60), Predictive()).action == "idle"
    decision = decide(inputs_at(6 * H - lead + 60), Predictive())
    assert decision.action == "heating"
    assert decision.reason.startswith("preheating for 21.0 °C at 06:00, started 04:08, model 2.8 K/h at −5 °C outside")
    assert decision.data["proposal"]["data"]["early"]["for"] == 6 * H


def test_an_unsure_model_starts_earlier_and_the_lead_is_capped():
    unsure = ZoneModel(attrs.evolve(MODEL.heat, confidence=0.0), MODEL.cool)
    sure_lead = lead_time("heat", 16.0, 21.0, MODEL.heat, None, 0.0, {}).seconds
    unsure_lead = lead_time("heat", 16.0, 21.0, unsure.heat, None, 0.0, {}).seconds
    assert unsure_lead == pytest.approx(sure_lead * 1.30 / 1.05)
    capped = lead_time("heat", 6.0, 21.0, MODEL.heat, None, 0.0, {"preheat_max_hours": 2})
    assert capped.seconds == 2 * H and capped.capped


def test_the_outdoor_temperature_and_the_learned_slope_set_the_rate():
    model = Rate("heat", 2.8, per_kelvin=-0.05, reference_difference=20.0, confidence=1.0, learned=True)
    cold = lead_time("heat", 16.0, 21.0, model, Outdoor(-10.0, 0.0), 0.0, {})
    mild = lead_time("heat", 16.0, 21.0, model, Outdoor(10.0, 0.0), 0.0, {})
    stale = lead_time("heat", 16.0, 21.0, model, Outdoor(-10.0, 0.0), 4 * H, {})
    assert cold.rate == pytest.approx(2.8 - 0.05 * 8.5) and mild.rate == pytest.approx(2.8 + 0.05 * 11.5)
    assert cold.seconds > mild.seconds
    assert stale.outdoor is None and stale.rate == 2.8


def test_an_early_start_holds_until_the_segment_starts():
    now = 6 * H - 1.8 * H
    first = decide(inputs_at(now), Predictive())
    assert first.action == "heating"
    # The room warmed fast: a fresh prediction would not start yet, but the latch holds.
    later = inputs_at(now + 1800, temperature=19.5, previous=previous_of(first, now))
    assert decide(attrs.evolve(later, previous=None), Predictive()).action == "idle"
    held = decide(later, Predictive())
    assert held.action == "heating" and "started 04:12" in held.reason
    # Past the coming setpoint + overrun it idles as hysteresis would, still prepared.
    warm = decide(inputs_at(now + 3600, temperature=21.6, previous=previous_of(held, now + 1800)), Predictive())
    assert warm.action == "idle" and warm.data["proposal"]["data"]["early"]["started"] == now
    # At the segment's start the latch has nothing left to prepare.
    at_start = decide(inputs_at(6 * H, temperature=20.0, target=DAY, previous=previous_of(held, now)), Predictive())
    assert "early" not in at_start.data["proposal"]["data"]


def test_no_early_start_into_a_hold_or_an_away_interval():
    hold = (Upcoming(0.0, NIGHT, "hold", "hold"), Upcoming(6 * H, DAY, "day", "recurring"))
    away = (Upcoming(0.0, NIGHT, "night", "recurring"), Upcoming(5.5 * H, NIGHT, "holiday", "once"),
            Upcoming(6 * H, DAY, "day", "recurring"))
    for segments in (hold, away):
        assert decide(inputs_at(5 * H, segments=segments), Predictive()).action == "idle"
    assert decide(inputs_at(5 * H), Predictive()).action == "heating"


def test_precooling_before_a_lower_cool_setpoint():
    warm, cooler = Target(mode="cool", cool_setpoint=28.0, heat_setpoint=None), \
        Target(mode="cool", cool_setpoint=24.0, heat_setpoint=None)
    segments = (Upcoming(0.0, warm), Upcoming(17 * H, cooler))
    decision = decide(inputs_at(16 * H, temperature=27.0, target=warm, segments=segments, outdoor=32.0), Predictive())
    assert decision.action == "cooling" and decision.reason.startswith("precooling for 24.0 °C at 17:00")


def test_without_look_ahead_it_is_hysteresis():
    for temperature in (15.0, 16.0, 17.0):
        plain = inputs_at(5 * H, temperature=temperature, segments=(), model=None, outdoor=None)
        assert decide(plain, Predictive()).commands == decide(plain, Hysteresis()).commands


def test_an_api_1_plugin_gets_the_new_inputs_and_ignores_them():
    class Api1:
        name, settings_schema = "api1", {}

        def propose(self, inputs):
            base = Hysteresis().propose(inputs)
            return Proposal(base.commands, "api1: " + base.reason)

    decision = decide(inputs_at(5 * H, temperature=15.0, previous=Previous(0.0, "x", "idle")), Api1())
    assert decision.action == "heating" and decision.reason.startswith("api1: heating")


# -- the guard disposes -------------------------------------------------------

STEP = 60.0


def simulate(rise_hour, setpoints, outdoor, house_rate, confidence, margin):
    """A day of a simple house under predictive, as the guard lets it run; every switch kept."""
    low, high = setpoints
    segments = (Upcoming(0.0, Target(mode="heat", heat_setpoint=low)),
                Upcoming(rise_hour * H, Target(mode="heat", heat_setpoint=high)))
    model = ZoneModel(Rate("heat", house_rate, confidence=confidence, learned=True), MODEL.cool)
    s = Settings()
    equipment, temperature, previous, switches = Equipment(hub_start=0.0), low, None, []
    for step in range(int(24 * H / STEP)):
        now = step * STEP
        target = segments[1].target if now >= segments[1].start else segments[0].target
        inputs = Inputs(temperature, now, target, equipment, now, s, segments=segments, model=model,
                        outdoor=Outdoor(outdoor, now), previous=previous, plugin_settings={"preheat_margin": margin})
        decision = decide(inputs, Predictive())
        if decision.commands.heat != equipment.heat.on:
            switches.append((now, decision.commands.heat))
        equipment = apply(equipment, decision.commands, now)
        previous = Previous(now, "predictive", decision.action, decision.data["proposal"]["data"])
        temperature += (house_rate if equipment.heat.on else -0.5) * STEP / H
    return s, switches


@settings(max_examples=25, deadline=None)
@given(st.floats(1, 23), st.tuples(st.floats(5, 18), st.floats(18, 30)), st.floats(-30, 20), st.floats(0.5, 8),
       st.floats(0, 1), st.floats(0, 1))
def test_predictive_never_breaks_the_guard_rules(rise_hour, setpoints, outdoor, house_rate, confidence, margin):
    s, switches = simulate(rise_hour, setpoints, outdoor, house_rate, confidence, margin)
    ons = [t for t, on in switches if on]
    offs = [t for t, on in switches if not on]
    assert all(t >= s.min_off_s for t in ons[:1])  # start-up counts as an off
    for off in offs:
        began = max(t for t in ons if t <= off)
        assert off - began >= s.min_run_s
    for on in ons:
        before = [t for t in offs if t < on]
        assert not before or on - before[-1] >= s.min_off_s
        assert sum(1 for t in ons if on - H < t <= on) <= s.max_starts_per_hour


def test_out_of_an_away_interval_it_starts_early_for_the_return():
    away = Target(mode="heat", heat_setpoint=10.0)
    segments = (Upcoming(0.0, away, "holiday", "once"), Upcoming(18 * H, DAY, "evening", "recurring"))
    # 11 K at 2.8 K/h + 5 %: 4.1 h, capped at 3 h
    before = inputs_at(15 * H - 60, temperature=10.0, target=away, segments=segments)
    assert decide(before, Predictive()).action == "idle"
    back = decide(inputs_at(15 * H, temperature=10.0, target=away, segments=segments), Predictive())
    assert back.action == "heating" and back.reason.startswith("preheating for 21.0 °C at 18:00, started 15:00")
    assert back.data["proposal"]["data"]["early"]["capped"] is True

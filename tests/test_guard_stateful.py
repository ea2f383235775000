"""Stateful property test: the control core, driving simulated equipment through readings,
silence, clock jumps, target changes, hub restarts and relays switching off by themselves,
never breaks an equipment rule, whatever the decision plugin proposes (the hysteresis, an
adversarial one, or ``predictive`` looking ahead and latching).

The invariants are checked against this test's own record of every switch, not against
the guard's own bookkeeping, so a bug in ``apply`` or in the guard's reading of the
history shows up too.
"""

import math
import os

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from rpymostat.core.control.aggregation import Maximum, Mean, Minimum, Single, WeightedMean
from rpymostat.core.control.decide import (
    Commands,
    Equipment,
    Inputs,
    Proposal,
    Settings,
    apply,
    decide,
    restarted,
    switched_off,
)
from rpymostat.core.control.hysteresis import Hysteresis
from rpymostat.core.control.learner import Rate, ZoneModel
from rpymostat.core.control.lookahead import Previous, Upcoming
from rpymostat.core.control.predictive import Predictive
from rpymostat.core.readings import Reading
from rpymostat.core.target import FAN_MODES, MODES, Target

SENSORS = ("a", "b")
GUARDED = ("heat", "aux", "cool")
HEAT_GROUP = ("heat", "aux")
AGGREGATORS = {plugin.name: plugin for plugin in (Single(), Mean(), WeightedMean(), Minimum(), Maximum())}
CONTROL_INTERVAL = 30.0
HOUR = 3600.0
STEPS_PER_EXAMPLE = 80
CI_MIN_STEPS = 10_000

VALID = st.one_of(
    st.floats(-40, 70).filter(lambda v: v not in (-127.0, 85.0)),
    st.sampled_from([4.9, 5.0, 5.5, 5.99, 6.0, 19.4, 20.0, 20.6, 24.4, 25.6, 35.0, 35.01, 35.1]),
)
INVALID = st.sampled_from([math.nan, math.inf, -math.inf, 85.0, -127.0, 70.5, -40.5, "21.0", None])
COMMANDS = st.builds(Commands, st.booleans(), st.booleans(), st.booleans(), st.booleans())
DURATION = st.one_of(
    st.floats(0, 60), st.floats(0, 900), st.floats(0, 4 * HOUR),
    st.sampled_from([29.999, 30.0, 60.0, 90.0, 300.0, 3600.0]),
)


class Fixed:
    """An adversarial plugin: proposes whatever the test drew, ignoring the temperature."""

    name = "fixed"
    settings_schema = {"type": "object"}

    def __init__(self, commands):
        self.commands = commands

    def propose(self, inputs):
        return Proposal(self.commands, "whatever hypothesis drew")


def usable(reading, now, s):
    """The test's own idea of a trustworthy, fresh reading.

    Timers are compared as ``now >= start + duration`` throughout, as the guard documents,
    so that floating-point rounding cannot make the two disagree at the exact instant.
    """
    value = reading.value
    return (
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        and not reading.crc_failure and value not in (85.0, -127.0) and -40 <= value <= 70
        and now < reading.time + s.stale_after_intervals * s.report_interval_s
        and reading.time - now <= s.report_interval_s
    )


def expected_temperature(name, values):
    if not values:
        return None
    if name == "single":
        return values[0]
    if name in ("mean", "weighted_mean"):
        return sum(values) / len(values)
    return min(values) if name == "min" else max(values)


class ControlMachine(RuleBasedStateMachine):
    steps = 0

    @initialize(
        s=st.builds(
            Settings,
            min_off_s=st.sampled_from([60.0, 300.0, 600.0]),
            min_run_s=st.sampled_from([60.0, 300.0]),
            max_starts_per_hour=st.sampled_from([1, 2, 6]),
            changeover_s=st.sampled_from([30.0, 120.0]),
            report_interval_s=st.sampled_from([5.0, 30.0, 60.0]),
            lease_s=st.sampled_from([45.0, 90.0]),
        ),
        start=st.floats(0, 2e9),
        uptime=st.sampled_from([0.0, 3600.0]),
        values=st.lists(st.none() | VALID, min_size=len(SENSORS), max_size=len(SENSORS)),
    )
    def boot(self, s, start, uptime, values):
        self.s = s
        self.now = start
        self.hub_start = start - uptime
        self.equipment = Equipment(hub_start=self.hub_start)
        self.readings = {sensor: None if value is None else Reading(value, start)
                         for sensor, value in zip(SENSORS, values)}
        self.last_aggregate = None
        self.target = Target("heat", 20.0, 25.0)
        self.aggregator = "mean"
        self.leases = {}
        self.recheck_at = None
        # The test's own record of the equipment, kept apart from the hub's.
        self.on_since = {name: None for name in GUARDED}
        self.last_off = {name: None for name in GUARDED}
        self.starts = {name: [] for name in GUARDED}

    def step(self):
        type(self).steps += 1

    # -- the world -----------------------------------------------------------------

    @rule(sensor=st.sampled_from(SENSORS), value=st.one_of(VALID, VALID, INVALID),
          crc=st.sampled_from([False, False, False, True]),
          age=st.one_of(st.just(0.0), st.floats(-100, 300)))
    def report(self, sensor, value, crc, age):
        self.step()
        self.readings[sensor] = Reading(value, self.now - age, crc)

    @rule(dt=DURATION)
    def time_passes_without_decisions(self, dt):
        """The hub is stalled or cut off: only the relays' leases act."""
        self.step()
        self.advance(self.now + dt)

    @rule(function=st.sampled_from(GUARDED + ("fan",)))
    def relay_switches_off_by_itself(self, function):
        self.step()
        self.relay_off(function, self.now)

    @rule(mode=st.sampled_from(MODES), heat=st.none() | st.floats(0, 45), cool=st.none() | st.floats(0, 45),
          fan=st.sampled_from(FAN_MODES))
    def set_target(self, mode, heat, cool, fan):
        self.step()
        self.target = Target(mode, heat, cool, fan)

    @rule()
    def user_off(self):
        self.step()
        self.target = Target("off", self.target.heat_setpoint, self.target.cool_setpoint)

    @rule(name=st.sampled_from(sorted(AGGREGATORS)))
    def choose_aggregation(self, name):
        self.step()
        self.aggregator = name

    @rule()
    def hub_restarts(self):
        self.step()
        self.hub_start = self.now
        self.equipment = restarted(self.equipment, self.now)
        self.recheck_at = None

    # -- the hub -------------------------------------------------------------------

    @rule(proposal=st.none() | COMMANDS)
    def tick(self, proposal):
        self.step()
        self.hub_decides(Hysteresis() if proposal is None else Fixed(proposal))

    @rule(before=st.sampled_from([0.0, 1e-6, 0.5, 1.0]), proposal=st.none() | COMMANDS)
    def tick_at_a_timer(self, before, proposal):
        """Decide exactly when the last decision said a timer runs out, or just before."""
        self.step()
        if self.recheck_at is not None and self.recheck_at - before > self.now:
            self.advance(self.recheck_at - before)
            self.hub_decides(Hysteresis() if proposal is None else Fixed(proposal))

    @rule(proposal=st.none() | COMMANDS)
    def tick_with_an_old_aggregate(self, proposal):
        """A service that reuses the previous tick's aggregate: the guard must notice
        when it has gone stale."""
        self.step()
        if self.last_aggregate is not None:
            self.hub_decides(Hysteresis() if proposal is None else Fixed(proposal),
                             self.last_aggregate)

    @rule(duration=st.floats(0, 1800), reporting=st.booleans(), gain=st.floats(0, 1),
          loss=st.floats(0, 1), pattern=st.none() | st.lists(COMMANDS, min_size=1, max_size=4))
    def hub_runs(self, duration, reporting, gain, loss, pattern):
        """Ticks every control interval and at each recheck time, with the hysteresis or a
        plugin cycling through a drawn pattern of proposals, while the sensors report a
        temperature that heating raises by ``gain`` and cooling and the weather lower."""
        self.step()
        end, ticks = self.now + duration, 0
        while True:
            due = self.now + CONTROL_INTERVAL
            if self.recheck_at is not None and self.now < self.recheck_at < due:
                due = self.recheck_at
            if due > end:
                break
            self.advance(due)
            if reporting:
                self.sensors_report(gain, loss)
            self.hub_decides(Hysteresis() if pattern is None else Fixed(pattern[ticks % len(pattern)]))
            ticks += 1
        self.advance(end)

    @rule(duration=st.floats(0, 4 * HOUR), gain=st.floats(0, 1), loss=st.floats(0, 1),
          rise_in=st.floats(0, 4 * HOUR), heat=st.floats(5, 35), cool=st.floats(5, 35),
          kind=st.sampled_from(["recurring", "once", "hold"]), confidence=st.floats(0, 1))
    def predictive_runs(self, duration, gain, loss, rise_in, heat, cool, kind, confidence):
        """Ticks as ``hub_runs`` with the ``predictive`` plugin, which sees a drawn segment
        ahead (any setpoints, in the target's mode), a model of any confidence and its own
        previous decision, so that it starts early and latches as it would live."""
        self.step()
        coming = Target(self.target.mode, heat, cool, self.target.fan)
        segments = (Upcoming(self.now, self.target, kind=kind), Upcoming(self.now + rise_in, coming))
        model = ZoneModel(Rate("heat", 3.0, confidence=confidence, learned=True),
                          Rate("cool", 2.0, confidence=confidence, learned=True))
        end, previous, plugin = self.now + duration, None, Predictive()
        while True:
            due = self.now + CONTROL_INTERVAL
            if self.recheck_at is not None and self.now < self.recheck_at < due:
                due = self.recheck_at
            if due > end:
                break
            self.advance(due)
            self.sensors_report(gain, loss)
            decision = self.hub_decides(plugin, segments=segments, model=model, previous=previous)
            previous = Previous(self.now, plugin.name, decision.action, decision.data["proposal"]["data"])
        self.advance(end)

    def sensors_report(self, gain, loss):
        eq = self.equipment
        change = (gain if eq.heat.on or eq.aux.on else 0.0) - (gain if eq.cool.on else 0.0) - loss
        for sensor, reading in self.readings.items():
            if reading is not None and usable(reading, reading.time, self.s):
                value = min(max(reading.value + change, -40.0), 70.0)
                self.readings[sensor] = Reading(value, self.now)

    def advance(self, when):
        for function, until in sorted(self.leases.items()):
            if until <= when:
                self.relay_off(function, until)
        self.now = when

    def relay_off(self, function, when):
        self.leases.pop(function, None)
        if self.equipment.function(function).on:
            self.equipment = switched_off(self.equipment, function, when)
            if function in GUARDED:
                self.on_since[function] = None
                self.last_off[function] = when

    def hub_decides(self, plugin, aggregate=None, **ahead):
        s, now = self.s, self.now
        if aggregate is None:
            aggregate = AGGREGATORS[self.aggregator].aggregate(
                self.readings, (), now=now, report_interval_s=s.report_interval_s,
                stale_after_intervals=s.stale_after_intervals)
            values = [r.value for _, r in sorted(self.readings.items())
                      if r is not None and usable(r, now, s)]
            temperature = expected_temperature(self.aggregator, values)
            if temperature is None:
                assert aggregate.temperature is None
            else:
                assert math.isclose(aggregate.temperature, temperature, rel_tol=1e-9, abs_tol=1e-9)
        elif aggregate.temperature is None or not usable(
                Reading(aggregate.temperature, aggregate.time), now, s):
            temperature = None
        else:
            temperature = aggregate.temperature
        self.last_aggregate = aggregate

        decision = decide(Inputs(aggregate.temperature, aggregate.time, self.target, self.equipment,
                                 now, s, **ahead), plugin)
        if temperature is None:
            assert "no_temperature" in [alarm.code for alarm in decision.alarms]
        assert decision.recheck_at is None or decision.recheck_at > now
        for name in GUARDED:
            self.check_switch(name, getattr(decision.commands, name), temperature)

        self.equipment = apply(self.equipment, decision.commands, now)
        for name in GUARDED:
            if getattr(decision.commands, name) and self.on_since[name] is None:
                self.on_since[name] = now
                self.starts[name].append(now)
            elif not getattr(decision.commands, name) and self.on_since[name] is not None:
                self.on_since[name] = None
                self.last_off[name] = now
        self.leases = {name: now + s.lease_s for name in GUARDED + ("fan",)
                       if getattr(decision.commands, name)}
        self.recheck_at = decision.recheck_at
        return decision

    def check_switch(self, name, on, temperature):
        s, now = self.s, self.now
        was_on = self.on_since[name] is not None
        if on:
            assert temperature is not None, f"{name} on without a valid fresh reading"
            if name in HEAT_GROUP:
                assert temperature <= 35.0, f"heating at {temperature} °C"
        if on and not was_on:
            last_off = self.last_off[name]
            assert last_off is None or now >= last_off + s.min_off_s, "minimum off time"
            assert now >= self.hub_start + s.min_off_s, "minimum off time after start-up"
            recent = [t for t in self.starts[name] if now < t + HOUR]
            assert len(recent) + 1 <= s.max_starts_per_hour, "starts per hour"
            for other in (("cool",) if name in HEAT_GROUP else HEAT_GROUP):
                assert self.on_since[other] is None, f"{name} started while {other} runs"
                other_off = self.last_off[other]
                assert other_off is None or now >= other_off + s.changeover_s, "changeover"
        if was_on and not on:
            safety_stop = temperature is None or (
                name in HEAT_GROUP and temperature > 35.0) or (
                name == "cool" and (temperature < 5.0 or (self.on_since["heat"] is not None
                                                          and temperature < 6.0)))
            assert now >= self.on_since[name] + s.min_run_s or self.target.mode == "off" or safety_stop, (
                f"{name} cut short after {now - self.on_since[name]} s")

    @invariant()
    def heat_and_cool_never_together(self):
        eq = self.equipment
        assert not ((eq.heat.on or eq.aux.on) and eq.cool.on)
        for name in GUARDED:
            assert eq.function(name).on == (self.on_since[name] is not None)


def test_the_guard_holds_whatever_happens():
    ControlMachine.steps = 0
    run_state_machine_as_test(
        ControlMachine, settings=settings(settings.default, stateful_step_count=STEPS_PER_EXAMPLE))
    if os.environ.get("HYPOTHESIS_PROFILE") == "ci":
        assert ControlMachine.steps >= CI_MIN_STEPS
